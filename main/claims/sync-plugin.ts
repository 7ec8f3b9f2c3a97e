// The claim.record sync plug-in: passing claims go to ClaimsLedger.recordBatch as salted commitments; the pulled
// ClaimRecorded / ClaimStatusChanged events (the payer's answer) go to the claims table through the sink
// (chain-sink.ts), and a reorg sets the claims it touched back to their newest remaining event.
import { contractInterface } from '../sync/contracts';
import type { SyncPlugin } from '../sync/plugin';
import { CLAIM_RECORD, claimRecordOf, type ClaimRecordPayload } from './outbox-events';

/** A ClaimsLedger event as pulled: hashes, a day number, a status and reason code; never PHI. */
export interface ChainClaimEvent {
  claimHash: string;
  blockNumber: number;
  txHash: string;
}

/** Where pulled ClaimsLedger events go (the claims table). Called inside the pull's transaction. */
export interface ClaimChainSink {
  claimRecorded(e: ChainClaimEvent & { payerHash: string; serviceDay: number }): void;
  claimStatusChanged(e: ChainClaimEvent & { status: 'accepted' | 'denied'; reasonCode: string | null; payer: string }): void;
  /** After a reorg dropped every pulled event above `forkBlock` (the remaining events are in sync_chain_events). */
  rolledBack(forkBlock: number): void;
}

/** A bytes8 reason code as text (ASCII, zero padding dropped), or null for none. */
export function reasonCodeText(bytes8: string): string | null {
  const text = Buffer.from(bytes8.slice(2), 'hex').toString('latin1').replace(/\0+$/, '');
  return text.length ? text : null;
}

const hex = (v: unknown): string => String(v).toLowerCase();

export function claimRecordSync(deps: { sink?: ClaimChainSink | null } = {}): SyncPlugin<ClaimRecordPayload, typeof CLAIM_RECORD.kind> {
  const sink = deps.sink ?? null;
  return {
    ...CLAIM_RECORD,
    contract: 'ClaimsLedger',
    method: 'recordBatch',
    // ClaimsLedger.recordBatch: ~25,000 gas per new claim measured, plus ~22,000 for the claim's payer slot
    // (contracts/test/ClaimsLedger.test.ts prints it); planned at 56,000.
    gas: { base: 80_000, perItem: 56_000, maxItems: 230 },
    appliedEvent: 'BatchApplied',
    encode: (batchId, payloads) => contractInterface('ClaimsLedger').encodeFunctionData('recordBatch', [batchId, payloads.map(claimRecordOf)]),
    reader: {
      contract: 'ClaimsLedger',
      batchEvents: ['BatchApplied'],
      read({ desc, base, batchId }, ctx) {
        const a = desc.args;
        if (desc.name === 'ClaimRecorded') {
          const claim = { claimHash: hex(a.claimHash), payerHash: hex(a.payerHash), serviceDay: Number(a.serviceDay) };
          if (!ctx.mirror.record({ ...base, batchId, subject: claim.claimHash, data: claim })) return { events: 0 };
          sink?.claimRecorded({ ...claim, blockNumber: base.blockNumber, txHash: base.txHash });
          return { events: 1 };
        }
        if (desc.name === 'ClaimRecordSkipped') {
          return { events: ctx.mirror.record({ ...base, batchId, subject: hex(a.claimHash), data: {} }) ? 1 : 0 };
        }
        if (desc.name === 'ClaimStatusChanged') {
          const status = Number(a.status) === 2 ? 'accepted' : 'denied';
          const reasonCode = reasonCodeText(String(a.reasonCode));
          const change = { status, reasonCode: reasonCode ?? '', payer: String(a.payer) };
          const subject = hex(a.claimHash);
          if (!ctx.mirror.record({ ...base, batchId: null, subject, data: change })) return { events: 0 };
          sink?.claimStatusChanged({ claimHash: subject, status, reasonCode, payer: change.payer, blockNumber: base.blockNumber, txHash: base.txHash });
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
