-- 0029: patients' pseudonyms as 32 bytes and their creation times as integers (issue #14 item 4: about 75 of the bytes
-- per imported consent were the patients table and its indexes, most of it the pseudonym, 66 characters '0x' + 64
-- lowercase hex digits, stored in the row and again in its UNIQUE index, and created_at, 24 characters).
-- Stored now: pseudonym_bin, the 32 bytes the hex digits spell (UNIQUE: the lookup by pseudonym walks it), and
-- created_ms/created_text exactly as 0026 stores a consent's times (the milliseconds of a canonical ISO-8601 UTC time,
-- anything else as its text). Readers keep pseudonym and created_at: virtual generated columns (no storage) that
-- rebuild the exact old text. Writers write the new columns (main/consents/patient-columns.ts).
-- Every patient's pseudonym is HMAC-SHA256 as '0x' + 64 lowercase hex digits (Pseudonymizer, the only writer): one in
-- any other form cannot be stored as 32 bytes without changing it, so the migration stops, by name, and changes
-- nothing (PATIENT_PSEUDONYM_NOT_CANONICAL); the database stays at the version before this one.
-- A UNIQUE column cannot be dropped, so the table is rebuilt (as 0025 rebuilds outbox): every row kept, ids included
-- (id is the rowid), the indexes made before the rows are copied back in id order. The migration runner copies the
-- database (VACUUM INTO) before this.

-- A pseudonym that is not '0x' + 64 lowercase hex digits stops the migration here.
CREATE TEMP TABLE migration_0029_refused (id INTEGER PRIMARY KEY);
CREATE TEMP TRIGGER migration_0029_refuse BEFORE INSERT ON migration_0029_refused
BEGIN
  SELECT RAISE(ABORT, 'PATIENT_PSEUDONYM_NOT_CANONICAL: a patient''s pseudonym is not 0x and 64 lowercase hex digits; it cannot be stored as 32 bytes unchanged, so the database was not migrated');
END;
INSERT INTO temp.migration_0029_refused (id)
SELECT id FROM patients
 WHERE length(pseudonym) <> 66 OR substr(pseudonym, 1, 2) <> '0x' OR substr(pseudonym, 3) GLOB '*[^0-9a-f]*'
 LIMIT 1;
DROP TABLE temp.migration_0029_refused;

-- consents, sharing_release_requests and claims reference patients (id). With foreign keys on, the drop counts each
-- row that references a patient as a violation (deferred to the commit; the drop's implicit delete fires no trigger),
-- and each patient inserted again clears the violations of its rows: the migration commits only if every referenced
-- patient came back.
PRAGMA defer_foreign_keys = ON;

-- The new columns, computed once: the bytes; the milliseconds of a canonical time that rebuilds to the byte (as 0026:
-- not a day SQLite normalises, not a time before 1970), else the text.
CREATE TEMP TABLE patients_0029 AS
SELECT id, facility, mrn, name, birth_date, unhex(substr(pseudonym, 3)) AS pseudonym_bin, created_at,
       CASE WHEN created_at GLOB '[0-9][0-9][0-9][0-9]-[0-9][0-9]-[0-9][0-9]T[0-9][0-9]:[0-9][0-9]:[0-9][0-9].[0-9][0-9][0-9]Z'
            THEN unixepoch(substr(created_at, 1, 19)) * 1000 + CAST(substr(created_at, 21, 3) AS INTEGER) END AS cms
  FROM patients;
DROP TABLE patients;

-- The old columns keep their places (SELECT * reads them in the same order), and their constraints: a pseudonym of
-- 32 bytes (the rebuilt text is 66 characters), unique; a creation time that is there, in exactly one form.
CREATE TABLE patients (
  id            INTEGER PRIMARY KEY,
  facility      TEXT NOT NULL,
  mrn           TEXT NOT NULL,
  name          TEXT COLLATE NOCASE,
  birth_date    TEXT,
  pseudonym     TEXT GENERATED ALWAYS AS ('0x' || lower(hex(pseudonym_bin))) VIRTUAL,
  created_at    TEXT GENERATED ALWAYS AS (coalesce(created_text, strftime('%Y-%m-%dT%H:%M:%S.', created_ms / 1000, 'unixepoch') || printf('%03d', created_ms % 1000) || 'Z')) VIRTUAL,
  pseudonym_bin BLOB NOT NULL UNIQUE CONSTRAINT patients_pseudonym_32_bytes CHECK (length(pseudonym_bin) = 32),
  created_ms    INTEGER,
  created_text  TEXT,
  CONSTRAINT patients_created_one_form CHECK (CASE WHEN created_ms IS NULL THEN created_text IS NOT NULL ELSE created_text IS NULL AND created_ms BETWEEN 0 AND 253402300799999 END),
  UNIQUE (facility, mrn)
) STRICT;
CREATE INDEX patients_by_mrn ON patients (mrn);
CREATE INDEX patients_by_name ON patients (name);

INSERT INTO patients (id, facility, mrn, name, birth_date, pseudonym_bin, created_ms, created_text)
SELECT id, facility, mrn, name, birth_date, pseudonym_bin,
       CASE WHEN cms >= 0 AND strftime('%Y-%m-%dT%H:%M:%S.', cms / 1000, 'unixepoch') || printf('%03d', cms % 1000) || 'Z' IS created_at THEN cms END,
       CASE WHEN cms >= 0 AND strftime('%Y-%m-%dT%H:%M:%S.', cms / 1000, 'unixepoch') || printf('%03d', cms % 1000) || 'Z' IS created_at THEN NULL ELSE created_at END
  FROM temp.patients_0029
 ORDER BY id;
DROP TABLE temp.patients_0029;

-- The name index (0020: FTS5, its content in patients by rowid) already holds every row under the same id, mrn and
-- name; its triggers come back after the copy, so the copied rows are not indexed twice.
CREATE TRIGGER patients_fts_after_insert AFTER INSERT ON patients BEGIN
  INSERT INTO patients_fts (rowid, mrn, name) VALUES (new.id, new.mrn, new.name);
END;
CREATE TRIGGER patients_fts_after_delete AFTER DELETE ON patients BEGIN
  INSERT INTO patients_fts (patients_fts, rowid, mrn, name) VALUES ('delete', old.id, old.mrn, old.name);
END;
CREATE TRIGGER patients_fts_after_update AFTER UPDATE OF mrn, name ON patients BEGIN
  INSERT INTO patients_fts (patients_fts, rowid, mrn, name) VALUES ('delete', old.id, old.mrn, old.name);
  INSERT INTO patients_fts (rowid, mrn, name) VALUES (new.id, new.mrn, new.name);
END;

-- As 0023 made it, on the stored column (outbox events are rebuilt from the pseudonym).
CREATE TRIGGER patients_pseudonym_fixed BEFORE UPDATE OF pseudonym_bin ON patients
WHEN OLD.pseudonym_bin IS NOT NEW.pseudonym_bin
BEGIN
  SELECT RAISE(ABORT, 'OUTBOX_SOURCE_IMMUTABLE: a patient''s pseudonym never changes (outbox events are rebuilt from it)');
END;

-- The view outbox_ref_payloads (0023) reads p.pseudonym by name: the generated column answers it, unchanged.
