-- 0002: patients, consents (one row per patient x grantee x purpose x category: one chain key, one decision),
-- their history, and import runs. Released migrations are never edited; a change goes in a new numbered file.

-- Patients are local only: MRN, name and date of birth never leave this machine. The pseudonym is
-- HMAC-SHA256(facility secret, facility || 0x1f || MRN), 0x-prefixed hex; it is all a chain payload may carry.
CREATE TABLE patients (
  id          INTEGER PRIMARY KEY,
  facility    TEXT NOT NULL,
  mrn         TEXT NOT NULL,
  name        TEXT COLLATE NOCASE,
  birth_date  TEXT,
  pseudonym   TEXT NOT NULL UNIQUE,
  created_at  TEXT NOT NULL,
  UNIQUE (facility, mrn)
) STRICT;
-- Search by MRN across facilities, and by name prefix (LIKE 'smi%' uses this index: the column is NOCASE).
CREATE INDEX patients_by_mrn ON patients (mrn);
CREATE INDEX patients_by_name ON patients (name);

-- One row per import job. Counts are updated in the same transaction as the rows and the job checkpoint.
CREATE TABLE import_runs (
  id            INTEGER PRIMARY KEY,
  job_id        TEXT UNIQUE,
  file_name     TEXT NOT NULL,
  file_path     TEXT NOT NULL,
  file_size     INTEGER NOT NULL,
  file_hash     TEXT,
  format        TEXT NOT NULL CHECK (format IN ('csv', 'fhir')),
  dry_run       INTEGER NOT NULL CHECK (dry_run IN (0, 1)),
  rows_read     INTEGER NOT NULL DEFAULT 0,
  accepted      INTEGER NOT NULL DEFAULT 0,
  updated       INTEGER NOT NULL DEFAULT 0,
  rejected      INTEGER NOT NULL DEFAULT 0,
  duplicate     INTEGER NOT NULL DEFAULT 0,
  consents_written INTEGER NOT NULL DEFAULT 0,
  rejects_path  TEXT,
  outcome       TEXT CHECK (outcome IN ('succeeded', 'failed', 'cancelled')),
  error         TEXT,
  started_by    TEXT NOT NULL,
  created_at    TEXT NOT NULL,
  finished_at   TEXT
) STRICT;

-- Consents an import run matched as duplicates, with the file row that matched. A later row of the same file
-- that contradicts one of them is refused as if the run had just written it, so a re-import stays idempotent.
CREATE TABLE import_duplicates (
  run_id      INTEGER NOT NULL REFERENCES import_runs (id),
  consent_id  INTEGER NOT NULL,
  row         INTEGER NOT NULL,
  PRIMARY KEY (run_id, consent_id)
) STRICT, WITHOUT ROWID;

-- A consent row is one decision for one chain key (patient, grantee, purpose, category): the decision engine
-- answers with a single index seek, and every write maps to exactly one ledger op. A source consent that
-- names several categories or purposes (FHIR) becomes several rows.
-- Periods are unix seconds, start inclusive, end exclusive (NULL: open-ended), as the ConsentLedger stores them.
CREATE TABLE consents (
  id             INTEGER PRIMARY KEY,
  external_id    TEXT,
  patient_id     INTEGER NOT NULL REFERENCES patients (id),
  grantee        TEXT NOT NULL,
  grantee_kind   TEXT NOT NULL CHECK (grantee_kind IN ('npi', 'org')),
  decision       TEXT NOT NULL CHECK (decision IN ('permit', 'deny')),
  purpose        TEXT NOT NULL CHECK (purpose IN ('TREAT', 'ETREAT', 'HPAYMT', 'HOPERAT', 'HRESCH', 'PUBHLTH', 'HMARKT')),
  category       TEXT NOT NULL CHECK (category IN ('general', 'mental-health', 'substance-use', 'HIV', 'genetic', 'reproductive')),
  period_start   INTEGER NOT NULL,
  period_end     INTEGER,
  status         TEXT NOT NULL CHECK (status IN ('active', 'revoked', 'expired', 'superseded')),
  document_hash  TEXT NOT NULL,
  source         TEXT NOT NULL,
  import_run_id  INTEGER REFERENCES import_runs (id),
  source_row     INTEGER,
  superseded_by  INTEGER REFERENCES consents (id),
  revoked_reason TEXT,
  -- Sequence number of the last ledger op emitted for this row's key; the next op for the key uses max + 1.
  seq            INTEGER NOT NULL CHECK (seq > 0),
  created_at     TEXT NOT NULL,
  updated_at     TEXT NOT NULL,
  CHECK (period_end IS NULL OR period_end > period_start)
) STRICT;
-- The decision query: equality on the key, range on period_start; status is checked on the few rows of the key
-- (leaving it out keeps the index small, which is what a bulk import pays for). Also serves the importer's
-- per-key lookups (prefix of four columns) and the patient filter of the consents table (prefix of one).
CREATE INDEX consents_decide ON consents (patient_id, grantee, purpose, category, period_start);
-- An external id names one current consent; superseded versions keep theirs for the history.
CREATE UNIQUE INDEX consents_external_current ON consents (external_id) WHERE external_id IS NOT NULL AND status <> 'superseded';
-- Table filters with keyset pagination (newest first). Most rows are active: that filter walks the primary key,
-- and only the rare other statuses are indexed (an imported active row pays nothing for this index).
CREATE INDEX consents_by_grantee ON consents (grantee, id);
CREATE INDEX consents_not_active ON consents (status, id) WHERE status <> 'active';

-- Who changed what and when. 'create' rows carry the source (staff member or import run and row).
CREATE TABLE consent_history (
  id          INTEGER PRIMARY KEY,
  consent_id  INTEGER NOT NULL REFERENCES consents (id),
  action      TEXT NOT NULL CHECK (action IN ('create', 'revoke', 'supersede', 'expire')),
  actor       TEXT NOT NULL,
  at          TEXT NOT NULL,
  detail      TEXT
) STRICT;
CREATE INDEX consent_history_by_consent ON consent_history (consent_id, id);
