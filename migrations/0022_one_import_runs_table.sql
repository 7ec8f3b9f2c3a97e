-- One runs table for every kind of import (consents, provider rosters, claims): the import framework
-- (main/imports/engine.ts) reads and writes a run through one module (main/imports/run-table.ts) instead of three
-- tables with three row types. Each run keeps its kind, the counts its kind defines (JSON, saved with the rows
-- they count), rows read and rejected as columns for listing every kind together, and its error as a code and a
-- message (as jobs do since 0018) instead of text.
--
-- Run ids are one sequence, so a run id names one run of one kind: consents and import_duplicates reference
-- import_runs(id) (foreign keys), so consent runs keep their ids; roster runs move up by the largest consent run
-- id, and claim runs above them, with every reference to them (credentials and claims rows, the `roster:N`
-- source of providers and credentials, the job that runs them). A run's stored rejects file keeps its name, and
-- the checkpoint of an interrupted job holds no run id, so it resumes under its new id.
--
-- The old consent runs table is dropped and made anew under its name: with foreign keys on, the drop counts each
-- consent that references a run as a violation (deferred to the commit), and each run inserted again clears the
-- violations of its consents, so the migration commits only if every referenced run came back.
PRAGMA defer_foreign_keys = ON;

CREATE TEMP TABLE import_run_offsets AS
SELECT (SELECT COALESCE(MAX(id), 0) FROM import_runs) AS providers,
       (SELECT COALESCE(MAX(id), 0) FROM import_runs) + (SELECT COALESCE(MAX(id), 0) FROM roster_import_runs) AS claims;

CREATE TEMP TABLE consent_runs_before AS SELECT * FROM import_runs;
DROP TABLE import_runs;

