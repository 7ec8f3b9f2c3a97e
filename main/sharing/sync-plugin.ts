// The agreement.* sync plug-ins: proposals, signatures and terminations go to SharingAgreements in batches of one
// kind each; the pulled SharingAgreements events go to the agreements table through the sink (sink.ts), in chain
// order, and a reorg rebuilds the agreements whose events it removed. The proposal plug-in carries the reader.
import { systemAudit } from '../audit/system-audit';
import { contractInterface } from '../sync/contracts';
import type { AppliedStateContext, ChainEventReader, OutboxKind, ResendOutcome, SyncPlugin } from '../sync/plugin';
import { resendSame, type SameWrite } from '../sync/resend-same';
import {
  AGREEMENT_PROPOSE,
  AGREEMENT_SIGN,
  AGREEMENT_TERMINATE,
  proposalOf,
  signatureOf,
  terminationOf,
  type AgreementProposePayload,
  type AgreementSignPayload,
  type AgreementTerminatePayload,
} from './outbox-events';

/** One SharingAgreements event: ids, addresses, the commitment, sealed terms and signatures (the sharing domain applies it). */
export type ChainSharingEvent = { chainId: number; contract: string; agreementId: string; blockNumber: number; txHash: string } & (
  | { name: 'AgreementProposed'; partyA: string; partyB: string; commitment: string; sealedTerms: string }
  | { name: 'AgreementSigned'; party: string; signature: string }
  | { name: 'AgreementActivated' }
  | { name: 'AgreementTerminated'; party: string }
);

/** Where pulled SharingAgreements events go (the agreements table). Called inside the pull's transaction. */
export interface SharingChainSink {
  sharingEvent(event: ChainSharingEvent): void;
  /** After a reorg removed pulled events of these agreements: rebuild their state from the events that remain. */
  sharingRolledBack?(agreementIds: readonly string[]): void;
}

/**
 * SharingAgreements (contracts/test/SharingAgreements.sharing.test.ts prints the figures): one proposal measured
 * 137,400 gas with the transaction's own costs (three new slots, two events with the 285 bytes of sealed terms, one
 * ecrecover); one signature 68,700, one termination 65,600. Per item planned well above the marginal cost; few agreements are ever batched.
 */
export function agreementSync(deps: { sink?: SharingChainSink | null } = {}): [
  SyncPlugin<AgreementProposePayload, 'agreement.propose'>,
  SyncPlugin<AgreementSignPayload, 'agreement.sign'>,
  SyncPlugin<AgreementTerminatePayload, 'agreement.terminate'>,
] {
  const iface = () => contractInterface('SharingAgreements');
  const common = { contract: 'SharingAgreements', appliedEvent: 'SharingBatchApplied' } as const;
  return [
    {
      ...AGREEMENT_PROPOSE,
      ...common,
      method: 'proposeBatch',
      gas: { base: 60_000, perItem: 125_000, maxItems: 50 },
      encode: (batchId, payloads) => iface().encodeFunctionData('proposeBatch', [batchId, payloads.map(proposalOf)]),
      onAppliedWithoutLog: (ctx) => resendHeld(ctx, AGREEMENT_PROPOSE, (p, a) => (a.partyA === p.partyA.toLowerCase() && !a.terminated ? null : a.terminated ? 'the agreement is terminated' : 'the contract holds another proposal')),
      reader: sharingReader(deps.sink ?? null),
    },
    {
      ...AGREEMENT_SIGN,
      ...common,
      method: 'signBatch',
      gas: { base: 60_000, perItem: 55_000, maxItems: 100 },
      encode: (batchId, payloads) => iface().encodeFunctionData('signBatch', [batchId, payloads.map(signatureOf)]),
      onAppliedWithoutLog: (ctx) => resendHeld(ctx, AGREEMENT_SIGN, (p, a) => (a.terminated ? 'the agreement is terminated (its termination has its own event)' : signedBy(a, p.party) ? null : 'the contract holds no signature of that party')),
    },
    {
      ...AGREEMENT_TERMINATE,
      ...common,
      method: 'terminateBatch',
      gas: { base: 60_000, perItem: 55_000, maxItems: 100 },
      encode: (batchId, payloads) => iface().encodeFunctionData('terminateBatch', [batchId, payloads.map(terminationOf)]),
      onAppliedWithoutLog: (ctx) => resendHeld(ctx, AGREEMENT_TERMINATE, (_p, a) => (a.terminated ? null : 'the contract holds the agreement not terminated')),
    },
  ];
}

