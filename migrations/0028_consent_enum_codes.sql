-- 0028: a consent's five vocabularies as small integers (issue #14 item 4: category, status, purpose, decision and
-- grantee_kind were ~34 of the ~147 bytes of a consent record as text). Stored now: category_code, status_code,
-- purpose_code, decision_code, grantee_kind_code, each the position of its text in the list the old CHECK allowed
-- (the order of CATEGORIES, CONSENT_STATUSES, PURPOSES, DECISIONS, GRANTEE_KINDS in main/api/consents.ts: 0 and 1
-- are stored in the record header alone, the others in one byte). Readers keep the five names: virtual generated
-- columns (no storage) that rebuild the exact old text. Writers write the codes (main/consents/compact-columns.ts
-- maps them). The old CHECKs are kept on the codes: a code outside its list, or none, is refused by name.
-- Lossless: the old CHECKs allowed only the listed texts, but a writer with PRAGMA ignore_check_constraints could
-- have stored another one; then the migration stops (rolled back, the database unchanged) naming the column, rather
-- than change the value. The migration runner copies the database (VACUUM INTO) before applying this.

-- Codes, read in one pass (NULL: a text outside the list).
CREATE TEMP TABLE migration_0028_codes (id INTEGER PRIMARY KEY, cat INTEGER, st INTEGER, pur INTEGER, dec INTEGER, kind INTEGER);
INSERT INTO temp.migration_0028_codes (id, cat, st, pur, dec, kind)
SELECT id,
  CASE category WHEN 'general' THEN 0 WHEN 'mental-health' THEN 1 WHEN 'substance-use' THEN 2 WHEN 'HIV' THEN 3 WHEN 'genetic' THEN 4 WHEN 'reproductive' THEN 5 END,
  CASE status WHEN 'active' THEN 0 WHEN 'revoked' THEN 1 WHEN 'expired' THEN 2 WHEN 'superseded' THEN 3 END,
  CASE purpose WHEN 'TREAT' THEN 0 WHEN 'ETREAT' THEN 1 WHEN 'HPAYMT' THEN 2 WHEN 'HOPERAT' THEN 3 WHEN 'HRESCH' THEN 4 WHEN 'PUBHLTH' THEN 5 WHEN 'HMARKT' THEN 6 END,
  CASE decision WHEN 'permit' THEN 0 WHEN 'deny' THEN 1 END,
  CASE grantee_kind WHEN 'npi' THEN 0 WHEN 'org' THEN 1 END
  FROM consents;

-- A text outside its list stops the migration here, the failure naming the column's constraint.
CREATE TEMP TABLE migration_0028_check (
  cat INTEGER CONSTRAINT consents_category_outside_the_known_codes CHECK (cat = 0),
  st INTEGER CONSTRAINT consents_status_outside_the_known_codes CHECK (st = 0),
  pur INTEGER CONSTRAINT consents_purpose_outside_the_known_codes CHECK (pur = 0),
  dec INTEGER CONSTRAINT consents_decision_outside_the_known_codes CHECK (dec = 0),
  kind INTEGER CONSTRAINT consents_grantee_kind_outside_the_known_codes CHECK (kind = 0)
);
INSERT INTO temp.migration_0028_check (cat, st, pur, dec, kind)
SELECT EXISTS (SELECT 1 FROM temp.migration_0028_codes WHERE cat IS NULL),
       EXISTS (SELECT 1 FROM temp.migration_0028_codes WHERE st IS NULL),
       EXISTS (SELECT 1 FROM temp.migration_0028_codes WHERE pur IS NULL),
       EXISTS (SELECT 1 FROM temp.migration_0028_codes WHERE dec IS NULL),
       EXISTS (SELECT 1 FROM temp.migration_0028_codes WHERE kind IS NULL);
DROP TABLE temp.migration_0028_check;

