-- 0015: a pulled consent change is applied only when its writer is a registered signer of this facility at the
-- change's block (read from ConsentLedger.facilityOf). One that is not (a forged ledger, replayed ciphertext under
-- another writer) is kept here as UNREGISTERED_WRITER: reported, never applied. SQLite cannot change a CHECK in
-- place, so the table is rebuilt with the same rows and the wider reason list.
CREATE TABLE sync_pending_consent_changes_new (
  id               INTEGER PRIMARY KEY,
  chain_id         INTEGER NOT NULL,
  block_number     INTEGER NOT NULL,
  block_hash       TEXT NOT NULL,
  log_index        INTEGER NOT NULL,
  tx_hash          TEXT NOT NULL,
  op_key           TEXT NOT NULL,
  reason           TEXT NOT NULL CHECK (reason IN ('UNKNOWN_PATIENT', 'UNKNOWN_CODE', 'UNOPENABLE', 'UNREGISTERED_WRITER')),
  patient_pseudonym TEXT,
  change_json      TEXT NOT NULL,
  first_seen       TEXT NOT NULL,
  UNIQUE (chain_id, block_number, log_index)
) STRICT;
INSERT INTO sync_pending_consent_changes_new (id, chain_id, block_number, block_hash, log_index, tx_hash, op_key, reason, patient_pseudonym, change_json, first_seen)
  SELECT id, chain_id, block_number, block_hash, log_index, tx_hash, op_key, reason, patient_pseudonym, change_json, first_seen FROM sync_pending_consent_changes;
DROP TABLE sync_pending_consent_changes;
ALTER TABLE sync_pending_consent_changes_new RENAME TO sync_pending_consent_changes;
CREATE INDEX sync_pending_consent_changes_by_patient ON sync_pending_consent_changes (patient_pseudonym);