const hex = (v: unknown): string => String(v).toLowerCase();

/** An agreement as SharingAgreements.agreementOf returns it (addresses lowercase). */
interface HeldAgreement {
  partyA: string;
  partyB: string;
  signedA: boolean;
  signedB: boolean;
  terminated: boolean;
}

const signedBy = (a: HeldAgreement, party: string) => (party.toLowerCase() === a.partyA ? a.signedA : party.toLowerCase() === a.partyB ? a.signedB : false);

/**
 * Applied in storage, no event anywhere (a torn node state): each write the contract still holds as sent goes again
 * unchanged, and SharingAgreements announces it again with its events (a write it holds otherwise would revert the
 * whole batch, so it is named and left). `refuse` says why a write is not held as sent, or null.
 */
async function resendHeld<P extends { agreementId: string }>(ctx: AppliedStateContext, kind: OutboxKind<P>, refuse: (p: P, a: HeldAgreement) => string | null): Promise<ResendOutcome> {
  const contract = contractInterface('SharingAgreements');
  const writes: SameWrite<P>[] = [];
  for (const event of ctx.events) {
    const payload = kind.payload.parse(JSON.parse(event.payload));
    const ret = await ctx.provider.call({ to: ctx.contract, data: contract.encodeFunctionData('agreementOf', [payload.agreementId]), blockTag: ctx.blockTag });
    const [partyA, partyB, signedA, signedB, terminated] = contract.decodeFunctionResult('agreementOf', ret).toArray() as [string, string, boolean, boolean, boolean];
    const why = refuse(payload, { partyA: partyA.toLowerCase(), partyB: partyB.toLowerCase(), signedA, signedB, terminated });
    writes.push({ event, payload, verdict: why === null ? { resend: true } : { resend: false, why } });
  }
  return resendSame(ctx.db, kind, writes, {
    resent(db, oldId, newId) {
      const agreementId = writes.find((w) => w.event.id === oldId)!.payload.agreementId.toLowerCase();
      systemAudit(db, { action: 'sharing.agreement.resend', subject: `agreement:${agreementId}`, details: { reason: 'SYNC_APPLIED_WITHOUT_LOG', kind: kind.kind, batchId: ctx.batchId, outboxId: oldId, resentAs: newId } });
    },
  });
}

function sharingReader(sink: SharingChainSink | null): ChainEventReader {
  return {
    contract: 'SharingAgreements',
    batchEvents: ['SharingBatchApplied'],
    read({ log, desc, base, batchId }, ctx) {
      if (desc.name === 'SharingBatchApplied') return undefined;
      const a = desc.args;
      const sharing = sharingEventOf(desc.name, a, { chainId: ctx.chainId, contract: log.address, agreementId: hex(a.agreementId), blockNumber: base.blockNumber, txHash: base.txHash });
      if (!ctx.mirror.record({ ...base, batchId, subject: hex(a.agreementId), data: sharing ? flatData(sharing) : {} })) return { events: 0 };
      if (sharing) sink?.sharingEvent(sharing);
      return { events: 1 };
    },
    rolledBack(_ctx, _forkBlock, touched) {
      if (touched.length) sink?.sharingRolledBack?.(touched);
    },
  };
}

type SharingBase = { chainId: number; contract: string; agreementId: string; blockNumber: number; txHash: string };

function sharingEventOf(name: string, a: Record<string, unknown>, base: SharingBase): ChainSharingEvent | null {
  switch (name) {
    case 'AgreementProposed':
      return { ...base, name, partyA: String(a.partyA), partyB: String(a.partyB), commitment: hex(a.commitment), sealedTerms: hex(a.sealedTerms) };
    case 'AgreementSigned':
      return { ...base, name, party: String(a.party), signature: hex(a.signature) };
    case 'AgreementActivated':
      return { ...base, name };
    case 'AgreementTerminated':
      return { ...base, name, party: String(a.party) };
    default:
      return null;
  }
}

function flatData(e: ChainSharingEvent): Record<string, string | number | boolean> {
  const { chainId: _c, contract: _k, blockNumber: _b, txHash: _t, ...rest } = e;
  return rest as Record<string, string | number | boolean>;
}
