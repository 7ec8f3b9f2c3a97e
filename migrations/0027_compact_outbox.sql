-- 0027: the outbox row as codes and integers (issue #14 item 4: an imported consent's event stored by reference was
-- still a row of ~86 bytes and a 40-byte index entry, mostly text: its kind 'consent.change' (in the row and again in
-- outbox_by_state_kind), its state 'pending' (both again) and two 24-character ISO times).
-- Stored now:
--   kind_code   the kinds this build syncs as small integers (below); any other kind (an older build's, a plug-in's
--               added later) as 0 with its text in kind_text, so nothing is lost and no kind needs a migration;
--   state_code  0 pending, 1 batched, 2 sent, 3 confirmed, 4 failed, 5 replaced;
--   created_ms  milliseconds since 1970 of a canonical ISO time (what toISOString writes), or created_text for
--               anything that does not rebuild to the byte (as 0026 does for consents);
--   updated_ms / updated_text  likewise, and both NULL while the event was never updated (same as created: every
--               event an import writes).
-- Readers keep kind, state, created_at and updated_at: VIRTUAL generated columns (no storage) rebuilding the exact
-- old text. Writers write the stored columns (main/sync/outbox-columns.ts); the index is on the codes, so the
-- readers that walk it (pending events of the synced kinds, counts by state) filter on the codes.
-- The table is rebuilt as 0025 rebuilt it (every row kept, ids included, in id order); the two triggers of 0025 come
-- back on the codes, with the same names and messages. The migration runner copies the database (VACUUM INTO) first.

-- outbox_refs and consent_conflicts reference outbox (id): the drop counts each referencing row as a violation
-- (deferred to the commit) and each event inserted again clears it, so the migration commits only if every
-- referenced event came back (as 0025 does).
PRAGMA defer_foreign_keys = ON;

DROP VIEW outbox_events;

CREATE TEMP TABLE outbox_0027 AS SELECT id, kind, payload, state, batch_id, attempts, last_error, created_at, updated_at, replaced_by FROM outbox;
DROP TABLE outbox;

