-- 0001: the foundation: settings, background jobs, and the sync outbox.
-- Released migrations are never edited; a change goes in a new numbered file.

CREATE TABLE settings (
  key        TEXT PRIMARY KEY,
  value      TEXT NOT NULL,
  updated_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now'))
) STRICT;

-- Long jobs (imports, bulk verification, backups) run in worker threads; their rows survive a crash so
-- the next start can offer to resume from the checkpoint.
CREATE TABLE jobs (
  id          TEXT PRIMARY KEY,
  kind        TEXT NOT NULL,
  state       TEXT NOT NULL CHECK (state IN ('queued', 'running', 'succeeded', 'failed', 'cancelled', 'interrupted')),
  params      TEXT NOT NULL DEFAULT '{}',
  done        INTEGER NOT NULL DEFAULT 0,
  total       INTEGER,
  errors      INTEGER NOT NULL DEFAULT 0,
  checkpoint  TEXT,
  result      TEXT,
  error       TEXT,
  created_at  TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now')),
  started_at  TEXT,
  finished_at TEXT
) STRICT;
CREATE INDEX jobs_by_state ON jobs (state, created_at);

-- Events waiting to go to the chain. Payloads hold pseudonyms and hashes only, never PHI.
CREATE TABLE outbox (
  id          INTEGER PRIMARY KEY,
  kind        TEXT NOT NULL,
  payload     TEXT NOT NULL,
  state       TEXT NOT NULL DEFAULT 'pending' CHECK (state IN ('pending', 'batched', 'sent', 'confirmed', 'failed')),
  batch_id    TEXT,
  attempts    INTEGER NOT NULL DEFAULT 0,
  last_error  TEXT,
  created_at  TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now')),
  updated_at  TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now'))
) STRICT;
CREATE INDEX outbox_by_state_kind ON outbox (state, kind, id);
CREATE INDEX outbox_by_batch ON outbox (batch_id) WHERE batch_id IS NOT NULL;
