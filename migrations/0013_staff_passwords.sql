-- 0016: passwords an IT admin set are temporary, and account changes that could hand an IT admin patient access
-- raise an alert the auditor sees.

-- 1 after an account is created by an IT admin or its password is reset: until its owner picks a new password,
-- a session of that account may only change the password or sign out (enforced by the dispatcher).
ALTER TABLE staff ADD COLUMN must_change_password INTEGER NOT NULL DEFAULT 0 CHECK (must_change_password IN (0, 1));

-- Account management by an IT admin that could give a person patient access (a new clinical account, a role
-- with patient access, a reset password of a clinical or IT-admin account): shown on the Audit page.
CREATE TABLE staff_alerts (
  id               INTEGER PRIMARY KEY,
  kind             TEXT NOT NULL CHECK (kind IN ('clinical-account-created', 'clinical-role-granted', 'password-reset')),
  actor_id         TEXT NOT NULL,
  actor_name       TEXT NOT NULL,
  target_staff_id  TEXT NOT NULL REFERENCES staff (id),
  target_username  TEXT NOT NULL,
  role             TEXT NOT NULL,
  created_at       TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now'))
) STRICT;
CREATE INDEX staff_alerts_by_time ON staff_alerts (created_at);
