// Keys under which the contracts store state, computed here so no identifier of a person reaches the chain.
// Used by the sync batcher when it turns outbox rows into ConsentLedger ops, and by tests.
import { AbiCoder, keccak256 } from 'ethers';

const coder = AbiCoder.defaultAbiCoder();

/**
 * ConsentLedger key: keccak256(abi.encode(patientPseudonym, grantee, purpose, category)), each a bytes32
 * (already pseudonymised or hashed by the caller).
 */
export function consentKey(patientPseudonym: string, grantee: string, purpose: string, category: string): string {
  const types = ['bytes32', 'bytes32', 'bytes32', 'bytes32'];
  return keccak256(coder.encode(types, [patientPseudonym, grantee, purpose, category]));
}
