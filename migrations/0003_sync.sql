-- 0003: the chain sync engine: batches and their transactions (write-ahead), the sender's nonce, a lease so one
-- process sends at a time, pull cursors, and the local mirror of what the chain holds (consents, credentials, roots).

-- One row per outbox batch. The id is keccak256 of the batch's contents, so the same events always make the same
-- id and the contracts' replay guard (BatchAlreadyApplied) makes a resend harmless.
CREATE TABLE sync_batches (
  id                       TEXT PRIMARY KEY,
  kind                     TEXT NOT NULL,
  contract                 TEXT NOT NULL,
  event_count              INTEGER NOT NULL CHECK (event_count > 0),
  estimated_gas            INTEGER NOT NULL,
  state                    TEXT NOT NULL DEFAULT 'pending'
                             CHECK (state IN ('pending', 'signed', 'sent', 'confirmed', 'failed', 'replaced')),
  chain_id                 INTEGER,
  sender                   TEXT,
  nonce                    INTEGER,
  -- The current transaction: raw and hash are written BEFORE broadcast, so a crash after broadcast is reconciled.
  tx_hash                  TEXT,
  raw_tx                   TEXT,
  gas_limit                INTEGER,
  max_fee_per_gas          TEXT,
  max_priority_fee_per_gas TEXT,
  block_number             INTEGER,
  block_hash               TEXT,
  confirmations            INTEGER NOT NULL DEFAULT 0,
  gas_used                 INTEGER,
  attempts                 INTEGER NOT NULL DEFAULT 0,
  last_error               TEXT,
  error_subtype            TEXT CHECK (error_subtype IS NULL OR error_subtype IN
                             ('offline', 'revert', 'funds', 'nonce', 'chain-id', 'rpc', 'reorg', 'replaced', 'too-large')),
  created_at               TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now')),
  signed_at                TEXT,
  sent_at                  TEXT,
  included_at              TEXT,
  confirmed_at             TEXT,
  updated_at               TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now'))
) STRICT;
CREATE INDEX sync_batches_by_state ON sync_batches (state, created_at);
CREATE INDEX sync_batches_by_block ON sync_batches (block_number) WHERE block_number IS NOT NULL;
-- Two live batches can never hold one nonce of one sender.
CREATE UNIQUE INDEX sync_batches_by_nonce ON sync_batches (chain_id, sender, nonce)
  WHERE nonce IS NOT NULL AND state IN ('signed', 'sent', 'confirmed');

-- Every transaction ever signed for a batch (fee bumps keep the nonce and add a row), so after a crash any of
-- them can be recognised on chain: a mined earlier price is a 'repriced' replacement, not a failure.
CREATE TABLE sync_transactions (
  hash                     TEXT PRIMARY KEY,
  batch_id                 TEXT NOT NULL REFERENCES sync_batches (id) ON DELETE CASCADE,
  chain_id                 INTEGER NOT NULL,
  sender                   TEXT NOT NULL,
  nonce                    INTEGER NOT NULL,
  raw_tx                   TEXT NOT NULL,
  gas_limit                INTEGER NOT NULL,
  max_fee_per_gas          TEXT NOT NULL,
  max_priority_fee_per_gas TEXT NOT NULL,
  state                    TEXT NOT NULL CHECK (state IN ('signed', 'sent', 'mined', 'superseded', 'dropped')),
  created_at               TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now'))
) STRICT;
CREATE INDEX sync_transactions_by_batch ON sync_transactions (batch_id, created_at);

-- The sender's own nonce, per chain and address: reconciled with the node's count on every (re)connect.
CREATE TABLE sync_senders (
  chain_id         INTEGER NOT NULL,
  address          TEXT NOT NULL,
  next_nonce       INTEGER NOT NULL CHECK (next_nonce >= 0),
  node_latest      INTEGER,
  node_pending     INTEGER,
  reconciled_at    TEXT,
  PRIMARY KEY (chain_id, address)
) STRICT;

-- One sync engine per data folder (console and CLI may both be open): a lease renewed every cycle.
CREATE TABLE sync_lease (
  name        TEXT PRIMARY KEY,
  holder      TEXT NOT NULL,
  pid         INTEGER NOT NULL,
  expires_at  INTEGER NOT NULL
) STRICT;

-- Small facts of this database's sync: its origin id and the like.
CREATE TABLE sync_meta (
  key    TEXT PRIMARY KEY,
  value  TEXT NOT NULL
) STRICT;

-- The origin: 32 random bytes made once, here, for this database. It is part of every sync batch id, and the audit
-- trail's id on chain (AuditAnchor keeps one root chain per trail) is derived from it (main/audit/trail-id.ts), so
-- it never changes: a new origin would start a new trail and orphan the roots already anchored.
INSERT INTO sync_meta (key, value) VALUES ('origin', '0x' || lower(hex(randomblob(32))));

