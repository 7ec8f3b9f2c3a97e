-- 0025: an outbox event that another event replaced is a state the database keeps final (issue #12). Before, a
-- converted v1 sharing proposal was marked only by the text 'SHARING_PROPOSAL_CONVERTED: …' in its last_error, and
-- every reader had to skip it: whoever holds the data folder could edit that text and the old event became
-- sendable again. Now it is state 'replaced' naming its replacement (replaced_by, a later event of the same kind),
-- written only by replaceEvent (main/sync/outbox.ts), and triggers refuse any way back (OUTBOX_REPLACED_FINAL) and
-- replacing an event that may already be on chain (OUTBOX_REPLACE_REFUSED).
-- The table is rebuilt (a CHECK cannot be added in place): every column, index and row kept, ids included (id is
-- the rowid: no AUTOINCREMENT, no sqlite_sequence row); the indexes exist before the rows are copied back, in id
-- order (1,000,000 events: 16-20 s, the same as indexes made after the rows within the noise of a loaded 2-core
-- machine). The migration runner copies the database (VACUUM INTO) before this.

-- outbox_refs and consent_conflicts reference outbox (id). With foreign keys on, the drop counts each row that
-- references an event as a violation (deferred to the commit), and each event inserted again clears the violations
-- of its rows: the migration commits only if every referenced event came back (as 0022 does for its runs).
PRAGMA defer_foreign_keys = ON;

-- Made again below with the new column (the view reads outbox; 0023's outbox_refs_kept reads it too and needs
-- nothing: a trigger names the table, which is back under its name before anything fires).
DROP VIEW outbox_events;

-- Markers written by earlier versions (legacy-proposals.ts: 'SHARING_PROPOSAL_CONVERTED: … sent instead as outbox
-- event N (…'): the event becomes 'replaced' by N when N can be trusted to be its replacement: a later event of the
-- same kind that still exists, and the marked one was held (failed) and never batched. Any other marked row stays
-- as it is, held and never sent (the engine sends only 'pending'), counted as held under its code with a reason a
-- person can read: nothing names its replacement for sure, and it may have been batched.
CREATE TEMP TABLE outbox_0025 AS
SELECT o.id, o.kind, o.payload, o.state, o.batch_id, o.attempts, o.last_error, o.created_at, o.updated_at,
       CASE WHEN substr(o.last_error, 1, 27) = 'SHARING_PROPOSAL_CONVERTED:' AND o.state = 'failed' AND o.batch_id IS NULL
                 AND instr(o.last_error, 'sent instead as outbox event ') > 0
            THEN (SELECT n.id FROM outbox n
                   WHERE n.id = CAST(substr(o.last_error, instr(o.last_error, 'sent instead as outbox event ') + 29) AS INTEGER)
                     AND n.id > o.id AND n.kind = o.kind)
       END AS replaced_by
  FROM outbox o;
DROP TABLE outbox;

CREATE TABLE outbox (
  id           INTEGER PRIMARY KEY,
  kind         TEXT NOT NULL,
  payload      TEXT NOT NULL,
  state        TEXT NOT NULL DEFAULT 'pending' CHECK (state IN ('pending', 'batched', 'sent', 'confirmed', 'failed', 'replaced')),
  batch_id     TEXT,
  attempts     INTEGER NOT NULL DEFAULT 0,
  last_error   TEXT,
  created_at   TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now')),
  updated_at   TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now')),
  -- The id of the event sent instead of this one; set exactly when state is 'replaced'.
  replaced_by  INTEGER,
  CONSTRAINT outbox_replaced_names_its_replacement CHECK ((state = 'replaced') = (replaced_by IS NOT NULL)),
  CONSTRAINT outbox_replaced_by_later CHECK (replaced_by > id)
) STRICT;
CREATE INDEX outbox_by_state_kind ON outbox (state, kind, id);
CREATE INDEX outbox_by_batch ON outbox (batch_id) WHERE batch_id IS NOT NULL;

INSERT INTO outbox (id, kind, payload, state, batch_id, attempts, last_error, created_at, updated_at, replaced_by)
SELECT id, kind, payload, CASE WHEN replaced_by IS NULL THEN state ELSE 'replaced' END, batch_id, attempts, last_error, created_at, updated_at, replaced_by
  FROM temp.outbox_0025
 ORDER BY id;
DROP TABLE temp.outbox_0025;

-- As 0023 made it, with the new column at its end.
CREATE VIEW outbox_events AS
SELECT o.id, o.kind,
       CASE WHEN o.payload <> '' THEN o.payload
            WHEN o.kind = 'consent.change' THEN coalesce((SELECT rp.payload FROM outbox_ref_payloads rp WHERE rp.outbox_id = o.id), '')
            ELSE '' END AS payload,
       o.state, o.batch_id, o.attempts, o.last_error, o.created_at, o.updated_at, o.replaced_by
  FROM outbox o;

-- A replaced event stays replaced, by the same event, with the same content and id, and is never batched (the
-- engine sends 'pending' events only; every requeue path moves events by batch id).
CREATE TRIGGER OUTBOX_REPLACED_FINAL BEFORE UPDATE ON outbox
WHEN OLD.state = 'replaced'
 AND (NEW.state IS NOT OLD.state OR NEW.replaced_by IS NOT OLD.replaced_by OR NEW.payload IS NOT OLD.payload
      OR NEW.kind IS NOT OLD.kind OR NEW.batch_id IS NOT OLD.batch_id OR NEW.id IS NOT OLD.id)
BEGIN
  SELECT RAISE(ABORT, 'OUTBOX_REPLACED_FINAL: a replaced outbox event is final: it is never sent, and its state, replacement and payload never change');
END;

-- Only an event that cannot be on chain may be replaced: waiting here (pending, or failed before any batch: held)
-- and never batched (a batched, sent or failed batch may have reached the chain: markAppliedWithoutLog fails one
-- that did). Its replacement is a later event of the same kind that exists and is not itself replaced.
CREATE TRIGGER OUTBOX_REPLACE_REFUSED BEFORE UPDATE OF state, replaced_by ON outbox
WHEN NEW.state = 'replaced' AND OLD.state IS NOT 'replaced'
 AND (OLD.state NOT IN ('pending', 'failed') OR OLD.batch_id IS NOT NULL OR NEW.batch_id IS NOT NULL
      OR NOT EXISTS (SELECT 1 FROM outbox n WHERE n.id = NEW.replaced_by AND n.id <> OLD.id AND n.kind = OLD.kind AND n.state <> 'replaced'))
BEGIN
  SELECT RAISE(ABORT, 'OUTBOX_REPLACE_REFUSED: only an event waiting here and never batched (pending, or held) may be replaced, by a later event of its kind');
END;
