-- 0020: an imported consent's creation is implied by its own row (source = the import run, created_at, import_run_id,
-- source_row), so its 'create' history entry is no longer stored (issue #14: 93 of ~1,384 bytes per imported
-- consent went to that row and its index). The consent detail shows the implied entry exactly as the stored one read
-- (main/consents/queries.ts impliedCreation). Only entries the row reproduces to the byte are removed: actor equal
-- to the row's source, time equal to its created_at, detail exactly {"row":N,"run":R}; every other entry stays.
-- The migration runner copies the database (VACUUM INTO) before applying this.
DELETE FROM consent_history
 WHERE id IN (
   SELECT h.id
     FROM consent_history h
     JOIN consents c ON c.id = h.consent_id
    WHERE h.action = 'create'
      AND c.import_run_id IS NOT NULL
      AND c.source_row IS NOT NULL
      AND h.actor = c.source
      AND h.at = c.created_at
      AND h.detail = json_object('row', c.source_row, 'run', c.import_run_id)
 );

-- The consent detail lists the versions a row replaced (superseded_by = ?) and the conflicts view walks that chain:
-- without an index each was a scan of every consent (query-plans.test.ts). Partial: an imported row, whose
-- superseded_by is NULL, pays nothing for it.
CREATE INDEX consents_superseded_by ON consents (superseded_by) WHERE superseded_by IS NOT NULL;

-- Document hashes as their 32 bytes instead of 66 characters of 0x-hex (34 bytes less per consent). Readers keep
-- `document_hash` as text: a virtual generated column (no storage) rebuilt from the bytes, lowercase 0x-hex, the form
-- every writer already used. Writers write `document_hash_bin`; a trigger refuses anything but 32 bytes.
ALTER TABLE consents ADD COLUMN document_hash_bin BLOB;
UPDATE consents SET document_hash_bin = unhex(substr(document_hash, 3)) WHERE substr(document_hash, 1, 2) = '0x';
-- A hash that does not survive the round trip stops the migration (rolled back, the database unchanged) rather than
-- being lost: the failure names this constraint.
CREATE TEMP TABLE migration_0020_hash_check (
  ok INTEGER NOT NULL CONSTRAINT consents_document_hash_is_not_0x_and_64_hex_digits CHECK (ok = 1)
);
INSERT INTO temp.migration_0020_hash_check
  SELECT 0 FROM consents
   WHERE document_hash_bin IS NULL OR length(document_hash_bin) <> 32 OR '0x' || lower(hex(document_hash_bin)) <> lower(document_hash)
   LIMIT 1;
DROP TABLE temp.migration_0020_hash_check;
ALTER TABLE consents DROP COLUMN document_hash;
ALTER TABLE consents ADD COLUMN document_hash TEXT GENERATED ALWAYS AS ('0x' || lower(hex(document_hash_bin))) VIRTUAL;
CREATE TRIGGER consents_document_hash_bytes BEFORE INSERT ON consents
WHEN NEW.document_hash_bin IS NULL OR typeof(NEW.document_hash_bin) <> 'blob' OR length(NEW.document_hash_bin) <> 32
BEGIN
  SELECT RAISE(ABORT, 'consents: document_hash_bin must be the 32 bytes of a SHA-256 hash');
END;
CREATE TRIGGER consents_document_hash_bytes_update BEFORE UPDATE OF document_hash_bin ON consents
WHEN NEW.document_hash_bin IS NULL OR typeof(NEW.document_hash_bin) <> 'blob' OR length(NEW.document_hash_bin) <> 32
BEGIN
  SELECT RAISE(ABORT, 'consents: document_hash_bin must be the 32 bytes of a SHA-256 hash');
END;