CREATE TABLE import_runs (
  id            INTEGER PRIMARY KEY,
  kind          TEXT NOT NULL CHECK (kind IN ('consents', 'providers', 'claims')),
  job_id        TEXT UNIQUE,
  file_name     TEXT NOT NULL,
  file_path     TEXT NOT NULL,
  file_size     INTEGER NOT NULL,
  file_hash     TEXT,
  format        TEXT NOT NULL CHECK (format IN ('csv', 'fhir')),
  dry_run       INTEGER NOT NULL CHECK (dry_run IN (0, 1)),
  -- Records read and refused (each kind's own words for them are in counts too), for a list of every kind.
  rows_read     INTEGER NOT NULL DEFAULT 0,
  rejected      INTEGER NOT NULL DEFAULT 0,
  -- The kind's counts as a JSON object of whole numbers, written in the transaction that commits what they count.
  counts        TEXT NOT NULL DEFAULT '{}' CHECK (json_valid(counts) AND json_type(counts) = 'object'),
  rejects_path  TEXT,
  outcome       TEXT CHECK (outcome IN ('succeeded', 'failed', 'cancelled')),
  error_code    TEXT,
  error         TEXT,
  started_by    TEXT NOT NULL,
  created_at    TEXT NOT NULL,
  finished_at   TEXT,
  CHECK ((error_code IS NULL) = (error IS NULL))
) STRICT;
CREATE INDEX import_runs_by_kind ON import_runs (kind, id);

INSERT INTO import_runs (id, kind, job_id, file_name, file_path, file_size, file_hash, format, dry_run, rows_read, rejected, counts,
                         rejects_path, outcome, error_code, error, started_by, created_at, finished_at)
SELECT id, 'consents', job_id, file_name, file_path, file_size, file_hash, format, dry_run, rows_read, rejected,
       json_object('rows_read', rows_read, 'accepted', accepted, 'updated', updated, 'rejected', rejected, 'duplicate', duplicate,
                   'consents_written', consents_written),
       rejects_path, outcome, CASE WHEN error IS NULL THEN NULL ELSE 'IMPORT_FAILED' END, error, started_by, created_at, finished_at
FROM temp.consent_runs_before;

INSERT INTO import_runs (id, kind, job_id, file_name, file_path, file_size, file_hash, format, dry_run, rows_read, rejected, counts,
                         rejects_path, outcome, error_code, error, started_by, created_at, finished_at)
SELECT id + (SELECT providers FROM temp.import_run_offsets), 'providers', job_id, file_name, file_path, file_size, file_hash, 'csv', dry_run,
       rows_read, rejected,
       json_object('rows_read', rows_read, 'providers_added', providers_added, 'providers_updated', providers_updated,
                   'credentials_added', credentials_added, 'duplicate', duplicate, 'rejected', rejected),
       rejects_path, outcome, CASE WHEN error IS NULL THEN NULL ELSE 'IMPORT_FAILED' END, error, started_by, created_at, finished_at
FROM roster_import_runs;

-- Claims runs kept their error as "CODE: message": split as 0018 split the jobs' errors.
INSERT INTO import_runs (id, kind, job_id, file_name, file_path, file_size, file_hash, format, dry_run, rows_read, rejected, counts,
                         rejects_path, outcome, error_code, error, started_by, created_at, finished_at)
SELECT id + (SELECT claims FROM temp.import_run_offsets), 'claims', job_id, file_name, file_path, file_size, file_hash, 'csv', dry_run,
       rows_read, rejected,
       json_object('rowsRead', rows_read, 'passed', passed, 'failed', failed, 'rejected', rejected, 'duplicate', duplicate),
       rejects_path, outcome,
       CASE
         WHEN error IS NULL THEN NULL
         WHEN instr(error, ': ') > 1 AND error GLOB '[A-Z]*' AND substr(error, 1, instr(error, ': ') - 1) NOT GLOB '*[^A-Z0-9_]*'
           THEN substr(error, 1, instr(error, ': ') - 1)
         ELSE 'IMPORT_FAILED'
       END,
       CASE
         WHEN error IS NULL THEN NULL
         WHEN instr(error, ': ') > 1 AND error GLOB '[A-Z]*' AND substr(error, 1, instr(error, ': ') - 1) NOT GLOB '*[^A-Z0-9_]*'
           THEN substr(error, instr(error, ': ') + 2)
         ELSE error
       END,
       started_by, created_at, finished_at
FROM claim_import_runs;

-- What names a roster or claim run follows it to its new id.
UPDATE credentials SET import_run_id = import_run_id + (SELECT providers FROM temp.import_run_offsets) WHERE import_run_id IS NOT NULL;
UPDATE credentials SET source = 'roster:' || (CAST(substr(source, 8) AS INTEGER) + (SELECT providers FROM temp.import_run_offsets))
WHERE source GLOB 'roster:[0-9]*' AND substr(source, 8) NOT GLOB '*[^0-9]*';
UPDATE providers SET source = 'roster:' || (CAST(substr(source, 8) AS INTEGER) + (SELECT providers FROM temp.import_run_offsets))
WHERE source GLOB 'roster:[0-9]*' AND substr(source, 8) NOT GLOB '*[^0-9]*';
UPDATE claims SET import_run_id = import_run_id + (SELECT claims FROM temp.import_run_offsets) WHERE import_run_id IS NOT NULL;
UPDATE jobs SET params = json_set(params, '$.runId', json_extract(params, '$.runId') + (SELECT providers FROM temp.import_run_offsets))
WHERE kind = 'import.providers' AND json_type(params, '$.runId') = 'integer';
UPDATE jobs SET params = json_set(params, '$.runId', json_extract(params, '$.runId') + (SELECT claims FROM temp.import_run_offsets))
WHERE kind = 'import.claims' AND json_type(params, '$.runId') = 'integer';

DROP TABLE roster_import_runs;
DROP TABLE claim_import_runs;
DROP TABLE temp.consent_runs_before;
DROP TABLE temp.import_run_offsets;
