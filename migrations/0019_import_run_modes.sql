-- Every kind of import runs on one framework (main/imports/engine.ts): provider rosters and claims gain the dry
-- run the consent import had (validate and resolve every row, store nothing but the run's counts and rejects),
-- and a claims run records the hash of the file it read, as the other kinds do. Existing runs were not dry runs;
-- their counts, checkpoints and jobs are untouched, so an interrupted one resumes as before.
ALTER TABLE roster_import_runs ADD COLUMN dry_run INTEGER NOT NULL DEFAULT 0 CHECK (dry_run IN (0, 1));
ALTER TABLE claim_import_runs ADD COLUMN dry_run INTEGER NOT NULL DEFAULT 0 CHECK (dry_run IN (0, 1));
ALTER TABLE claim_import_runs ADD COLUMN file_hash TEXT;