-- What names the old columns is dropped, and made again below under the same names: the views as 0023 and 0025
-- made them; consents_decide, consents_rare_purpose and consents_not_active on the codes (the texts were ~16 B of
-- their entries, and an index on a virtual column does not cover a query that names it: SQLite reads the row to
-- compute it), their readers comparing codes, their plans the same index walks (query-plans.test.ts);
-- consents_external_current as 0002 made it, on the generated status (its entries hold no status: only its
-- condition reads it, at each write); consents_terms_fixed as 0023 did, watching the codes, which are what a write
-- can change.
DROP VIEW outbox_events;
DROP VIEW outbox_ref_payloads;
DROP TRIGGER consents_terms_fixed;
DROP INDEX consents_decide;
DROP INDEX consents_external_current;
DROP INDEX consents_not_active;
DROP INDEX consents_rare_purpose;

-- Dropped first, so every record shrinks before the codes are written into it (filled first and dropped after, 0026
-- measured records that grew and split pages).
ALTER TABLE consents DROP COLUMN category;
ALTER TABLE consents DROP COLUMN status;
ALTER TABLE consents DROP COLUMN purpose;
ALTER TABLE consents DROP COLUMN decision;
ALTER TABLE consents DROP COLUMN grantee_kind;

ALTER TABLE consents ADD COLUMN category_code INTEGER;
ALTER TABLE consents ADD COLUMN status_code INTEGER;
ALTER TABLE consents ADD COLUMN purpose_code INTEGER;
ALTER TABLE consents ADD COLUMN decision_code INTEGER;
ALTER TABLE consents ADD COLUMN grantee_kind_code INTEGER;

UPDATE consents SET category_code = c.cat, status_code = c.st, purpose_code = c.pur, decision_code = c.dec, grantee_kind_code = c.kind
  FROM temp.migration_0028_codes AS c
 WHERE c.id = consents.id;
DROP TABLE temp.migration_0028_codes;

-- The old columns, rebuilt. Each keeps its old constraints (never NULL, one of the listed texts), checked on the
-- stored code so a write computes no text.
ALTER TABLE consents ADD COLUMN category TEXT
  GENERATED ALWAYS AS (CASE category_code WHEN 0 THEN 'general' WHEN 1 THEN 'mental-health' WHEN 2 THEN 'substance-use' WHEN 3 THEN 'HIV' WHEN 4 THEN 'genetic' WHEN 5 THEN 'reproductive' END) VIRTUAL
  CONSTRAINT consents_category_code_known CHECK (category_code IS NOT NULL AND category_code BETWEEN 0 AND 5);
ALTER TABLE consents ADD COLUMN status TEXT
  GENERATED ALWAYS AS (CASE status_code WHEN 0 THEN 'active' WHEN 1 THEN 'revoked' WHEN 2 THEN 'expired' WHEN 3 THEN 'superseded' END) VIRTUAL
  CONSTRAINT consents_status_code_known CHECK (status_code IS NOT NULL AND status_code BETWEEN 0 AND 3);
ALTER TABLE consents ADD COLUMN purpose TEXT
  GENERATED ALWAYS AS (CASE purpose_code WHEN 0 THEN 'TREAT' WHEN 1 THEN 'ETREAT' WHEN 2 THEN 'HPAYMT' WHEN 3 THEN 'HOPERAT' WHEN 4 THEN 'HRESCH' WHEN 5 THEN 'PUBHLTH' WHEN 6 THEN 'HMARKT' END) VIRTUAL
  CONSTRAINT consents_purpose_code_known CHECK (purpose_code IS NOT NULL AND purpose_code BETWEEN 0 AND 6);
ALTER TABLE consents ADD COLUMN decision TEXT
  GENERATED ALWAYS AS (CASE decision_code WHEN 0 THEN 'permit' WHEN 1 THEN 'deny' END) VIRTUAL
  CONSTRAINT consents_decision_code_known CHECK (decision_code IS NOT NULL AND decision_code BETWEEN 0 AND 1);
