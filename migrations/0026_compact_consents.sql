-- 0026: consent times and order stamps as integers (issue #14 item 4: 64 of ~567 bytes per consent were the texts
-- created_at, updated_at (24 characters each) and hlc (16 hex digits)). Stored now: created_ms/updated_ms, the
-- milliseconds since 1970 of a canonical ISO-8601 UTC time ('YYYY-MM-DDTHH:MM:SS.sssZ', what toISOString writes), and
-- hlc_int, the 64-bit stamp as a signed integer (printf('%016x') gives back the 16 hex digits, the top bit included,
-- as in outbox_refs). A value that does not rebuild to the byte (another offset, no milliseconds, uppercase hex, junk
-- written by hand) is kept as it was in created_text/updated_text/hlc_text instead, so nothing is lost. Readers keep
-- created_at, updated_at and hlc: virtual generated columns (no storage) that rebuild the exact old text. Writers write
-- the new columns (main/consents/compact-columns.ts decides which of each pair). No index used the old columns.
-- The migration runner copies the database (VACUUM INTO) before applying this.
ALTER TABLE consents ADD COLUMN created_ms INTEGER;
ALTER TABLE consents ADD COLUMN created_text TEXT;
ALTER TABLE consents ADD COLUMN updated_ms INTEGER;
ALTER TABLE consents ADD COLUMN updated_text TEXT;
-- DEFAULT 0: a row written without a stamp read '0000000000000000' before (the old column's default), and still does.
ALTER TABLE consents ADD COLUMN hlc_int INTEGER DEFAULT 0;
ALTER TABLE consents ADD COLUMN hlc_text TEXT;

-- Candidates, read in one pass: milliseconds of anything shaped like a canonical time, the stamp of anything shaped
-- like 16 lowercase hex digits.
CREATE TEMP TABLE migration_0026_candidates (id INTEGER PRIMARY KEY, cms INTEGER, ums INTEGER, hint INTEGER);
INSERT INTO temp.migration_0026_candidates (id, cms, ums, hint)
SELECT id,
  CASE WHEN created_at GLOB '[0-9][0-9][0-9][0-9]-[0-9][0-9]-[0-9][0-9]T[0-9][0-9]:[0-9][0-9]:[0-9][0-9].[0-9][0-9][0-9]Z'
       THEN unixepoch(substr(created_at, 1, 19)) * 1000 + CAST(substr(created_at, 21, 3) AS INTEGER) END,
  CASE WHEN updated_at GLOB '[0-9][0-9][0-9][0-9]-[0-9][0-9]-[0-9][0-9]T[0-9][0-9]:[0-9][0-9]:[0-9][0-9].[0-9][0-9][0-9]Z'
       THEN unixepoch(substr(updated_at, 1, 19)) * 1000 + CAST(substr(updated_at, 21, 3) AS INTEGER) END,
  CASE WHEN hlc GLOB '[0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f]'
       THEN ((instr('0123456789abcdef', substr(hlc, 1, 1)) - 1) << 60) | ((instr('0123456789abcdef', substr(hlc, 2, 1)) - 1) << 56)
          | ((instr('0123456789abcdef', substr(hlc, 3, 1)) - 1) << 52) | ((instr('0123456789abcdef', substr(hlc, 4, 1)) - 1) << 48)
          | ((instr('0123456789abcdef', substr(hlc, 5, 1)) - 1) << 44) | ((instr('0123456789abcdef', substr(hlc, 6, 1)) - 1) << 40)
          | ((instr('0123456789abcdef', substr(hlc, 7, 1)) - 1) << 36) | ((instr('0123456789abcdef', substr(hlc, 8, 1)) - 1) << 32)
          | ((instr('0123456789abcdef', substr(hlc, 9, 1)) - 1) << 28) | ((instr('0123456789abcdef', substr(hlc, 10, 1)) - 1) << 24)
          | ((instr('0123456789abcdef', substr(hlc, 11, 1)) - 1) << 20) | ((instr('0123456789abcdef', substr(hlc, 12, 1)) - 1) << 16)
          | ((instr('0123456789abcdef', substr(hlc, 13, 1)) - 1) << 12) | ((instr('0123456789abcdef', substr(hlc, 14, 1)) - 1) << 8)
          | ((instr('0123456789abcdef', substr(hlc, 15, 1)) - 1) << 4) | (instr('0123456789abcdef', substr(hlc, 16, 1)) - 1) END
  FROM consents;

-- One pass over the table: a candidate that rebuilds its text to the byte (the generated columns' expressions below,
-- character for character; not a day SQLite normalises such as 02-30, not a time before 1970) is stored as the
-- integer, anything else as its text. The old columns are blanked in the same write, so every record shrinks: filled
-- first and dropped after, the records grew and split pages (233 against 187 B per consent in place, measured).
UPDATE consents SET
  created_ms = CASE WHEN c.cms >= 0 AND strftime('%Y-%m-%dT%H:%M:%S.', c.cms / 1000, 'unixepoch') || printf('%03d', c.cms % 1000) || 'Z' IS consents.created_at THEN c.cms END,
  created_text = CASE WHEN c.cms >= 0 AND strftime('%Y-%m-%dT%H:%M:%S.', c.cms / 1000, 'unixepoch') || printf('%03d', c.cms % 1000) || 'Z' IS consents.created_at THEN NULL ELSE consents.created_at END,
  updated_ms = CASE WHEN c.ums >= 0 AND strftime('%Y-%m-%dT%H:%M:%S.', c.ums / 1000, 'unixepoch') || printf('%03d', c.ums % 1000) || 'Z' IS consents.updated_at THEN c.ums END,
  updated_text = CASE WHEN c.ums >= 0 AND strftime('%Y-%m-%dT%H:%M:%S.', c.ums / 1000, 'unixepoch') || printf('%03d', c.ums % 1000) || 'Z' IS consents.updated_at THEN NULL ELSE consents.updated_at END,
  hlc_int = CASE WHEN printf('%016x', c.hint) IS consents.hlc THEN c.hint END,
  hlc_text = CASE WHEN printf('%016x', c.hint) IS consents.hlc THEN NULL ELSE consents.hlc END,
  created_at = '', updated_at = '', hlc = '0000000000000000'
  FROM temp.migration_0026_candidates AS c
 WHERE c.id = consents.id;
DROP TABLE temp.migration_0026_candidates;

ALTER TABLE consents DROP COLUMN created_at;
ALTER TABLE consents DROP COLUMN updated_at;
ALTER TABLE consents DROP COLUMN hlc;

-- The old columns, rebuilt. Each keeps its old constraint (never NULL; the stamp's 16 characters), checked on the
-- stored columns so a write computes no text: exactly one form of each value, a time strftime rebuilds (years
-- 1970-9999, so the rebuilt text is never NULL), a text stamp of 16 characters.
ALTER TABLE consents ADD COLUMN created_at TEXT
  GENERATED ALWAYS AS (coalesce(created_text, strftime('%Y-%m-%dT%H:%M:%S.', created_ms / 1000, 'unixepoch') || printf('%03d', created_ms % 1000) || 'Z')) VIRTUAL
  CONSTRAINT consents_created_one_form CHECK (CASE WHEN created_ms IS NULL THEN created_text IS NOT NULL ELSE created_text IS NULL AND created_ms BETWEEN 0 AND 253402300799999 END);
ALTER TABLE consents ADD COLUMN updated_at TEXT
  GENERATED ALWAYS AS (coalesce(updated_text, strftime('%Y-%m-%dT%H:%M:%S.', updated_ms / 1000, 'unixepoch') || printf('%03d', updated_ms % 1000) || 'Z')) VIRTUAL
  CONSTRAINT consents_updated_one_form CHECK (CASE WHEN updated_ms IS NULL THEN updated_text IS NOT NULL ELSE updated_text IS NULL AND updated_ms BETWEEN 0 AND 253402300799999 END);
ALTER TABLE consents ADD COLUMN hlc TEXT
  GENERATED ALWAYS AS (coalesce(hlc_text, printf('%016x', hlc_int))) VIRTUAL
  CONSTRAINT consents_hlc_one_form CHECK (CASE WHEN hlc_int IS NULL THEN length(hlc_text) = 16 ELSE hlc_text IS NULL END);
