// ABI bindings of the contracts for the sync engine: interfaces, configured addresses, and the named errors
// that mean "this batch is already on chain" (a resend that reverts with them is a confirmation, not a failure).
import { Interface } from 'ethers';
import { loadArtifact, type ContractName } from '../chain/artifacts';

const cache = new Map<ContractName, Interface>();

export function contractInterface(name: ContractName): Interface {
  let iface = cache.get(name);
  if (!iface) {
    iface = new Interface(loadArtifact(name).abi);
    cache.set(name, iface);
  }
  return iface;
}

/** Custom errors a replayed batch reverts with. */
export const ALREADY_APPLIED_ERRORS: ReadonlySet<string> = new Set(['BatchAlreadyApplied', 'BatchAlreadyAnchored']);

/**
 * Addresses of the deployed contracts. SharingAgreements and ClaimsLedger came later: an external configuration
 * may lack them, and then their events wait in the outbox ("not configured") instead of failing.
 */
export type ContractAddresses = Record<Exclude<ContractName, OptionalContract>, string> & Partial<Record<OptionalContract, string>>;

/** Contracts an older external configuration may not name. */
export type OptionalContract = 'SharingAgreements' | 'ClaimsLedger';

/** The address of `contract`, or null when it is not configured. */
export function addressOf(contracts: ContractAddresses, contract: ContractName): string | null {
  return contracts[contract] ?? null;
}

/** Decodes revert data against every contract's errors; the name and arguments, or null when unknown. */
export function decodeRevert(data: string): { name: string; args: string[]; contract: ContractName } | null {
  for (const name of ['ConsentLedger', 'CredentialRegistry', 'AuditAnchor', 'SharingAgreements', 'ClaimsLedger'] as const) {
    try {
      const parsed = contractInterface(name).parseError(data);
      if (parsed) return { name: parsed.name, args: parsed.args.map((a: unknown) => String(a)), contract: name };
    } catch {
      // not this contract's error
    }
  }
  return null;
}
