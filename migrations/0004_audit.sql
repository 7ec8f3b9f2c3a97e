-- 0004: the audit trail. Append-only (triggers refuse UPDATE and DELETE, and any INSERT that is not the next link)
-- and hash-chained: each entry stores the hash of the previous one. Merkle batches of entries are anchored on chain.

CREATE TABLE audit_log (
  id          INTEGER PRIMARY KEY CHECK (id >= 1),
  at          TEXT NOT NULL,
  actor_id    TEXT,
  actor_name  TEXT,
  actor_role  TEXT,
  workstation TEXT NOT NULL,
  action      TEXT NOT NULL,
  outcome     TEXT NOT NULL CHECK (outcome IN ('success', 'failure', 'denied', 'permit', 'deny', 'break-glass')),
  patient_id  INTEGER,
  subject     TEXT,
  details     TEXT NOT NULL DEFAULT '{}',
  prev_hash   TEXT NOT NULL CHECK (length(prev_hash) = 64),
  hash        TEXT NOT NULL UNIQUE CHECK (length(hash) = 64)
) STRICT;
CREATE INDEX audit_by_patient ON audit_log (patient_id, id) WHERE patient_id IS NOT NULL;
CREATE INDEX audit_by_actor ON audit_log (actor_id, id);
CREATE INDEX audit_by_action ON audit_log (action, id);
CREATE INDEX audit_by_time ON audit_log (at);
-- The dashboard's "break-glass accesses to review" list.
CREATE INDEX audit_break_glass ON audit_log (id) WHERE outcome = 'break-glass';

CREATE TRIGGER audit_log_no_update BEFORE UPDATE ON audit_log
BEGIN
  SELECT RAISE(ABORT, 'audit_log is append-only: entries cannot be changed');
END;

CREATE TRIGGER audit_log_no_delete BEFORE DELETE ON audit_log
BEGIN
  SELECT RAISE(ABORT, 'audit_log is append-only: entries cannot be deleted');
END;

-- Only the next link may be added: id = last id + 1 and prev_hash = the last entry's hash. Ordinary SQL then
-- cannot slip an entry into the middle of the chain or start a second chain.
CREATE TRIGGER audit_log_append_only BEFORE INSERT ON audit_log
WHEN NEW.id IS NOT coalesce((SELECT max(id) FROM audit_log), 0) + 1
  OR NEW.prev_hash IS NOT coalesce((SELECT hash FROM audit_log ORDER BY id DESC LIMIT 1), '0000000000000000000000000000000000000000000000000000000000000000')
BEGIN
  SELECT RAISE(ABORT, 'audit_log is append-only: a new entry must follow the last one (next id, its hash as prev_hash)');
END;

-- Consecutive runs of entries whose Merkle root goes to AuditAnchor through the sync outbox. Leaves are
-- [entry id (uint256), entry hash (bytes32)] in an OpenZeppelin StandardMerkleTree.
CREATE TABLE audit_batches (
  batch_id        TEXT PRIMARY KEY CHECK (length(batch_id) = 66),
  first_id        INTEGER NOT NULL,
  last_id         INTEGER NOT NULL,
  leaf_count      INTEGER NOT NULL,
  merkle_root     TEXT NOT NULL UNIQUE CHECK (length(merkle_root) = 66),
  previous_root   TEXT NOT NULL CHECK (length(previous_root) = 66),
  -- Merkle proof (JSON array of bytes32) of the batch's last leaf: with an intact hash chain it commits the root to
  -- every entry up to last_id, which lets a quick verification skip rebuilding each tree.
  last_leaf_proof TEXT NOT NULL,
  created_at      TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now')),
  CHECK (last_id >= first_id AND leaf_count = last_id - first_id + 1)
) STRICT;
CREATE UNIQUE INDEX audit_batches_by_range ON audit_batches (first_id);

CREATE TRIGGER audit_batches_no_update BEFORE UPDATE ON audit_batches
BEGIN
  SELECT RAISE(ABORT, 'audit_batches is append-only: a sealed batch cannot be changed');
END;

CREATE TRIGGER audit_batches_no_delete BEFORE DELETE ON audit_batches
BEGIN
  SELECT RAISE(ABORT, 'audit_batches is append-only: a sealed batch cannot be deleted');
END;

-- Batches are contiguous and their roots form a chain, as AuditAnchor requires.
CREATE TRIGGER audit_batches_contiguous BEFORE INSERT ON audit_batches
WHEN NEW.first_id IS NOT coalesce((SELECT last_id FROM audit_batches ORDER BY first_id DESC LIMIT 1), 0) + 1
  OR NEW.previous_root IS NOT coalesce((SELECT merkle_root FROM audit_batches ORDER BY first_id DESC LIMIT 1), '0x0000000000000000000000000000000000000000000000000000000000000000')
  OR NEW.last_id > coalesce((SELECT max(id) FROM audit_log), 0)
BEGIN
  SELECT RAISE(ABORT, 'audit_batches: a new batch must start after the last one, name its root as previous_root, and cover existing entries');
END;

-- Reviews of break-glass accesses (one per entry). Append-only like the trail they annotate; the review itself
-- is also recorded in audit_log by the API call that makes it.
CREATE TABLE audit_reviews (
  entry_id      INTEGER PRIMARY KEY REFERENCES audit_log (id),
  reviewer_id   TEXT NOT NULL,
  reviewer_name TEXT NOT NULL,
  reviewed_at   TEXT NOT NULL,
  note          TEXT NOT NULL DEFAULT ''
) STRICT;

CREATE TRIGGER audit_reviews_no_update BEFORE UPDATE ON audit_reviews
BEGIN
  SELECT RAISE(ABORT, 'audit_reviews is append-only: a review cannot be changed');
END;

CREATE TRIGGER audit_reviews_no_delete BEFORE DELETE ON audit_reviews
BEGIN
  SELECT RAISE(ABORT, 'audit_reviews is append-only: a review cannot be deleted');
END;
