-- 0015: signed tree heads of the audit log. The log is an RFC 6962 Merkle tree over audit_log in id order (leaf i =
-- SHA-256(0x00 || hash of entry i+1)); a head (tree size, root, time) is signed with the workstation's key. Heads are
-- also appended to a file outside the database and anchored on chain; this table is the database's own copy.

CREATE TABLE audit_heads (
  tree_size   INTEGER PRIMARY KEY CHECK (tree_size >= 1),
  root_hash   TEXT NOT NULL CHECK (length(root_hash) = 66),
  -- Unix milliseconds when the head was signed.
  timestamp   INTEGER NOT NULL,
  trail_id    TEXT NOT NULL CHECK (length(trail_id) = 66),
  signer      TEXT NOT NULL CHECK (length(signer) = 42),
  signature   TEXT NOT NULL,
  created_at  TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now'))
) STRICT;

CREATE TRIGGER audit_heads_no_update BEFORE UPDATE ON audit_heads
BEGIN
  SELECT RAISE(ABORT, 'audit_heads is append-only: a signed head cannot be changed');
END;

CREATE TRIGGER audit_heads_no_delete BEFORE DELETE ON audit_heads
BEGIN
  SELECT RAISE(ABORT, 'audit_heads is append-only: a signed head cannot be deleted');
END;

-- A log only grows: each head covers more entries than the last, and no more than exist.
CREATE TRIGGER audit_heads_growing BEFORE INSERT ON audit_heads
WHEN NEW.tree_size <= coalesce((SELECT max(tree_size) FROM audit_heads), 0)
  OR NEW.tree_size > coalesce((SELECT max(id) FROM audit_log), 0)
BEGIN
  SELECT RAISE(ABORT, 'audit_heads: a new head must cover more entries than the last one, and no more than exist');
END;
