-- 0011: the consent ordering rule of ConsentLedger v2 (main/sync/README.md): every change carries an order key
-- (hlc, rank, writer) instead of a per-workstation seq; conflicts a person must see; pulled changes kept until they
-- can be applied. Nothing in these tables goes on chain in clear.

-- The hlc stamp of the key's last change, as 16 hex digits (text order is numeric order; a stamp exceeds 2^53).
-- hlc_writer: the signer that wrote it, lowercase; NULL for a change written here that the chain has not echoed yet.
ALTER TABLE consents ADD COLUMN hlc TEXT NOT NULL DEFAULT '0000000000000000' CHECK (length(hlc) = 16);
ALTER TABLE consents ADD COLUMN hlc_writer TEXT;
-- Rows written before v2 keep their seq as their stamp: any stamp from a clock beats them.
UPDATE consents SET hlc = printf('%016x', seq);
-- Rows that are not a change still waiting to be sent count as landed (writer unknown: the zero address).
UPDATE consents SET hlc_writer = '0x0000000000000000000000000000000000000000'
 WHERE source = 'chain' OR id NOT IN (SELECT json_extract(payload, '$.consentId') FROM outbox WHERE kind = 'consent.change' AND state <> 'confirmed');

-- Queued consent changes move to payload v2 (the stamp replaces seq; the grantee travels sealed, so it is named).
UPDATE outbox
   SET payload = json_remove(json_set(payload, '$.v', 2, '$.hlc', printf('%016x', json_extract(payload, '$.seq')), '$.prevHlc', '0000000000000000',
                   '$.granteeKind', (SELECT grantee_kind FROM consents c WHERE c.id = json_extract(outbox.payload, '$.consentId')),
                   '$.grantee', (SELECT grantee FROM consents c WHERE c.id = json_extract(outbox.payload, '$.consentId'))), '$.seq')
 WHERE kind = 'consent.change' AND state <> 'confirmed' AND json_extract(payload, '$.v') = 1;

-- The chain mirror keeps the order key as one sortable text: hlc (16 hex) || rank (0/1) || writer (40 hex).
ALTER TABLE sync_chain_consents ADD COLUMN order_key TEXT NOT NULL DEFAULT '';

-- A change of this workstation that lost under the ordering rule: skipped on chain (STALE, FUTURE) or overridden by a
-- pulled change with a greater order key (OVERRIDDEN) before it landed. One row per outbox event; resolved by a person
-- (accept the winner, or re-apply mine as a new change with a fresh stamp).
CREATE TABLE consent_conflicts (
  id               INTEGER PRIMARY KEY,
  outbox_id        INTEGER NOT NULL UNIQUE REFERENCES outbox (id),
  consent_id       INTEGER NOT NULL REFERENCES consents (id),
  op_key           TEXT NOT NULL,
  reason           TEXT NOT NULL CHECK (reason IN ('STALE', 'FUTURE', 'OVERRIDDEN')),
  my_order         TEXT NOT NULL,
  winning_order    TEXT,
  winning_writer   TEXT,
  batch_id         TEXT,
  tx_hash          TEXT,
  raised_at        TEXT NOT NULL,
  resolution       TEXT CHECK (resolution IS NULL OR resolution IN ('accepted', 'reapplied')),
  resolved_at      TEXT,
  resolved_by      TEXT,
  CHECK ((resolution IS NULL) = (resolved_at IS NULL))
) STRICT;
CREATE INDEX consent_conflicts_open ON consent_conflicts (consent_id) WHERE resolution IS NULL;

-- A pulled consent change this workstation cannot apply yet: its patient is not in this database (applied when the
-- patient appears), or it did not open under the facility key (UNOPENABLE: reported, never applied). The sealed
-- change is kept as pulled, so nothing is lost when the cursor moves on.
CREATE TABLE sync_pending_consent_changes (
  id               INTEGER PRIMARY KEY,
  chain_id         INTEGER NOT NULL,
  block_number     INTEGER NOT NULL,
  block_hash       TEXT NOT NULL,
  log_index        INTEGER NOT NULL,
  tx_hash          TEXT NOT NULL,
  op_key           TEXT NOT NULL,
  reason           TEXT NOT NULL CHECK (reason IN ('UNKNOWN_PATIENT', 'UNKNOWN_CODE', 'UNOPENABLE')),
  patient_pseudonym TEXT,
  change_json      TEXT NOT NULL,
  first_seen       TEXT NOT NULL,
  UNIQUE (chain_id, block_number, log_index)
) STRICT;
CREATE INDEX sync_pending_consent_changes_by_patient ON sync_pending_consent_changes (patient_pseudonym);
