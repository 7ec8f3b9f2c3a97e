-- 0012: insurance claims and their pre-checks (issue #7): one row per claim id with its verdict and every
-- reason, the chain status of passing claims (recorded by hash in ClaimsLedger, then accepted or denied by the
-- payer), and the runs of bulk claim imports. Released migrations are never edited; a change goes in a new file.

-- A claim as checked. The patient is local (facility + MRN, and the patients row when known); only the content
-- hash and the payer id's hash ever reach the chain. codes is a JSON array of the service codes as given
-- (normalised to upper case); reasons a JSON array of {code, message, detail?} (empty for a pass).
CREATE TABLE claims (
  id             INTEGER PRIMARY KEY,
  claim_id       TEXT NOT NULL UNIQUE,
  facility       TEXT NOT NULL,
  mrn            TEXT NOT NULL,
  patient_id     INTEGER REFERENCES patients (id),
  rendering_npi  TEXT NOT NULL,
  payer_id       TEXT NOT NULL,
  service_date   TEXT NOT NULL CHECK (service_date GLOB '[0-9][0-9][0-9][0-9]-[0-9][0-9]-[0-9][0-9]'),
  codes          TEXT NOT NULL,
  amount_cents   INTEGER NOT NULL,
  content_hash   TEXT NOT NULL,
  verdict        TEXT NOT NULL CHECK (verdict IN ('pass', 'fail')),
  reasons        TEXT NOT NULL DEFAULT '[]',
  -- not_sent: failed the pre-check; pending: queued in the outbox; recorded: on chain; accepted/denied: the payer's answer.
  chain_status   TEXT NOT NULL CHECK (chain_status IN ('not_sent', 'pending', 'recorded', 'accepted', 'denied')),
  chain_reason   TEXT,
  chain_tx       TEXT,
  chain_block    INTEGER,
  outbox_id      INTEGER,
  source         TEXT NOT NULL,
  import_run_id  INTEGER,
  source_row     INTEGER,
  checked_by     TEXT NOT NULL,
  created_at     TEXT NOT NULL,
  updated_at     TEXT NOT NULL,
  CHECK ((verdict = 'fail') = (chain_status = 'not_sent'))
) STRICT;
-- DUPLICATE_CONTENT: at most one passing claim per content hash (a failed one was never submitted).
CREATE UNIQUE INDEX claims_passed_by_content ON claims (content_hash) WHERE verdict = 'pass';
CREATE INDEX claims_by_content ON claims (content_hash);
-- The Claims page's filters, newest first.
CREATE INDEX claims_by_verdict ON claims (verdict, id);
CREATE INDEX claims_by_chain_status ON claims (chain_status, id);
CREATE INDEX claims_by_payer ON claims (payer_id, id);
CREATE INDEX claims_by_service_date ON claims (service_date, id);

-- Bulk claim imports (`custodian import claims FILE`, the Claims page): counts are updated in the same
-- transaction as the rows and the job checkpoint, so a resumed run continues where it stopped.
CREATE TABLE claim_import_runs (
  id            INTEGER PRIMARY KEY,
  job_id        TEXT UNIQUE,
  file_name     TEXT NOT NULL,
  file_path     TEXT NOT NULL,
  file_size     INTEGER NOT NULL,
  rows_read     INTEGER NOT NULL DEFAULT 0,
  passed        INTEGER NOT NULL DEFAULT 0,
  failed        INTEGER NOT NULL DEFAULT 0,
  rejected      INTEGER NOT NULL DEFAULT 0,
  duplicate     INTEGER NOT NULL DEFAULT 0,
  rejects_path  TEXT,
  outcome       TEXT CHECK (outcome IN ('succeeded', 'failed', 'cancelled')),
  error         TEXT,
  started_by    TEXT NOT NULL,
  created_at    TEXT NOT NULL,
  finished_at   TEXT
) STRICT;
