// The consent.change sync plug-in: how a consent change goes to ConsentLedger (one applyBatch of keyed, sealed ops),
// how its batch is recognised as ours on chain, the FUTURE conflicts its own receipt names, and how ConsentChanged
// events come back and are folded (chain-reader.ts, which raises STALE). Handed to the sync engine by the composition root (compose/sync-plugins.ts).
import { AppError } from '../api/errors';
import { contractInterface } from '../sync/contracts';
import type { AppliedStateContext, SyncPlugin } from '../sync/plugin';
import { consentLedgerReader, type ConsentChainSink } from './chain-reader';
import { ConsentConflicts } from './consent-conflicts';
import { boundBatchIdOf, categoryCodeOf, hlcOfText, packOrder, purposeCodeOf, type ConsentOp } from './consent-state';
import type { ConsentSealer } from './ledger-seal';
import { CONSENT_CHANGE, type ConsentChangePayload } from './outbox-events';
import type { ConsentResender, TornChange } from './writes';

/**
 * The ConsentLedger v2 op for a payload: the keyed op key, the order word (decision, revoked, hlc) and the terms sealed
 * under the facility secret. Purpose and category hashes must be in the ledger's code tables (checked by CONSENT_CHANGE).
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

export interface ConsentSyncDeps {
  /** Seals and opens consent changes under the facility secret; without it they cannot be sent, and pulled ones stay unopened. */
  sealer: ConsentSealer | null;
  /** Where pulled changes go (the consents tables, consent-sink.ts); the mirror alone when absent. */
  sink?: ConsentChainSink | null;
  /** The consents write path that sends torn changes again (ConsentWrites.resendTorn); absent: they stay failed, named. */
  resend?: ConsentResender | null;
}

/**
 * The FUTURE skips of our sender-bound batch, read from the ledger's logs (its receipt is gone): the ConsentOpSkipped
 * events indexed by the bound id, up to the block the applied flag was read at.
 */
async function futureSkips(ctx: AppliedStateContext): Promise<{ opIndex: number; opKey: string; txHash: string }[]> {
  const iface = contractInterface('ConsentLedger');
  const topic0 = iface.getEvent('ConsentOpSkipped')!.topicHash;
  const logs = await ctx.provider.getLogs({ address: ctx.contract, topics: [topic0, boundBatchIdOf(ctx.sender, ctx.batchId)], fromBlock: 0, toBlock: ctx.blockTag });
  return logs
    .filter((l) => !l.removed && l.address.toLowerCase() === ctx.contract.toLowerCase())
    .map((l) => ({ l, d: iface.parseLog({ topics: [...l.topics], data: l.data }) }))
    .filter(({ d }) => d?.name === 'ConsentOpSkipped')
    .map(({ l, d }) => ({ opIndex: Number(d!.args.opIndex), opKey: String(d!.args.opKey), txHash: l.transactionHash }));
}

function needSealer(deps: ConsentSyncDeps): ConsentSealer {
  if (!deps.sealer) throw new AppError('SYNC_FACILITY_SECRET_MISSING', 'Consent changes cannot be checked on chain: this workstation has no facility secret (custodian facility-secret import).');
  return deps.sealer;
}

export function consentChangeSync(deps: ConsentSyncDeps): SyncPlugin<ConsentChangePayload, typeof CONSENT_CHANGE.kind> {
  return {
    ...CONSENT_CHANGE,
    contract: 'ConsentLedger',
    method: 'applyBatch',
    // Measured against anvil (contracts/test): an op costs ~9,100 gas whether its key is new or not (no state per key:
    // its calldata and its event, 144 bytes of sealed terms in each). Planned with that cost + ~30%; 400 ops a batch.
    gas: { base: 80_000, perItem: 12_000, maxItems: 400 },
    appliedEvent: 'BatchApplied',
    appliedTopicsBindSender: true,
    encode(batchId, payloads) {
      const sealer = deps.sealer;
      if (!sealer) throw new AppError('SYNC_FACILITY_SECRET_MISSING', 'Consent changes cannot be sent: this workstation has no facility secret to seal them with (custodian facility-secret import).');
      return contractInterface('ConsentLedger').encodeFunctionData('applyBatch', [batchId, payloads.map((p) => consentOpOf(p, sealer))]);
    },
    // ConsentLedger indexes the batch id bound to its sender: another sender's batch of the same id never matches.
    appliedTopics(batchId, _payloads, sender) {
      const topic0 = contractInterface('ConsentLedger').getEvent('BatchApplied')!.topicHash;
      return [topic0, sender ? boundBatchIdOf(sender, batchId) : `0x${'ff'.repeat(32)}`];
    },
    // Each op this transaction's own BatchApplied (under the id bound to our sender) skipped as FUTURE becomes a named
    // conflict of its outbox event (consent-conflicts.ts), never a silent confirmation. STALE is the readers' fold:
    // the puller raises it when it reaches the batch's block (chain-reader.ts), in chain order.
    onReceipt(receipt, ctx) {
      new ConsentConflicts(ctx.db).fromReceipt(receipt, ctx.contract, ctx.sender, ctx.batchId, ctx.events);
    },
    // No receipt (a node restarted without its history), yet our sender-bound id is applied: the FUTURE skips from the
    // ledger's logs; the recorded ops reach the puller like any others.
    async onAppliedWithoutReceipt(ctx) {
      const skips = await futureSkips(ctx);
      new ConsentConflicts(ctx.db).future(skips, ctx.sender, ctx.batchId, ctx.events, skips[0]?.txHash ?? null);
    },
    // Applied in storage, no event anywhere (a torn node state): no reader ever saw any op of the batch, and the ledger
    // keeps nothing per key, so for every reader the batch never happened. Every op is sent again unchanged (same
    // stamp) through the consents write path under a new batch id: it lands late, and the fold judges it there.
    async onAppliedWithoutLog(ctx) {
      needSealer(deps);
      const torn: TornChange[] = ctx.events.map((event) => {
        const parsed = CONSENT_CHANGE.payload.safeParse(JSON.parse(event.payload));
        if (!parsed.success) throw new AppError('SYNC_PAYLOAD_INVALID', `Outbox event ${event.id} in batch ${ctx.batchId.slice(0, 10)}… is invalid.`);
        return { outboxId: event.id, text: event.payload, payload: parsed.data };
      });
      if (torn.length > 0 && !deps.resend) {
        return { resent: [], note: `${torn.length} change(s) the chain holds without an event are NOT sent again: no consents write path is wired (they stay failed here)` };
      }
      const resent = torn.length > 0 ? deps.resend!(ctx.db, torn, ctx.batchId) : [];
      const already = torn.length - resent.length;
      return {
        resent: resent.map((r) => r.outboxId),
        note: `${resent.length} change(s) sent again unchanged as outbox event(s) ${resent.map((r) => r.outboxId).join(', ') || 'none'}${already ? `; ${already} already sent again` : ''}`,
      };
    },
    reader: consentLedgerReader(deps.sealer, deps.sink ?? null),
  };
}