CREATE TABLE outbox (
  id            INTEGER PRIMARY KEY,
  kind_code     INTEGER NOT NULL,
  kind_text     TEXT,
  payload       TEXT NOT NULL,
  state_code    INTEGER NOT NULL DEFAULT 0,
  batch_id      TEXT,
  attempts      INTEGER NOT NULL DEFAULT 0,
  last_error    TEXT,
  -- A row written without a time gets the current one, as created_at's default did.
  created_ms    INTEGER DEFAULT (CAST(strftime('%s', 'now') AS INTEGER) * 1000 + CAST(substr(strftime('%f', 'now'), 4, 3) AS INTEGER)),
  created_text  TEXT,
  updated_ms    INTEGER,
  updated_text  TEXT,
  -- The id of the event sent instead of this one; set exactly when state is 'replaced'.
  replaced_by   INTEGER,
  kind          TEXT GENERATED ALWAYS AS (CASE kind_code
                  WHEN 1 THEN 'consent.change' WHEN 2 THEN 'credential.status' WHEN 3 THEN 'claim.record'
                  WHEN 4 THEN 'audit.root' WHEN 5 THEN 'agreement.propose' WHEN 6 THEN 'agreement.sign'
                  WHEN 7 THEN 'agreement.terminate' ELSE kind_text END) VIRTUAL,
  state         TEXT GENERATED ALWAYS AS (CASE state_code
                  WHEN 0 THEN 'pending' WHEN 1 THEN 'batched' WHEN 2 THEN 'sent' WHEN 3 THEN 'confirmed'
                  WHEN 4 THEN 'failed' WHEN 5 THEN 'replaced' END) VIRTUAL,
  created_at    TEXT GENERATED ALWAYS AS (coalesce(created_text,
                  strftime('%Y-%m-%dT%H:%M:%S.', created_ms / 1000, 'unixepoch') || printf('%03d', created_ms % 1000) || 'Z')) VIRTUAL,
  updated_at    TEXT GENERATED ALWAYS AS (CASE
                  WHEN updated_text IS NOT NULL THEN updated_text
                  WHEN updated_ms IS NOT NULL THEN strftime('%Y-%m-%dT%H:%M:%S.', updated_ms / 1000, 'unixepoch') || printf('%03d', updated_ms % 1000) || 'Z'
                  ELSE created_at END) VIRTUAL,
  -- One form per value: a known kind only as its code (so a filter on the codes sees every event of the kind).
  CONSTRAINT outbox_kind_one_form CHECK (CASE WHEN kind_code = 0
    THEN kind_text IS NOT NULL AND kind_text NOT IN ('consent.change', 'credential.status', 'claim.record', 'audit.root', 'agreement.propose', 'agreement.sign', 'agreement.terminate')
    ELSE kind_code BETWEEN 1 AND 7 AND kind_text IS NULL END),
  CONSTRAINT outbox_state_known CHECK (state_code BETWEEN 0 AND 5),
  CONSTRAINT outbox_created_one_form CHECK (CASE WHEN created_ms IS NULL THEN created_text IS NOT NULL
    ELSE created_text IS NULL AND created_ms BETWEEN 0 AND 253402300799999 END),
  CONSTRAINT outbox_updated_one_form CHECK (updated_text IS NULL OR updated_ms IS NULL),
  CONSTRAINT outbox_updated_range CHECK (updated_ms BETWEEN 0 AND 253402300799999),
  CONSTRAINT outbox_replaced_names_its_replacement CHECK ((state_code = 5) = (replaced_by IS NOT NULL)),
  CONSTRAINT outbox_replaced_by_later CHECK (replaced_by > id)
) STRICT;
CREATE INDEX outbox_by_state_kind ON outbox (state_code, kind_code, id);
CREATE INDEX outbox_by_batch ON outbox (batch_id) WHERE batch_id IS NOT NULL;

-- Each row back, in id order, every value in the one form that rebuilds it to the byte. A time is stored as
-- milliseconds only when the generated column's expression gives back its text exactly; an updated_at equal to its
-- created_at is stored as nothing.
CREATE TEMP TABLE outbox_0027_ms AS
SELECT id,
  CASE WHEN created_at GLOB '[0-9][0-9][0-9][0-9]-[0-9][0-9]-[0-9][0-9]T[0-9][0-9]:[0-9][0-9]:[0-9][0-9].[0-9][0-9][0-9]Z'
       THEN unixepoch(substr(created_at, 1, 19)) * 1000 + CAST(substr(created_at, 21, 3) AS INTEGER) END AS cms,
  CASE WHEN updated_at GLOB '[0-9][0-9][0-9][0-9]-[0-9][0-9]-[0-9][0-9]T[0-9][0-9]:[0-9][0-9]:[0-9][0-9].[0-9][0-9][0-9]Z'
       THEN unixepoch(substr(updated_at, 1, 19)) * 1000 + CAST(substr(updated_at, 21, 3) AS INTEGER) END AS ums
  FROM temp.outbox_0027;
CREATE TEMP TABLE outbox_0027_forms AS
SELECT o.id,
  CASE WHEN m.cms >= 0 AND strftime('%Y-%m-%dT%H:%M:%S.', m.cms / 1000, 'unixepoch') || printf('%03d', m.cms % 1000) || 'Z' IS o.created_at THEN m.cms END AS cms,
  CASE WHEN m.ums >= 0 AND strftime('%Y-%m-%dT%H:%M:%S.', m.ums / 1000, 'unixepoch') || printf('%03d', m.ums % 1000) || 'Z' IS o.updated_at THEN m.ums END AS ums
  FROM temp.outbox_0027 o JOIN temp.outbox_0027_ms m ON m.id = o.id;

INSERT INTO outbox (id, kind_code, kind_text, payload, state_code, batch_id, attempts, last_error,
                    created_ms, created_text, updated_ms, updated_text, replaced_by)
