// ConsentLedger events on pull: another facility's change is recorded and left alone; ours is opened with the
// facility key and folded by the ordering rule in chain order (the ledger keeps no state per key, consent-state.ts
// foldWords): a change that outranks what the mirror holds for its key is applied to the mirror and, through the sink,
// to the consents tables; one that does not is STALE (recorded, and a named conflict when it is this workstation's
// own); one that does not open, or whose writer was not a registered signer of this facility at its block
// (pulled-writers.ts), is recorded and reported, never applied. ConsentOpSkipped (FUTURE) is mirrored with its reason.
// Part of the consent plug-in.
import type { ChainEventReader, PullContext, PulledLog } from '../sync/plugin';
import { categoryHashOfCode, orderText, purposeHashOfCode, unpackState } from './consent-state';
import type { ConsentSealer } from './ledger-seal';
import { FacilityWriterCheck } from './pulled-writers';
import { granteeHashOf } from './outbox-events';

/** One consent change as the chain holds it, opened with the facility key; pseudonyms, grantee ids and codes, never PHI. */
export interface ChainConsentChange {
  chainId: number;
  /** The op key (a keyed commitment; the facility namespace is ours). */
  consentKey: string;
  patientPseudonym: string;
  granteeKind: 'npi' | 'org';
  grantee: string;
  granteeHash: string;
  purposeHash: string;
  categoryHash: string;
  documentHash: string;
  decision: 'permit' | 'deny';
  revoked: boolean;
  validFrom: number;
  validUntil: number;
  /** The order key: hlc stamp and writer (the rank follows from decision and revoked). */
  hlc: bigint;
  writer: string;
  /** The highest stamp the writer had seen for the key when writing (0: none); see ledger-seal.ts. */
  prevHlc: bigint;
  /** The order key text (consent-state orderText) of the word this change replaced on chain, as pulled; null: none. */
  replacedOrder?: string | null;
  blockNumber: number;
  blockHash: string;
  logIndex: number;
  txHash: string;
  batchId: string | null;
}

/**
 * A change in this facility's namespace the puller will not apply, reported instead: UNOPENABLE (altered, or sealed
 * under another secret; the default) or UNREGISTERED_WRITER (its writer was not a registered signer of this
 * facility at its block: `writerFacility` is what the ledger answered, null when it did not).
 */
export interface UnopenableConsentChange {
  chainId: number;
  consentKey: string;
  blockNumber: number;
  blockHash: string;
  logIndex: number;
  txHash: string;
  reason?: 'UNOPENABLE' | 'UNREGISTERED_WRITER';
  writer?: string;
  writerFacility?: string | null;
}

/** Where pulled consent changes go besides the mirror (the consents tables). Called inside the pull's transaction. */
export interface ConsentChainSink {
  /** This workstation's signer address (set on connect), so its own changes echoed by the chain are known as its own. */
  me?: string | null;
  /** Called at the start of each pull and each pulled block range, inside its transaction (refresh caches here). */
  begin?(): void;
  consentChanged(change: ChainConsentChange): void;
  /**
   * A change that never held its key: an earlier change on chain outranks it (`stayedOrder`, order key text). Called
   * for every such change in this facility's namespace; the sink raises the STALE conflict when it is its own.
   */
  consentStale?(change: ChainConsentChange, stayedOrder: string): void;
  /** A reorg removed pulled blocks: STALE verdicts drawn from them go (the changes are judged again when re-pulled). */
  staleWithdrawn?(chainId: number): number;
  /** A change in this facility's namespace that did not open or whose writer is not ours: kept as a problem, never applied. */
  consentUnopenable?(change: UnopenableConsentChange): void;
  /** Undoes what it applied from blocks above `forkBlock` (a reorg removed them). Called inside the rollback's transaction. */
  rollBackAbove?(chainId: number, forkBlock: number): { undone: number; kept: number };
  /** Forgets undo records below `belowBlock`: those blocks are past the rollback window. */
  prune?(chainId: number, belowBlock: number): void;
}

const hex = (v: unknown): string => String(v).toLowerCase();

export function consentLedgerReader(sealer: ConsentSealer | null, sink: ConsentChainSink | null): ChainEventReader {
  // Answers of the ledger's facilityOf(writer) at each change's block, read before the pull's transaction.
  let writers: { provider: unknown; address: string; check: FacilityWriterCheck } | null = null;
  return {
    contract: 'ConsentLedger',
    async inspect(provider, ctx, logs) {
      if (!sealer) return null;
      if (!writers || writers.provider !== provider || writers.address !== ctx.address) {
        writers = { provider, address: ctx.address, check: new FacilityWriterCheck(provider, ctx.address, sealer.facilityId) };
      }
      await writers.check.prefetch(logs);
      return writers.check;
    },
    batchEvents: ['BatchApplied'],
    signerKnown(address) {
      if (sink) sink.me = address.toLowerCase();
    },
    begin() {
      sink?.begin?.();
    },
    read(item, ctx, inspected) {
      const { desc, base } = item;
      const a = desc.args;
      if (desc.name === 'ConsentChanged') {
        return consentChanged(item, ctx, sealer, sink, (inspected as FacilityWriterCheck | null | undefined) ?? null) ? { events: 1, counts: { consentChanges: 1 } } : { events: 0 };
      }
      if (desc.name === 'ConsentOpSkipped') {
        const event = { ...base, batchId: hex(a.boundBatchId), subject: hex(a.opKey), data: { opIndex: Number(a.opIndex), reason: Number(a.reason) } };
        return { events: ctx.mirror.record(event) ? 1 : 0 };
      }
      return undefined;
    },
    rolledBack(ctx, forkBlock) {
      const undo = sink?.rollBackAbove?.(ctx.chainId, forkBlock) ?? { undone: 0, kept: 0 };
      sink?.staleWithdrawn?.(ctx.chainId);
      const undone = undo.undone ? `; ${undo.undone} consent change(s) pulled from them were undone here until they land again` : '';
      const kept = undo.kept ? `; ${undo.kept} kept because they were changed here since` : '';
      return { counts: { consentRowsRolledBack: undo.undone, consentRowsKept: undo.kept }, sentence: `${undone}${kept}` };
    },
    prune(ctx, belowBlock) {
      sink?.prune?.(ctx.chainId, belowBlock);
    },
  };
}

