-- 0006: the provider directory and signed credentials, the cached result of their last verification, the trail
-- of every check, status changes made at this workstation, and roster import runs.

-- Providers are identified by NPI (a public identifier, not PHI). Names are searched by prefix (NOCASE index).
CREATE TABLE providers (
  id            INTEGER PRIMARY KEY,
  npi           TEXT NOT NULL UNIQUE CHECK (length(npi) = 10),
  name          TEXT NOT NULL COLLATE NOCASE,
  organization  TEXT,
  specialty     TEXT,
  source        TEXT NOT NULL,
  created_at    TEXT NOT NULL,
  updated_at    TEXT NOT NULL
) STRICT;
-- The directory list: name order with keyset pagination, and name-prefix search (LIKE 'smi%' on a NOCASE column).
CREATE INDEX providers_by_name ON providers (name, id);

-- One row per signed credential. The signed fields are stored exactly as signed (strings), so the EIP-712 digest
-- can be recomputed; credential_hash is that digest under the credential's own domain (chain_id, registry).
-- verdict/reason/checked_at cache the last verification; last_verified_at survives later offline checks.
CREATE TABLE credentials (
  id                INTEGER PRIMARY KEY,
  provider_id       INTEGER NOT NULL REFERENCES providers (id),
  type              TEXT NOT NULL CHECK (type IN ('license', 'board_certification', 'dea_registration',
                      'controlled_substance_registration', 'hospital_privileges', 'malpractice_insurance', 'other')),
  jurisdiction      TEXT NOT NULL,
  number            TEXT NOT NULL,
  valid_from        TEXT NOT NULL CHECK (valid_from GLOB '[0-9][0-9][0-9][0-9]-[0-9][0-9]-[0-9][0-9]'),
  valid_until       TEXT NOT NULL CHECK (valid_until GLOB '[0-9][0-9][0-9][0-9]-[0-9][0-9]-[0-9][0-9]'),
  issuer            TEXT NOT NULL CHECK (length(issuer) = 42),
  chain_id          INTEGER NOT NULL,
  registry          TEXT NOT NULL CHECK (length(registry) = 42),
  credential_hash   TEXT NOT NULL UNIQUE CHECK (length(credential_hash) = 66),
  signature         TEXT NOT NULL CHECK (length(signature) = 132),
  verdict           TEXT CHECK (verdict IS NULL OR verdict IN ('verified', 'expired', 'not_yet_valid', 'revoked', 'suspended',
                      'unknown_issuer', 'bad_signature', 'invalid_npi', 'not_on_registry', 'unverified_offline')),
  reason            TEXT,
  checked_at        TEXT,
  last_verified_at  TEXT,
  source            TEXT NOT NULL,
  import_run_id     INTEGER,
  source_row        INTEGER,
  created_at        TEXT NOT NULL,
  CHECK (valid_until >= valid_from)
) STRICT;
-- A provider's credentials, and the consent gate's lookup (provider, then verdict and dates in the row).
CREATE INDEX credentials_by_provider ON credentials (provider_id, verdict, valid_until);
-- The dashboard's "expiring within N days" list: a range on valid_until.
CREATE INDEX credentials_by_expiry ON credentials (valid_until, id);
-- Directory filters by verdict, and the scheduled re-check: never checked (NULL) first, then oldest check first.
CREATE INDEX credentials_by_verdict ON credentials (verdict, provider_id);
CREATE INDEX credentials_by_checked ON credentials (checked_at, id);

-- Every verification of a stored credential: what was found, when, why, by whom and from which trigger.
CREATE TABLE credential_checks (
  id             INTEGER PRIMARY KEY,
  credential_id  INTEGER NOT NULL REFERENCES credentials (id),
  verdict        TEXT NOT NULL,
  reason         TEXT NOT NULL,
  checked_at     TEXT NOT NULL,
  trigger        TEXT NOT NULL CHECK (trigger IN ('on-demand', 'bulk', 'schedule', 'cli')),
  actor          TEXT,
  job_id         TEXT,
  block_number   INTEGER
) STRICT;
CREATE INDEX credential_checks_by_credential ON credential_checks (credential_id, id);

-- Status changes made here (suspend, revoke, reinstate). Each queues a 'credential.status' outbox event; until a
-- reinstatement, a local suspension or revocation outranks an 'active' status read from the chain.
CREATE TABLE credential_status_changes (
  id             INTEGER PRIMARY KEY,
  credential_id  INTEGER NOT NULL REFERENCES credentials (id),
  status         TEXT NOT NULL CHECK (status IN ('active', 'suspended', 'revoked')),
  reason         TEXT NOT NULL,
  actor          TEXT NOT NULL,
  -- Not a foreign key: the sync engine may prune confirmed outbox rows one day.
  outbox_id      INTEGER NOT NULL,
  created_at     TEXT NOT NULL
) STRICT;
CREATE INDEX credential_status_changes_by_credential ON credential_status_changes (credential_id, id);

-- Roster imports (providers and their signed credentials from a CSV). Counts change only inside the transaction
-- that commits the rows they count. Kept apart from import_runs, whose counts and formats are the consents'.
CREATE TABLE roster_import_runs (
  id                 INTEGER PRIMARY KEY,
  job_id             TEXT UNIQUE,
  file_name          TEXT NOT NULL,
  file_path          TEXT NOT NULL,
  file_size          INTEGER NOT NULL,
  file_hash          TEXT,
  rows_read          INTEGER NOT NULL DEFAULT 0,
  providers_added    INTEGER NOT NULL DEFAULT 0,
  providers_updated  INTEGER NOT NULL DEFAULT 0,
  credentials_added  INTEGER NOT NULL DEFAULT 0,
  duplicate          INTEGER NOT NULL DEFAULT 0,
  rejected           INTEGER NOT NULL DEFAULT 0,
  rejects_path       TEXT,
  outcome            TEXT CHECK (outcome IN ('succeeded', 'failed', 'cancelled')),
  error              TEXT,
  started_by         TEXT NOT NULL,
  created_at         TEXT NOT NULL,
  finished_at        TEXT
) STRICT;