-- Also before INSERT: INSERT OR REPLACE deletes the old row without firing the DELETE trigger.
CREATE TRIGGER sync_meta_origin_once BEFORE INSERT ON sync_meta
WHEN NEW.key = 'origin' AND EXISTS (SELECT 1 FROM sync_meta WHERE key = 'origin')
BEGIN
  SELECT RAISE(ABORT, 'sync_meta: the origin id is fixed for the life of the database');
END;

CREATE TRIGGER sync_meta_origin_no_update BEFORE UPDATE ON sync_meta WHEN OLD.key = 'origin'
BEGIN
  SELECT RAISE(ABORT, 'sync_meta: the origin id is fixed for the life of the database');
END;

CREATE TRIGGER sync_meta_origin_no_delete BEFORE DELETE ON sync_meta WHEN OLD.key = 'origin'
BEGIN
  SELECT RAISE(ABORT, 'sync_meta: the origin id is fixed for the life of the database');
END;

-- Pull cursor per contract: the last block read and its hash; a changed hash means a reorg, so step back.
CREATE TABLE sync_cursors (
  chain_id      INTEGER NOT NULL,
  contract      TEXT NOT NULL,
  block_number  INTEGER NOT NULL,
  block_hash    TEXT NOT NULL,
  updated_at    TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now')),
  PRIMARY KEY (chain_id, contract)
) STRICT;

-- Hashes of recently read blocks, to find the fork point after a reorg (kept for the last few hundred blocks).
CREATE TABLE sync_seen_blocks (
  chain_id      INTEGER NOT NULL,
  block_number  INTEGER NOT NULL,
  block_hash    TEXT NOT NULL,
  PRIMARY KEY (chain_id, block_number)
) STRICT;

-- Every pulled contract event on the canonical chain, in chain order. Rolled back above a fork point.
CREATE TABLE sync_chain_events (
  chain_id      INTEGER NOT NULL,
  block_number  INTEGER NOT NULL,
  log_index     INTEGER NOT NULL,
  block_hash    TEXT NOT NULL,
  tx_hash       TEXT NOT NULL,
  contract      TEXT NOT NULL,
  name          TEXT NOT NULL,
  batch_id      TEXT,
  subject       TEXT NOT NULL,
  data          TEXT NOT NULL,
  PRIMARY KEY (chain_id, block_number, log_index)
) STRICT;
CREATE INDEX sync_chain_events_by_subject ON sync_chain_events (chain_id, subject, block_number, log_index);
CREATE INDEX sync_chain_events_by_batch ON sync_chain_events (batch_id) WHERE batch_id IS NOT NULL;

-- What the chain holds now, per consent key: the latest applied change (the contract only emits newer seqs).
CREATE TABLE sync_chain_consents (
  chain_id           INTEGER NOT NULL,
  consent_key        TEXT NOT NULL,
  patient_pseudonym  TEXT NOT NULL,
  grantee            TEXT NOT NULL,
  purpose            TEXT NOT NULL,
  category           TEXT NOT NULL,
  decision           INTEGER NOT NULL CHECK (decision IN (1, 2)),
  revoked            INTEGER NOT NULL CHECK (revoked IN (0, 1)),
  valid_from         INTEGER NOT NULL,
  valid_until        INTEGER NOT NULL,
  seq                INTEGER NOT NULL,
  document_hash      TEXT NOT NULL,
  block_number       INTEGER NOT NULL,
  tx_hash            TEXT NOT NULL,
  PRIMARY KEY (chain_id, consent_key)
) STRICT;
CREATE INDEX sync_chain_consents_by_patient ON sync_chain_consents (patient_pseudonym);

CREATE TABLE sync_chain_credentials (
  chain_id         INTEGER NOT NULL,
  credential_hash  TEXT NOT NULL,
  status           INTEGER NOT NULL,
  expires_at       INTEGER NOT NULL,
  issuer           TEXT NOT NULL,
  block_number     INTEGER NOT NULL,
  tx_hash          TEXT NOT NULL,
  PRIMARY KEY (chain_id, credential_hash)
) STRICT;

-- Anchored audit roots with where they landed: what a proof bundle needs. Every trail's roots are mirrored (each
-- workstation database anchors its own trail into the one AuditAnchor); anchor_index counts within the trail.
CREATE TABLE sync_chain_audit_roots (
  chain_id       INTEGER NOT NULL,
  trail_id       TEXT NOT NULL,
  batch_id       TEXT NOT NULL,
  merkle_root    TEXT NOT NULL,
  leaf_count     INTEGER NOT NULL,
  previous_root  TEXT NOT NULL,
  anchor_index   INTEGER NOT NULL,
  block_number   INTEGER NOT NULL,
  block_hash     TEXT NOT NULL,
  tx_hash        TEXT NOT NULL,
  PRIMARY KEY (chain_id, batch_id)
) STRICT;
CREATE INDEX sync_chain_audit_roots_by_root ON sync_chain_audit_roots (merkle_root);
CREATE INDEX sync_chain_audit_roots_by_trail ON sync_chain_audit_roots (chain_id, trail_id, anchor_index);
