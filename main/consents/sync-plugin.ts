// The consent.change sync plug-in: how a consent change goes to ConsentLedger v2 (one applyBatch of keyed, sealed
// ops), how its batch is recognised as ours on chain, the conflicts its own receipt names, and how ConsentChanged
// events come back (chain-reader.ts). Handed to the sync engine by the composition root (compose/sync-plugins.ts).
import { AppError } from '../api/errors';
import { contractInterface } from '../sync/contracts';
import type { AppliedStateContext, BatchEvent, SyncPlugin } from '../sync/plugin';
import { consentLedgerReader, type ConsentChainSink } from './chain-reader';
import { ConsentConflicts } from './consent-conflicts';
import { boundBatchIdOf, categoryCodeOf, hlcOfText, hlcText, packOrder, purposeCodeOf, stateWordOf, unpackState, type ConsentOp } from './consent-state';
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

/** Each op of a batch with the word the ledger holds for its key now (at `blockTag`). */
async function chainOutcomes(ctx: AppliedStateContext, sealer: ConsentSealer) {
  const ledger = contractInterface('ConsentLedger');
  const read = async (fn: string, args: unknown[]) => ledger.decodeFunctionResult(fn, await ctx.provider.call({ to: ctx.contract, data: ledger.encodeFunctionData(fn, args), blockTag: ctx.blockTag }))[0] as unknown;
  const facilityId = String(await read('facilityOf', [ctx.sender]));
  const outcomes: ChainOutcome[] = [];
  for (const event of ctx.events) {
    const parsed = CONSENT_CHANGE.payload.safeParse(JSON.parse(event.payload));
    if (!parsed.success) throw new AppError('SYNC_PAYLOAD_INVALID', `Outbox event ${event.id} in batch ${ctx.batchId.slice(0, 10)}… is invalid.`);
    const op = consentOpOf(parsed.data, sealer);
    outcomes.push({ event, payload: parsed.data, opKey: op.opKey, order: op.order, stored: BigInt(await read('stateOf', [facilityId, op.opKey]) as bigint) });
  }
  return Object.assign(outcomes, { facilityId });
}

interface ChainOutcome {
  event: BatchEvent;
  payload: ConsentChangePayload;
  opKey: string;
  order: bigint;
  stored: bigint;
}

/** How far back the torn-batch check reads a key's ConsentChanged events (as the sender's own log search). */
const LANDED_WINDOW = 50_000;

/**
 * The state words of every ConsentChanged our facility has on each key (the canonical logs up to `blockTag`), for the
 * keys whose word is our own later change: what a torn batch's earlier op of that key may have been skipped under.
 */
async function landedWords(ctx: AppliedStateContext, facilityId: string, opKeys: readonly string[]): Promise<Map<string, bigint[]>> {
  const iface = contractInterface('ConsentLedger');
  const topic0 = iface.getEvent('ConsentChanged')!.topicHash;
  const words = new Map<string, bigint[]>();
  if (opKeys.length === 0) return words;
  const logs = await ctx.provider.getLogs({ address: ctx.contract, topics: [topic0, [...new Set(opKeys)]], fromBlock: Math.max(0, ctx.blockTag - LANDED_WINDOW), toBlock: ctx.blockTag });
  for (const log of logs) {
    if (log.removed || log.address.toLowerCase() !== ctx.contract.toLowerCase()) continue;
    const d = iface.parseLog({ topics: [...log.topics], data: log.data });
    if (!d || String(d.args.facilityId).toLowerCase() !== facilityId.toLowerCase()) continue;
    const key = String(d.args.opKey).toLowerCase();
    words.set(key, [...(words.get(key) ?? []), BigInt(d.args.state as bigint)]);
  }
  return words;
}

/** What the ledger recorded for a skipped op (ConsentLedger.skipOf): the reason and the word that stayed. */
export interface RecordedSkip {
  reason: 1 | 2;
  stored: bigint;
}

/**
 * The skips the ledger keeps in storage for these ops of our batch (by outbox event id; an op that applied has none),
 * read at `blockTag` under our sender-bound id: a torn state keeps them where it lost the events. Null when the
 * ledger predates skipOf (the call reverts): the caller falls back to the key's events.
 */
