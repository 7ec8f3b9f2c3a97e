// Per-kind encoders: outbox payloads -> one contract call (ConsentLedger.applyBatch, CredentialRegistry.setStatuses,
// AuditAnchor.anchor), with the gas model the batcher plans with. Pure apart from reading the ABI artifacts.
import { contractInterface, CONTRACT_OF_KIND } from './contracts';
import { packConsentState, type ConsentOp } from './consent-state';
import { claimRecordOf } from '../claims/outbox-events';
import type { AuditRootPayload, ClaimRecordPayload, ConsentChangePayload, CredentialStatusPayload, SyncKind } from './payloads';

export interface GasModel {
  /** Gas of the call with no items: the 21,000 of a transaction, the role check, the replay guard, events. */
  base: number;
  /** Worst-case gas of one item (a new storage slot), with a margin over what was measured. */
  perItem: number;
  /** Most items one call may hold whatever the gas says. */
  maxItems: number;
}

/**
 * Measured against anvil (contracts/test): a ConsentLedger op on a new key costs ~28,500 gas, on an existing key
 * ~11,400; a CredentialRegistry update on a new credential ~30,000. Planned with the new-key cost plus ~10%.
 * An AuditAnchor.anchor costs ~162,000 for a trail's first root (new trail slots) and ~128,000 after.
 */
export const GAS_MODELS: Record<SyncKind, GasModel> = {
  'consent.change': { base: 80_000, perItem: 31_500, maxItems: 400 },
  'credential.status': { base: 80_000, perItem: 36_000, maxItems: 350 },
  'audit.root': { base: 180_000, perItem: 0, maxItems: 1 },
  // ClaimsLedger.recordBatch: ~25,000 gas per new claim measured (contracts/test/ClaimsLedger.test.ts), +~25%.
  'claim.record': { base: 80_000, perItem: 31_000, maxItems: 400 },
};

export function consentOpOf(p: ConsentChangePayload): ConsentOp {
  return {
    patientPseudonym: p.patientPseudonym,
    grantee: p.granteeHash,
    purpose: p.purposeHash,
    category: p.categoryHash,
    documentHash: p.documentHash,
    state: packConsentState({ decision: p.decision === 'permit' ? 1 : 2, revoked: p.revoked, validFrom: p.validFrom, validUntil: p.validUntil, seq: p.seq }),
  };
}

const STATUS_CODES: Record<CredentialStatusPayload['status'], number> = { active: 1, suspended: 2, revoked: 3 };

/** The calldata of the one transaction that carries a batch of `kind`. */
export function encodeBatchCall(kind: SyncKind, batchId: string, payloads: readonly unknown[]): string {
  const iface = contractInterface(CONTRACT_OF_KIND[kind]);
  switch (kind) {
    case 'consent.change':
      return iface.encodeFunctionData('applyBatch', [batchId, (payloads as ConsentChangePayload[]).map(consentOpOf)]);
    case 'credential.status':
      return iface.encodeFunctionData('setStatuses', [
        batchId,
        (payloads as CredentialStatusPayload[]).map((p) => ({ credentialHash: p.credentialHash, status: STATUS_CODES[p.status], expiresAt: p.expiresAt, issuer: p.issuer })),
      ]);
    case 'claim.record':
      return iface.encodeFunctionData('recordBatch', [batchId, (payloads as ClaimRecordPayload[]).map(claimRecordOf)]);
    case 'audit.root': {
      if (payloads.length !== 1) throw new RangeError(`an audit.root batch holds exactly one root, got ${payloads.length}`);
      const p = payloads[0] as AuditRootPayload;
      return iface.encodeFunctionData('anchor', [p.trailId, p.batchId, p.merkleRoot, p.leafCount, p.previousRoot]);
    }
  }
}

/**
 * How to ask the chain whether a batch is already applied: ConsentLedger and CredentialRegistry keep the sync
 * batch id; AuditAnchor keeps the audit batch id from the payload.
 */
export function appliedCheckCall(kind: SyncKind, batchId: string, payloads: readonly unknown[]): { data: string; decode: (ret: string) => boolean } {
  const iface = contractInterface(CONTRACT_OF_KIND[kind]);
  if (kind === 'audit.root') {
    const p = payloads[0] as AuditRootPayload;
    return {
      data: iface.encodeFunctionData('anchorOf', [p.batchId]),
      decode: (ret) => BigInt(iface.decodeFunctionResult('anchorOf', ret).getValue('merkleRoot') as string) !== 0n,
    };
  }
  return {
    data: iface.encodeFunctionData('batchApplied', [batchId]),
    decode: (ret) => Boolean(iface.decodeFunctionResult('batchApplied', ret)[0]),
  };
}
