// Per-kind encoders: outbox payloads -> one contract call (ConsentLedger.applyBatch, CredentialRegistry.setStatuses,
// AuditAnchor.anchor), with the gas model the batcher plans with. Pure apart from reading the ABI artifacts.
import { contractInterface, CONTRACT_OF_KIND } from '../sync/contracts';
import { AppError } from '../api/errors';
import type { ConsentSealer } from './ledger-seal';
import { categoryCodeOf, hlcOfText, packOrder, purposeCodeOf, type ConsentOp } from './consent-state';
import type { AuditRootPayload, ClaimRecordPayload, ConsentChangePayload, CredentialStatusPayload, SyncKind } from '../credentials/sync-plugin';
import { proposalOf, signatureOf, terminationOf } from '../sharing/outbox-events';
import type { AgreementProposePayload, AgreementSignPayload, AgreementTerminatePayload } from '../sharing/outbox-events';
import { claimRecordOf } from '../claims/outbox-events';

export interface GasModel {
  /** Gas of the call with no items: the 21,000 of a transaction, the role check, the replay guard, events. */
  base: number;
  /** Worst-case gas of one item (a new storage slot), with a margin over what was measured. */
  perItem: number;
  /** Most items one call may hold whatever the gas says. */
  maxItems: number;
}

/**
 * Measured against anvil (contracts/test): a ConsentLedger v2 op on a new key costs ~30,800 gas, on an existing key
 * ~13,800 (one slot per key; the sealed terms, 144 bytes, in calldata and in the event); a CredentialRegistry update
 * on a new credential ~30,000. Planned with the new-key cost plus ~10%.
 * An AuditAnchor.anchorHead costs ~94,000 gas for a trail's first head and ~79,000 after (contracts/test prints it).
 */
export const GAS_MODELS: Record<SyncKind, GasModel> = {
  'consent.change': { base: 80_000, perItem: 34_500, maxItems: 400 },
  // With the issuer's signature: ~30,000 for a new credential's slot, ~3,000 ecrecover, ~2,000 for 96 more bytes
  // of calldata and the skip checks; planned at 45,000.
  'credential.status': { base: 80_000, perItem: 45_000, maxItems: 250 },
  // AuditAnchor v2 head: ~94,000 for a trail's first head, ~79,000 after.
  'audit.root': { base: 180_000, perItem: 0, maxItems: 1 },
  // SharingAgreements (contracts/test/SharingAgreements.sharing.test.ts prints the figures): one proposal measured
  // 134,000 gas with the transaction's own costs (three new slots, two events, one ecrecover); one signature 69,500,
  // one termination 65,400. Per item planned well above the marginal cost; few agreements are ever batched.
  'agreement.propose': { base: 60_000, perItem: 125_000, maxItems: 50 },
  'agreement.sign': { base: 60_000, perItem: 55_000, maxItems: 100 },
  'agreement.terminate': { base: 60_000, perItem: 55_000, maxItems: 100 },
  // ClaimsLedger.recordBatch: ~25,000 gas per new claim measured, plus ~22,000 for the claim's payer slot
  // (contracts/test/ClaimsLedger.test.ts prints it); planned at 56,000.
  'claim.record': { base: 80_000, perItem: 56_000, maxItems: 230 },
};

/**
 * The ConsentLedger v2 op for a payload: the keyed op key, the order word (decision, revoked, hlc) and the terms sealed
 * under the facility secret. Purpose and category hashes must be in the ledger's code tables (checked in payloads.ts).
 */
export function consentOpOf(p: ConsentChangePayload, sealer: ConsentSealer): ConsentOp {
  const purposeCode = purposeCodeOf(p.purposeHash);
  const categoryCode = categoryCodeOf(p.categoryHash);
  if (purposeCode === undefined || categoryCode === undefined) throw new RangeError('consent.change: purposeHash or categoryHash has no ledger code');
  const decision = p.decision === 'permit' ? 1 : 2;
  const terms = { patientPseudonym: p.patientPseudonym, granteeKind: p.granteeKind, grantee: p.grantee, purposeCode, categoryCode, validFrom: p.validFrom, validUntil: p.validUntil, decision, revoked: p.revoked, documentHash: p.documentHash, prevHlc: hlcOfText(p.prevHlc) } as const;
  const opKey = sealer.opKey(terms);
  const order = packOrder({ decision, revoked: p.revoked, hlc: hlcOfText(p.hlc) });
  return { opKey, order, sealedTerms: sealer.seal(terms, opKey, order) };
}

