-- Sync: what each consent change pulled from the chain did to the consents tables, with the state it replaced,
-- so a reorg that removes its block can undo it (the change comes back when it lands again). Kept only for the
-- blocks the puller can still roll back (the same window as sync_seen_blocks); pruned with them.
-- Holds row ids and column values of local tables only: nothing here goes on chain.
CREATE TABLE sync_pulled_consent_changes (
  id                INTEGER PRIMARY KEY,
  chain_id          INTEGER NOT NULL,
  block_number      INTEGER NOT NULL,
  block_hash        TEXT NOT NULL,
  log_index         INTEGER NOT NULL,
  seq               INTEGER NOT NULL,
  -- 'revoke': the current row was revoked in place; 'replace': a new row was inserted (superseding `previous_id`,
  -- if any).
  action            TEXT NOT NULL CHECK (action IN ('revoke', 'replace')),
  -- The row revoked in place or superseded, and the columns the change altered, as they were (JSON).
  previous_id       INTEGER,
  previous_state    TEXT,
  -- The row the change inserted ('replace').
  inserted_id       INTEGER,
  -- consent_history rows the change wrote (JSON array of ids).
  history_ids       TEXT NOT NULL,
  CHECK (action = 'revoke' AND previous_id IS NOT NULL AND inserted_id IS NULL OR action = 'replace' AND inserted_id IS NOT NULL),
  UNIQUE (chain_id, block_number, log_index)
) STRICT;
