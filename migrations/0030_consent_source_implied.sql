-- 0030: what an imported consent row repeats, stored as nothing (issue #14 item 4). Every row an import writes kept
-- its source as the text 'import:' and its run id, which import_run_id already holds (9 B a row), and its update time
-- equal to its creation time (7 B): a row an import writes is never changed in place (a change is a new row; a
-- revoke or supersede stamps the time it happened).
-- Stored now: source_text, NULL when the source is exactly 'import:' || import_run_id; updated_ms and updated_text
-- both NULL when the row's update time is its creation time. Readers keep source and updated_at: VIRTUAL generated
-- columns rebuilding the exact old text (coalesce(source_text, 'import:' || import_run_id); the update time, else the
-- creation time). Writers write source_text (main/consents/compact-columns.ts decides NULL), and may still write the
-- full text: both forms read the same. A row with no source text and no run is refused (consents_source_named).
-- The two triggers that named source are made again on what stores it, with the same names and messages.
-- The migration runner copies the database (VACUUM INTO) before applying this.
DROP TRIGGER consents_terms_fixed;
DROP TRIGGER consents_referenced_kept;

-- The generated updated_at goes first: its CHECK (one form, never none) would refuse the nothing written below.
ALTER TABLE consents DROP COLUMN updated_at;
ALTER TABLE consents ADD COLUMN source_text TEXT;

-- One pass: the new form of each value, the old column blanked in the same write so every record shrinks (0026
-- measured records that grew and split pages when filled first and dropped after). An update time is "the creation
-- time" when it is stored in the same form with the same value (0026 stores a time as milliseconds exactly when they
-- rebuild its text, so equal texts are equal forms; anything else is kept as it is and reads the same).
UPDATE consents SET
  source_text = CASE WHEN import_run_id IS NOT NULL AND source IS 'import:' || import_run_id THEN NULL ELSE source END,
  source = '',
  updated_ms = CASE WHEN updated_ms IS created_ms AND updated_text IS created_text THEN NULL ELSE updated_ms END,
  updated_text = CASE WHEN updated_ms IS created_ms AND updated_text IS created_text THEN NULL ELSE updated_text END;

ALTER TABLE consents DROP COLUMN source;

ALTER TABLE consents ADD COLUMN source TEXT
  GENERATED ALWAYS AS (coalesce(source_text, 'import:' || import_run_id)) VIRTUAL
  CONSTRAINT consents_source_named CHECK (source_text IS NOT NULL OR import_run_id IS NOT NULL);
-- As 0026 made it, with "nothing stored" for "the creation time".
ALTER TABLE consents ADD COLUMN updated_at TEXT
  GENERATED ALWAYS AS (CASE
    WHEN updated_text IS NOT NULL THEN updated_text
    WHEN updated_ms IS NOT NULL THEN strftime('%Y-%m-%dT%H:%M:%S.', updated_ms / 1000, 'unixepoch') || printf('%03d', updated_ms % 1000) || 'Z'
    ELSE created_at END) VIRTUAL
  CONSTRAINT consents_updated_one_form CHECK (updated_ms IS NULL OR (updated_text IS NULL AND updated_ms BETWEEN 0 AND 253402300799999));

-- As 0028 made it, watching what stores the source (its text and the run it may be implied by).
CREATE TRIGGER consents_terms_fixed BEFORE UPDATE OF patient_id, grantee, grantee_kind_code, decision_code, purpose_code, category_code, period_start, period_end, document_hash_bin, source_text, import_run_id ON consents
WHEN OLD.patient_id IS NOT NEW.patient_id OR OLD.grantee IS NOT NEW.grantee OR OLD.grantee_kind_code IS NOT NEW.grantee_kind_code
  OR OLD.decision_code IS NOT NEW.decision_code OR OLD.purpose_code IS NOT NEW.purpose_code OR OLD.category_code IS NOT NEW.category_code
  OR OLD.period_start IS NOT NEW.period_start OR OLD.period_end IS NOT NEW.period_end
  OR OLD.document_hash_bin IS NOT NEW.document_hash_bin OR OLD.source IS NOT NEW.source
BEGIN
  SELECT RAISE(ABORT, 'OUTBOX_SOURCE_IMMUTABLE: a consent row''s terms never change (a change is a new row; outbox events are rebuilt from them)');
END;
-- As 0023 made it.
CREATE TRIGGER consents_referenced_kept BEFORE DELETE ON consents
WHEN OLD.source <> 'chain' AND EXISTS (SELECT 1 FROM outbox_refs r WHERE r.source_id = OLD.id)
BEGIN
  SELECT RAISE(ABORT, 'OUTBOX_SOURCE_IMMUTABLE: a consent row an outbox event is rebuilt from cannot be deleted');
END;
