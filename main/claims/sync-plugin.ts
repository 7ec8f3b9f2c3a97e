// The claim.record sync plug-in: passing claims go to ClaimsLedger.recordBatch as salted commitments; the pulled
// ClaimRecorded / ClaimStatusChanged events (the payer's answer) go to the claims table through the sink
// (chain-sink.ts), and a reorg sets the claims it touched back to their newest remaining event.
import { systemAudit } from '../audit/system-audit';
import { contractInterface } from '../sync/contracts';
import type { AppliedStateContext, SyncPlugin } from '../sync/plugin';
import { resendSame, type SameWrite } from '../sync/resend-same';
import { CLAIM_RECORD, claimRecordOf, claimRecordPayload, type ClaimRecordPayload } from './outbox-events';
import { relinkClaimRecord } from './store';

/** A ClaimsLedger event as pulled: commitments, a status and a masked reason code; never PHI. */
export interface ChainClaimEvent {
  claimHash: string;
  blockNumber: number;
  txHash: string;
}

/** Where pulled ClaimsLedger events go (the claims table). Called inside the pull's transaction. */
export interface ClaimChainSink {
  claimRecorded(e: ChainClaimEvent): void;
  /** `sealedReason`: the payer's bytes8 reason code as masked on chain (only the claim's owner can unmask it). */
  claimStatusChanged(e: ChainClaimEvent & { status: 'accepted' | 'denied'; sealedReason: string; payer: string }): void;
  /** After a reorg dropped every pulled event above `forkBlock` (the remaining events are in sync_chain_events). */
  rolledBack(forkBlock: number): void;
}

const hex = (v: unknown): string => String(v).toLowerCase();

export function claimRecordSync(deps: { sink?: ClaimChainSink | null } = {}): SyncPlugin<ClaimRecordPayload, typeof CLAIM_RECORD.kind> {
  const sink = deps.sink ?? null;
  return {
    ...CLAIM_RECORD,
    contract: 'ClaimsLedger',
    method: 'recordBatch',
    // ClaimsLedger v3 recordBatch: ~46,800 gas per further claim (claim and payer-commitment slots), measured in
    // contracts/test/ClaimsLedger.test.ts; planned at 56,000.
    gas: { base: 80_000, perItem: 56_000, maxItems: 230 },
    appliedEvent: 'BatchApplied',
    encode: (batchId, payloads) => contractInterface('ClaimsLedger').encodeFunctionData('recordBatch', [batchId, payloads.map(claimRecordOf)]),
    // Applied in storage, no event anywhere (a torn node state): a claim the ledger holds still undecided is sent again
    // unchanged and the ledger announces it again (ClaimRecorded; the same payer commitment only); a decided one has
    // its payer's own event, which is what every workstation needs.
    async onAppliedWithoutLog(ctx) {
      return resendSame(ctx.db, CLAIM_RECORD, await heldUndecided(ctx), {
        resent(db, oldId, newId) {
          relinkClaimRecord(db, oldId, newId);
          systemAudit(db, { action: 'claim.resend', subject: `outbox:${oldId}`, details: { reason: 'SYNC_APPLIED_WITHOUT_LOG', batchId: ctx.batchId, outboxId: oldId, resentAs: newId } });
        },
      });
    },
    reader: {
      contract: 'ClaimsLedger',
      batchEvents: ['BatchApplied'],
      read({ desc, base, batchId }, ctx) {
        const a = desc.args;
        if (desc.name === 'ClaimRecorded') {
          const claim = { claimHash: hex(a.claimHash) };
          if (!ctx.mirror.record({ ...base, batchId, subject: claim.claimHash, data: claim })) return { events: 0 };
          sink?.claimRecorded({ ...claim, blockNumber: base.blockNumber, txHash: base.txHash });
          return { events: 1 };
        }
        if (desc.name === 'ClaimRecordSkipped') {
          return { events: ctx.mirror.record({ ...base, batchId, subject: hex(a.claimHash), data: {} }) ? 1 : 0 };
        }
        if (desc.name === 'ClaimStatusChanged') {
          const status = Number(a.status) === 2 ? 'accepted' : 'denied';
          const change = { status, sealedReason: hex(a.sealedReason), payer: String(a.payer) };
          const subject = hex(a.claimHash);
          if (!ctx.mirror.record({ ...base, batchId: null, subject, data: change })) return { events: 0 };
          sink?.claimStatusChanged({ claimHash: subject, status, sealedReason: change.sealedReason, payer: change.payer, blockNumber: base.blockNumber, txHash: base.txHash });
          return { events: 1 };
        }
        return undefined;
      },
      rolledBack(_ctx, forkBlock) {
        sink?.rolledBack(forkBlock);
      },
    },
  };
}

/** Each claim of the batch, and whether the ledger holds it recorded and undecided at the block the flag was read at. */
async function heldUndecided(ctx: AppliedStateContext): Promise<SameWrite<ClaimRecordPayload>[]> {
  const ledger = contractInterface('ClaimsLedger');
  const out: SameWrite<ClaimRecordPayload>[] = [];
  for (const event of ctx.events) {
    const payload = claimRecordPayload.parse(JSON.parse(event.payload));
    const ret = await ctx.provider.call({ to: ctx.contract, data: ledger.encodeFunctionData('packedStateOf', [payload.claimHash]), blockTag: ctx.blockTag });
    const status = Number(BigInt(ledger.decodeFunctionResult('packedStateOf', ret)[0] as bigint) & 0xffn);
    out.push({ event, payload, verdict: status === 2 || status === 3 ? { resend: false, why: 'its payer decided it (that decision has its own event)' } : { resend: true } });
  }
  return out;
}