SELECT o.id,
       CASE o.kind WHEN 'consent.change' THEN 1 WHEN 'credential.status' THEN 2 WHEN 'claim.record' THEN 3
                   WHEN 'audit.root' THEN 4 WHEN 'agreement.propose' THEN 5 WHEN 'agreement.sign' THEN 6
                   WHEN 'agreement.terminate' THEN 7 ELSE 0 END,
       CASE WHEN o.kind IN ('consent.change', 'credential.status', 'claim.record', 'audit.root', 'agreement.propose', 'agreement.sign', 'agreement.terminate')
            THEN NULL ELSE o.kind END,
       o.payload,
       CASE o.state WHEN 'pending' THEN 0 WHEN 'batched' THEN 1 WHEN 'sent' THEN 2 WHEN 'confirmed' THEN 3
                    WHEN 'failed' THEN 4 WHEN 'replaced' THEN 5 END,
       o.batch_id, o.attempts, o.last_error,
       f.cms, CASE WHEN f.cms IS NULL THEN o.created_at END,
       CASE WHEN o.updated_at IS o.created_at THEN NULL ELSE f.ums END,
       CASE WHEN o.updated_at IS o.created_at OR f.ums IS NOT NULL THEN NULL ELSE o.updated_at END,
       o.replaced_by
  FROM temp.outbox_0027 o JOIN temp.outbox_0027_forms f ON f.id = o.id
 ORDER BY o.id;
DROP TABLE temp.outbox_0027_forms;
DROP TABLE temp.outbox_0027_ms;
DROP TABLE temp.outbox_0027;

-- As 0025 made it (the same columns, read through the generated ones), and the codes at its end: a reader that
-- filters on them walks outbox_by_state_kind through the view.
CREATE VIEW outbox_events AS
SELECT o.id, o.kind,
       CASE WHEN o.payload <> '' THEN o.payload
            WHEN o.kind_code = 1 THEN coalesce((SELECT rp.payload FROM outbox_ref_payloads rp WHERE rp.outbox_id = o.id), '')
            ELSE '' END AS payload,
       o.state, o.batch_id, o.attempts, o.last_error, o.created_at, o.updated_at, o.replaced_by,
       o.kind_code, o.kind_text, o.state_code
  FROM outbox o;

-- 0025's triggers on the codes (5 replaced, 0 pending, 4 failed), same names and messages.
CREATE TRIGGER OUTBOX_REPLACED_FINAL BEFORE UPDATE ON outbox
WHEN OLD.state_code = 5
 AND (NEW.state_code IS NOT OLD.state_code OR NEW.replaced_by IS NOT OLD.replaced_by OR NEW.payload IS NOT OLD.payload
      OR NEW.kind_code IS NOT OLD.kind_code OR NEW.kind_text IS NOT OLD.kind_text OR NEW.batch_id IS NOT OLD.batch_id
      OR NEW.id IS NOT OLD.id)
BEGIN
  SELECT RAISE(ABORT, 'OUTBOX_REPLACED_FINAL: a replaced outbox event is final: it is never sent, and its state, replacement and payload never change');
END;

CREATE TRIGGER OUTBOX_REPLACE_REFUSED BEFORE UPDATE OF state_code, replaced_by ON outbox
WHEN NEW.state_code = 5 AND OLD.state_code IS NOT 5
 AND (OLD.state_code NOT IN (0, 4) OR OLD.batch_id IS NOT NULL OR NEW.batch_id IS NOT NULL
      OR NOT EXISTS (SELECT 1 FROM outbox n WHERE n.id = NEW.replaced_by AND n.id <> OLD.id
                     AND n.kind_code = OLD.kind_code AND n.kind_text IS OLD.kind_text AND n.state_code <> 5))
BEGIN
  SELECT RAISE(ABORT, 'OUTBOX_REPLACE_REFUSED: only an event waiting here and never batched (pending, or held) may be replaced, by a later event of its kind');
END;