/** One ConsentChanged; true when it was new (not pulled before) and applied. */
function consentChanged({ desc, base, batchId }: PulledLog, ctx: PullContext, sealer: ConsentSealer | null, sink: ConsentChainSink | null, writers: FacilityWriterCheck | null): boolean {
  const a = desc.args;
  const opKey = hex(a.opKey);
  const facilityId = hex(a.facilityId);
  const word = BigInt(a.state as bigint);
  const state = unpackState(word)!;
  const order = word & ((1n << 80n) - 1n);
  if (!sealer || facilityId !== sealer.facilityId) {
    return ctx.mirror.record({ ...base, name: 'ConsentChanged:foreign', batchId, subject: opKey, data: { facilityId } });
  }
  // Only a registered signer of this facility (at that block) writes our keys: anything else is not the ledger's.
  // Fail closed: without the check's answers (no inspect ran) nothing of ours is applied.
  if (!writers || !writers.registered(base.blockNumber, state.writer)) {
    const writerFacility = writers?.facilityOfWriter(base.blockNumber, state.writer) ?? null;
    const fresh = ctx.mirror.record({ ...base, name: 'ConsentChanged:unregistered-writer', batchId, subject: opKey, data: { facilityId, writer: state.writer, writerFacility: writerFacility ?? '' } });
    if (fresh) sink?.consentUnopenable?.({ chainId: ctx.chainId, consentKey: opKey, blockNumber: base.blockNumber, blockHash: base.blockHash, logIndex: base.logIndex, txHash: base.txHash, reason: 'UNREGISTERED_WRITER', writer: state.writer, writerFacility });
    return false;
  }
  const terms = sealer.open(hex(a.sealedTerms), opKey, order);
  const purpose = terms ? purposeHashOfCode(terms.purposeCode) : undefined;
  const category = terms ? categoryHashOfCode(terms.categoryCode) : undefined;
  if (!terms || !purpose || !category) {
    const fresh = ctx.mirror.record({ ...base, name: 'ConsentChanged:unopenable', batchId, subject: opKey, data: { facilityId } });
    if (fresh) sink?.consentUnopenable?.({ chainId: ctx.chainId, consentKey: opKey, blockNumber: base.blockNumber, blockHash: base.blockHash, logIndex: base.logIndex, txHash: base.txHash });
    return false;
  }
  const granteeHash = granteeHashOf(terms.granteeKind, terms.grantee).toLowerCase();
  const key = orderText(state);
  const change: ChainConsentChange = {
    chainId: ctx.chainId,
    consentKey: opKey,
    patientPseudonym: terms.patientPseudonym,
    granteeKind: terms.granteeKind,
    grantee: terms.grantee,
    granteeHash,
    purposeHash: purpose,
    categoryHash: category,
    documentHash: terms.documentHash,
    decision: state.decision === 1 ? 'permit' : 'deny',
    revoked: state.revoked,
    validFrom: terms.validFrom,
    validUntil: terms.validUntil,
    hlc: state.hlc,
    writer: state.writer,
    prevHlc: terms.prevHlc,
    replacedOrder: null,
    blockNumber: base.blockNumber,
    blockHash: base.blockHash,
    logIndex: base.logIndex,
    txHash: base.txHash,
    batchId,
  };
  // The fold (pulls run in chain order, so the mirror holds every earlier change of the key): a change that does not
  // outrank the word the key holds never held it. Recorded under its own name, so a rollback never rebuilds from it.
  const held = ctx.mirror.consentOrderKey(opKey);
  if (held !== null && held >= key) {
    if (!ctx.mirror.record({ ...base, name: 'ConsentChanged:stale', batchId, subject: opKey, data: { facilityId, orderKey: key, stayed: held } })) return false;
    sink?.consentStale?.(change, held);
    return false;
  }
  const data = {
    patientPseudonym: terms.patientPseudonym,
    grantee: granteeHash,
    purpose,
    category,
    documentHash: terms.documentHash,
    decision: state.decision,
    revoked: state.revoked,
    validFrom: terms.validFrom,
    validUntil: terms.validUntil,
    orderKey: key,
  };
  if (!ctx.mirror.record({ ...base, batchId, subject: opKey, data })) return false;
  // The word this change replaced on chain: the sink names a change of ours it replaced unseen.
  ctx.mirror.applyConsent({
    consent_key: opKey,
    patient_pseudonym: terms.patientPseudonym,
    grantee: granteeHash,
    purpose,
    category,
    decision: state.decision,
    revoked: state.revoked ? 1 : 0,
    valid_from: terms.validFrom,
    valid_until: terms.validUntil,
    seq: 0,
    order_key: key,
    document_hash: terms.documentHash,
    block_number: base.blockNumber,
    tx_hash: base.txHash,
  });
  sink?.consentChanged({ ...change, replacedOrder: held });
  return true;
}
