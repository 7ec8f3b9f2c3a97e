-- Claim commitments (issue #12; assigned number 0012, numbered 0011 on its branch until 0011 lands): the on-chain
-- commitment of a passing claim is salted per claim. A random 128-bit salt is kept here and handed to the payer
-- off chain (claim detail, `chainSalt`); the chain sees only
-- keccak256(abi.encode("custodian.claim.commitment.v1", salt, content_hash)), which a dictionary of codes, amounts
-- and pseudonyms cannot reach. Claims stored before this migration keep their unsalted hash (commitment = NULL).
ALTER TABLE claims ADD COLUMN chain_salt TEXT;
ALTER TABLE claims ADD COLUMN chain_commitment TEXT;
CREATE UNIQUE INDEX claims_by_commitment ON claims (chain_commitment) WHERE chain_commitment IS NOT NULL;
