-- 0032: indexes that named the row id, which every entry already ends with (issue #14 item 4). Each entry of an
-- index on a rowid table is its columns and then the rowid; an index declared on (x, id), where id is the INTEGER
-- PRIMARY KEY (the rowid's name), stored the id twice, 4 bytes and a header byte per entry at 1,000,000 consents
-- (measured with dbstat: consents_by_period_start held 13.7 B of payload per entry for a 4-byte period and two ids).
-- Declared on (x) alone, an index holds the same keys in the same order (ties by rowid), so every query walks it as
-- before: an equality on x then a range or order on id (SQLite reads the rowid as the index's last column), and a
-- keyset page (x, id) < (?, ?), which seeks on x and filters on both either way. The query-plan tests of each reader
-- pin that (consents/query-plans, sort, handlers, search; audit, credentials, claims, sync).
-- Same names, same conditions. audit_break_glass (id) WHERE ... keeps its one column: an index needs one.
-- The migration runner copies the database (VACUUM INTO) before applying this.
DROP INDEX consents_by_grantee;
CREATE INDEX consents_by_grantee ON consents (grantee);
DROP INDEX consents_by_period_start;
CREATE INDEX consents_by_period_start ON consents (period_start);
DROP INDEX consents_rare_purpose;
CREATE INDEX consents_rare_purpose ON consents (purpose_code) WHERE purpose_code <> 0;
DROP INDEX consents_not_active;
CREATE INDEX consents_not_active ON consents (status_code) WHERE status_code <> 0;
DROP INDEX outbox_by_state_kind;
CREATE INDEX outbox_by_state_kind ON outbox (state_code, kind_code);
DROP INDEX consent_history_by_consent;
CREATE INDEX consent_history_by_consent ON consent_history (consent_id);
DROP INDEX audit_by_patient;
CREATE INDEX audit_by_patient ON audit_log (patient_id) WHERE patient_id IS NOT NULL;
DROP INDEX audit_by_actor;
CREATE INDEX audit_by_actor ON audit_log (actor_id);
DROP INDEX audit_by_action;
CREATE INDEX audit_by_action ON audit_log (action);
DROP INDEX providers_by_name;
CREATE INDEX providers_by_name ON providers (name);
DROP INDEX credentials_by_expiry;
CREATE INDEX credentials_by_expiry ON credentials (valid_until);
DROP INDEX credentials_by_checked;
CREATE INDEX credentials_by_checked ON credentials (checked_at);
DROP INDEX credential_checks_by_credential;
CREATE INDEX credential_checks_by_credential ON credential_checks (credential_id);
DROP INDEX credential_status_changes_by_credential;
CREATE INDEX credential_status_changes_by_credential ON credential_status_changes (credential_id);
DROP INDEX claims_by_verdict;
CREATE INDEX claims_by_verdict ON claims (verdict);
DROP INDEX claims_by_chain_status;
CREATE INDEX claims_by_chain_status ON claims (chain_status);
DROP INDEX claims_by_payer;
CREATE INDEX claims_by_payer ON claims (payer_id);
DROP INDEX claims_by_service_date;
CREATE INDEX claims_by_service_date ON claims (service_date);
DROP INDEX import_runs_by_kind;
CREATE INDEX import_runs_by_kind ON import_runs (kind);