ALTER TABLE consents ADD COLUMN grantee_kind TEXT
  GENERATED ALWAYS AS (CASE grantee_kind_code WHEN 0 THEN 'npi' WHEN 1 THEN 'org' END) VIRTUAL
  CONSTRAINT consents_grantee_kind_code_known CHECK (grantee_kind_code IS NOT NULL AND grantee_kind_code BETWEEN 0 AND 1);

-- As 0002 and 0008 made them, purpose, category and status as their codes (TREAT is 0, active is 0).
CREATE INDEX consents_decide ON consents (patient_id, grantee, purpose_code, category_code, period_start);
CREATE INDEX consents_rare_purpose ON consents (purpose_code, id) WHERE purpose_code <> 0;
CREATE INDEX consents_not_active ON consents (status_code, id) WHERE status_code <> 0;
-- As 0002 made it.
CREATE UNIQUE INDEX consents_external_current ON consents (external_id) WHERE external_id IS NOT NULL AND status <> 'superseded';

-- As 0023 made it.
CREATE VIEW outbox_ref_payloads AS
SELECT r.outbox_id AS outbox_id,
       json_object(
         'v', 2,
         'change', CASE r.change WHEN 0 THEN 'create' WHEN 1 THEN 'revoke' ELSE 'supersede' END,
         'consentId', c.id,
         'patientPseudonym', p.pseudonym,
         'granteeKind', c.grantee_kind,
         'grantee', c.grantee,
         'granteeHash', (SELECT h.hash FROM outbox_ref_hashes h WHERE h.text = c.grantee_kind || ':' || c.grantee),
         'purposeHash', (SELECT h.hash FROM outbox_ref_hashes h WHERE h.text = c.purpose),
         'categoryHash', (SELECT h.hash FROM outbox_ref_hashes h WHERE h.text = c.category),
         'hlc', printf('%016x', r.hlc),
         'prevHlc', printf('%016x', r.prev_hlc),
         'decision', c.decision,
         'validFrom', max(0, c.period_start),
         'validUntil', CASE WHEN c.period_end IS NULL THEN 0 ELSE max(1, c.period_end) END,
         'revoked', json(CASE r.revoked WHEN 1 THEN 'true' ELSE 'false' END),
         'documentHash', c.document_hash
       ) AS payload
  FROM outbox_refs r
  JOIN consents c ON c.id = r.source_id
  JOIN patients p ON p.id = c.patient_id;

-- As 0027 made it.
CREATE VIEW outbox_events AS
SELECT o.id, o.kind,
       CASE WHEN o.payload <> '' THEN o.payload
            WHEN o.kind_code = 1 THEN coalesce((SELECT rp.payload FROM outbox_ref_payloads rp WHERE rp.outbox_id = o.id), '')
            ELSE '' END AS payload,
       o.state, o.batch_id, o.attempts, o.last_error, o.created_at, o.updated_at, o.replaced_by,
       o.kind_code, o.kind_text, o.state_code
  FROM outbox o;

-- As 0023 made it, the four terms now stored as codes watched as codes (the same values: one code, one text).
CREATE TRIGGER consents_terms_fixed BEFORE UPDATE OF patient_id, grantee, grantee_kind_code, decision_code, purpose_code, category_code, period_start, period_end, document_hash_bin, source ON consents
WHEN OLD.patient_id IS NOT NEW.patient_id OR OLD.grantee IS NOT NEW.grantee OR OLD.grantee_kind_code IS NOT NEW.grantee_kind_code
  OR OLD.decision_code IS NOT NEW.decision_code OR OLD.purpose_code IS NOT NEW.purpose_code OR OLD.category_code IS NOT NEW.category_code
  OR OLD.period_start IS NOT NEW.period_start OR OLD.period_end IS NOT NEW.period_end
  OR OLD.document_hash_bin IS NOT NEW.document_hash_bin OR OLD.source IS NOT NEW.source
BEGIN
  SELECT RAISE(ABORT, 'OUTBOX_SOURCE_IMMUTABLE: a consent row''s terms never change (a change is a new row; outbox events are rebuilt from them)');
END;
