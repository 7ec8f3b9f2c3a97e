-- A bulk revoke's undo outlives the console run that made it: the action (its author, the reason the revokes carry,
-- the outbox range of their chain events, until when it may be undone, and when it was undone) and each consent it
-- revoked with the state it had before (status, seq, order stamp). Undo reads these rows, not process memory, so after
-- a restart its author can still undo it and nobody else can; `undone_at` is set once, in the undo's own transaction.
CREATE TABLE bulk_revokes (
  id          TEXT PRIMARY KEY CHECK (length(id) = 36),
  actor_id    TEXT NOT NULL,
  reason      TEXT NOT NULL,
  outbox_from INTEGER NOT NULL,
  outbox_to   INTEGER NOT NULL,
  created_at  TEXT NOT NULL,
  -- ISO time after which undo is refused (BULK_UNDO_EXPIRED); NULL: no window.
  undo_until  TEXT,
  undone_at   TEXT,
  undone_by   TEXT,
  CHECK ((undone_at IS NULL) = (undone_by IS NULL))
) STRICT;
CREATE INDEX bulk_revokes_by_actor ON bulk_revokes (actor_id, created_at);

CREATE TABLE bulk_revoke_consents (
  bulk_id      TEXT NOT NULL REFERENCES bulk_revokes (id),
  consent_id   INTEGER NOT NULL REFERENCES consents (id),
  prior_status TEXT NOT NULL CHECK (prior_status = 'active'),
  prior_seq    INTEGER NOT NULL,
  prior_hlc    TEXT NOT NULL CHECK (length(prior_hlc) = 16),
  PRIMARY KEY (bulk_id, consent_id)
) STRICT, WITHOUT ROWID;

-- Consent search by any part of a patient's name or MRN from an index instead of a scan of patients: an FTS5 table
-- with the trigram tokenizer (a phrase of three or more characters matches wherever it occurs, case-insensitively),
-- holding its content in patients (external content) and kept in step with it by the triggers below. The index lives
-- in the same encrypted database file as the table it indexes.
CREATE VIRTUAL TABLE patients_fts USING fts5(mrn, name, content = 'patients', content_rowid = 'id', tokenize = 'trigram');
CREATE TRIGGER patients_fts_after_insert AFTER INSERT ON patients BEGIN
  INSERT INTO patients_fts (rowid, mrn, name) VALUES (new.id, new.mrn, new.name);
END;
CREATE TRIGGER patients_fts_after_delete AFTER DELETE ON patients BEGIN
  INSERT INTO patients_fts (patients_fts, rowid, mrn, name) VALUES ('delete', old.id, old.mrn, old.name);
END;
CREATE TRIGGER patients_fts_after_update AFTER UPDATE OF mrn, name ON patients BEGIN
  INSERT INTO patients_fts (patients_fts, rowid, mrn, name) VALUES ('delete', old.id, old.mrn, old.name);
  INSERT INTO patients_fts (rowid, mrn, name) VALUES (new.id, new.mrn, new.name);
END;
-- Patients already on file.
INSERT INTO patients_fts (patients_fts) VALUES ('rebuild');