async function recordedSkips(ctx: AppliedStateContext, ops: readonly { event: BatchEvent }[]): Promise<Map<number, RecordedSkip> | null> {
  const ledger = contractInterface('ConsentLedger');
  const skips = new Map<number, RecordedSkip>();
  for (const o of ops) {
    const index = ctx.events.findIndex((e) => e.id === o.event.id);
    let answer: string;
    try {
      answer = await ctx.provider.call({ to: ctx.contract, data: ledger.encodeFunctionData('skipOf', [ctx.sender, ctx.batchId, index]), blockTag: ctx.blockTag });
    } catch (err) {
      if ((err as { code?: string }).code === 'CALL_EXCEPTION') return null;
      throw err;
    }
    if (answer === '0x') return null;
    const [reason, stored] = ledger.decodeFunctionResult('skipOf', answer) as unknown as [bigint, bigint];
    if (reason === 1n || reason === 2n) skips.set(o.event.id, { reason: Number(reason) as 1 | 2, stored });
  }
  return skips;
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
    // Measured against anvil (contracts/test): an op on a new key costs ~30,800 gas, on an existing key ~13,800 (one
    // slot per key; the sealed terms, 144 bytes, in calldata and in the event). Planned with the new-key cost + ~10%.
    gas: { base: 80_000, perItem: 34_500, maxItems: 400 },
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
    // Each op this transaction's own BatchApplied (under the id bound to our sender) skipped becomes a named conflict of
    // its outbox event (consent-conflicts.ts), never a silent confirmation.
    onReceipt(receipt, ctx) {
      new ConsentConflicts(ctx.db).fromReceipt(receipt, ctx.contract, ctx.sender, ctx.batchId, ctx.events);
    },
    // No receipt (a node restarted without its history), yet our sender-bound id is applied: each op's outcome from
    // the ledger's state of its key at the block the flag was read at (consent-conflicts.ts fromState).
    async onAppliedWithoutReceipt(ctx) {
      const outcomes = await chainOutcomes(ctx, needSealer(deps));
      new ConsentConflicts(ctx.db).fromState(outcomes, ctx.sender, ctx.batchId);
    },
    // Applied in storage, no event anywhere (a torn node state): every op the ledger holds as our very word was never
    // seen by anyone, so it is re-stamped above that word and sent again through the consents write path (the same
    // stamp would be skipped as STALE). An op another change outranks lost anyway: a conflict, as from a receipt.
    async onAppliedWithoutLog(ctx) {
      const outcomes = await chainOutcomes(ctx, needSealer(deps));
      const writer = ctx.sender.toLowerCase();
      const torn: TornChange[] = outcomes
        .filter((o) => o.stored === stateWordOf(o.order, writer))
        .map((o) => ({ outboxId: o.event.id, payload: o.payload, chainHlc: hlcText(unpackState(o.stored)!.hlc) }));
      const found = new ConsentConflicts(ctx.db);
      const { conflicts: overridden } = found.fromState(outcomes, ctx.sender, ctx.batchId);
      // An op whose key holds our own later change (of this batch) is not sent again: that change carries the key on.
      // But the state cannot say whether the op was applied and then followed, or skipped as STALE under another
      // writer's change that landed before the batch: the key's events can (torn-state.test.ts).
      const followed = outcomes.filter((o) => o.stored !== stateWordOf(o.order, writer) && unpackState(o.stored)?.writer === writer);
      // The ledger keeps each skip in storage (skipOf), so another workstation's change that is itself torn (no event
      // anywhere) still shows: the word that stayed over ours. The events are the fallback for a ledger without it.
      const skips = await recordedSkips(ctx, followed);
      const landed = skips ? new Map<string, bigint[]>() : await landedWords(ctx, outcomes.facilityId, followed.map((o) => o.opKey.toLowerCase()));
      const { stale, carried } = found.skippedBeforeTear(followed, landed, ctx.sender, ctx.batchId, skips);
      const conflicts = overridden + stale;
      if (torn.length > 0 && !deps.resend) {
        return { resent: [], note: `${torn.length} change(s) the chain holds without an event are NOT sent again: no consents write path is wired (they stay failed here)` };
      }
      const resent = torn.length > 0 ? deps.resend!(ctx.db, torn, ctx.batchId) : [];
      const unchanged = torn.length - resent.length;
      return {
        resent: resent.map((r) => r.outboxId),
        note:
          `${resent.length} change(s) re-stamped and sent again as outbox event(s) ${resent.map((r) => r.outboxId).join(', ') || 'none'}${unchanged ? `; ${unchanged} already carried on by a later change of their key` : ''}` +
          `${carried ? `; ${carried} followed in this batch by a later change of their key here (nothing to send)` : ''}${conflicts ? `; ${conflicts} lost to a later change (conflicts)` : ''}`,
      };
    },
    reader: consentLedgerReader(deps.sealer, deps.sink ?? null),
  };
}
