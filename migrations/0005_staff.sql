-- 0005: staff accounts and sign-in sessions. Passwords are scrypt hashes with a per-user salt; five failed
-- attempts lock an account for a period; sessions expire after inactivity.

CREATE TABLE staff (
  id                  TEXT PRIMARY KEY,
  username            TEXT NOT NULL UNIQUE COLLATE NOCASE,
  display_name        TEXT NOT NULL,
  role                TEXT NOT NULL CHECK (role IN ('records_clerk', 'records_manager', 'it_admin', 'auditor')),
  password_hash       TEXT NOT NULL,
  failed_attempts     INTEGER NOT NULL DEFAULT 0,
  locked_until        TEXT,
  disabled            INTEGER NOT NULL DEFAULT 0 CHECK (disabled IN (0, 1)),
  created_at          TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now')),
  updated_at          TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now')),
  password_changed_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now'))
) STRICT;

-- Only a SHA-256 of each session token is stored, so a copy of the database opens no session.
CREATE TABLE staff_sessions (
  token_hash   TEXT PRIMARY KEY,
  staff_id     TEXT NOT NULL REFERENCES staff (id),
  transport    TEXT NOT NULL,
  created_at   TEXT NOT NULL,
  last_seen_at TEXT NOT NULL,
  ended_at     TEXT,
  end_reason   TEXT
) STRICT;
CREATE INDEX staff_sessions_by_staff ON staff_sessions (staff_id, ended_at);