/** What encoding a batch may need besides its payloads: the facility's sealer for consent changes. */
export interface EncodeKeys {
  consentSealer?: ConsentSealer | null;
}

const STATUS_CODES: Record<CredentialStatusPayload['status'], number> = { active: 1, suspended: 2, revoked: 3 };

/** The calldata of the one transaction that carries a batch of `kind`. */
export function encodeBatchCall(kind: SyncKind, batchId: string, payloads: readonly unknown[], keys: EncodeKeys = {}): string {
  const iface = contractInterface(CONTRACT_OF_KIND[kind]);
  switch (kind) {
    case 'consent.change': {
      const sealer = keys.consentSealer;
      if (!sealer) throw new AppError('SYNC_FACILITY_SECRET_MISSING', 'Consent changes cannot be sent: this workstation has no facility secret to seal them with (custodian facility-secret import).');
      return iface.encodeFunctionData('applyBatch', [batchId, (payloads as ConsentChangePayload[]).map((p) => consentOpOf(p, sealer))]);
    }
    case 'credential.status':
      return iface.encodeFunctionData('setStatuses', [
        batchId,
        (payloads as CredentialStatusPayload[]).map((p) => ({
          credentialHash: p.credentialHash,
          status: STATUS_CODES[p.status],
          expiresAt: p.expiresAt,
          issuer: p.issuer,
          nonce: p.nonce,
          deadline: p.deadline,
          signature: p.signature,
        })),
      ]);
    case 'agreement.propose':
      return iface.encodeFunctionData('proposeBatch', [batchId, (payloads as AgreementProposePayload[]).map(proposalOf)]);
    case 'agreement.sign':
      return iface.encodeFunctionData('signBatch', [batchId, (payloads as AgreementSignPayload[]).map(signatureOf)]);
    case 'agreement.terminate':
      return iface.encodeFunctionData('terminateBatch', [batchId, (payloads as AgreementTerminatePayload[]).map(terminationOf)]);
    case 'claim.record':
      return iface.encodeFunctionData('recordBatch', [batchId, (payloads as ClaimRecordPayload[]).map(claimRecordOf)]);
    case 'audit.root': {
      if (payloads.length !== 1) throw new RangeError(`an audit.root batch holds exactly one root, got ${payloads.length}`);
      const p = payloads[0] as AuditRootPayload;
      return iface.encodeFunctionData('anchorHead', [p.treeSize, p.rootHash]);
    }
  }
}

/**
 * How to ask the chain whether a batch is already applied. Contracts that bind ids to their sender
 * (`batchApplied(address, bytes32)`) are asked about `sender`'s id; ConsentLedger (global ids until it binds them)
 * about the id alone; AuditAnchor keeps heads per sending account, so a head is applied only when the sender's own
 * trail holds exactly this root at this size (another account's head, or another root, is not ours). `bySyncId`
 * says whether a new sync batch id escapes a taken one (false for audit heads: their identity is the head itself).
 */
export function appliedCheckCall(kind: SyncKind, batchId: string, payloads: readonly unknown[], sender: string): { data: string; decode: (ret: string) => boolean; bySyncId: boolean } {
  const iface = contractInterface(CONTRACT_OF_KIND[kind]);
  if (kind === 'consent.change') {
    // ConsentLedger binds batch ids to their sender: only our own application of the batch counts.
    return { data: iface.encodeFunctionData('batchApplied', [sender, batchId]), decode: (ret) => Boolean(iface.decodeFunctionResult('batchApplied', ret)[0]), bySyncId: true };
  }
  if (kind === 'audit.root') {
    const p = payloads[0] as AuditRootPayload;
    if (!sender) return { data: iface.encodeFunctionData('headCount', [`0x${'00'.repeat(20)}`]), decode: () => false, bySyncId: false };
    return {
      data: iface.encodeFunctionData('rootOf', [sender, p.treeSize]),
      decode: (ret) => (iface.decodeFunctionResult('rootOf', ret).getValue('rootHash') as string).toLowerCase() === p.rootHash.toLowerCase(),
      bySyncId: false,
    };
  }
  const bound = iface.getFunction('batchApplied')!.inputs.length === 2;
  return {
    data: iface.encodeFunctionData('batchApplied', bound ? [sender, batchId] : [batchId]),
    decode: (ret) => Boolean(iface.decodeFunctionResult('batchApplied', ret)[0]),
    bySyncId: true,
  };
}
