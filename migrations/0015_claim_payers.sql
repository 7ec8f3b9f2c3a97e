-- Claim payers by address (issue #12, item 4; assigned number 0016, numbered 0015 on its branch until 0015 lands): ClaimsLedger no longer carries keccak256("payer:" + id), which a list of
-- payer ids reverses. A claim is addressed to its payer by a per-claim commitment to the payer's signing address,
-- so the facility keeps here which address answers for each payer id (`custodian payer register PAYER_ID ADDRESS`).
-- A passing claim whose payer has no address yet waits (outbox_id NULL) and is queued when the address is set.
CREATE TABLE claim_payers (
  payer_id    TEXT PRIMARY KEY,
  address     TEXT NOT NULL CHECK (length(address) = 42 AND substr(address, 1, 2) = '0x'),
  created_at  TEXT NOT NULL,
  updated_at  TEXT NOT NULL
) STRICT;

-- Unsent claim records of the old shape (v1: payer hash and service day in clear) are dropped; their claims wait for
-- their payer's address like new ones and are queued again, as v2, once it is set.
UPDATE claims SET outbox_id = NULL
 WHERE outbox_id IN (SELECT id FROM outbox WHERE kind = 'claim.record' AND state = 'pending');
DELETE FROM outbox WHERE kind = 'claim.record' AND state = 'pending';
-- Claims from before salted commitments (no salt) cannot be committed to a payer: they stay as they are.
CREATE INDEX claims_waiting_for_payer ON claims (payer_id) WHERE verdict = 'pass' AND outbox_id IS NULL AND chain_salt IS NOT NULL;
