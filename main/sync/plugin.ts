// What the sync engine needs to know about one synced kind, and the registry the composition root builds from them.
// Each domain owns its plug-in (payload schema, contract call, gas model, applied/skip events, pulled-event reader);
// the engine, batcher, sender, receipts and puller read everything kind-specific from the registry, never a domain.
import type { Log, LogDescription, JsonRpcProvider, TransactionReceipt } from 'ethers';
import type { z } from 'zod';
import { AppError } from '../api/errors';
import type { ContractName } from '../chain/artifacts';
import type { Db } from '../db/connection';
import { contractInterface } from './contracts';
import type { ChainMirror, PulledEvent } from './mirror';

export interface GasModel {
  /** Gas of the call with no items: the 21,000 of a transaction, the role check, the replay guard, events. */
  base: number;
  /** Worst-case gas of one item (a new storage slot), with a margin over what was measured. */
  perItem: number;
  /** Most items one call may hold whatever the gas says. */
  maxItems: number;
}

/** What a writer of the outbox needs: the kind's name and the schema its payload must pass when it is written. */
export interface OutboxKind<P = unknown, K extends string = string> {
  readonly kind: K;
  readonly payload: z.ZodType<P>;
  /**
   * A kind whose payloads the database rebuilds from rows that never change (migration 0023's view outbox_events)
   * names, for a checked payload, the row and what the event adds to it; the writer keeps the reference only when
   * the rebuilt text equals the payload's to the byte (else the copy). Absent or null: the payload is stored.
   */
  readonly reference?: (payload: P) => OutboxReference | null;
}

/** What an event stored by reference adds to its source row (table outbox_refs). */
export interface OutboxReference {
  sourceId: number;
  /** 0 create, 1 revoke, 2 supersede. */
  change: 0 | 1 | 2;
  /** 64-bit order stamps (stored as signed integers). */
  hlc: bigint;
  prevHlc: bigint;
  revoked: boolean;
  /** keccak256 of each text the rebuilt payload names by its hash: [text, 0x-hash]. */
  hashes: readonly (readonly [string, string])[];
}

/** How to ask the chain whether a batch is already applied, and whether a new sync batch id escapes a taken one. */
export interface AppliedCheck {
  data: string;
  decode: (ret: string) => boolean;
  bySyncId: boolean;
  /**
   * Whether a true answer can only come from this sender's own transaction with this batch's content (the contract
   * keys applied ids by keccak(sender, id), and our ids commit to the outbox payloads): then the flag alone confirms
   * the batch when its receipt is gone (a node restarted without its history).
   */
  senderBound: boolean;
}

/** The outbox rows of a batch, as the receipt hook sees them (outbox id order = item order). */
export interface BatchEvent {
  id: number;
  payload: string;
}

/**
 * What a kind may read when its batch is confirmed from the chain's state instead of a receipt: the contract's views
 * at `blockTag` (the block the applied flag was read at), to give each op the outcome its receipt would have named.
 */
export interface AppliedStateContext {
  db: Db;
  provider: JsonRpcProvider;
  contract: string;
  sender: string;
  batchId: string;
  events: readonly BatchEvent[];
  blockTag: number;
}

/** What a kind sent again after SYNC_APPLIED_WITHOUT_LOG: new outbox events, and a sentence for the batch row. */
export interface ResendOutcome {
  /** Outbox ids of the new events carrying the changes again. */
  resent: readonly number[];
  /** For the batch row and the log: what was resent, what needed nothing (named). No PHI. */
  note: string;
}

/** What a receipt hook may read: our own successful receipt of a batch of this kind. */
export interface ReceiptContext {
  db: Db;
  /** The contract the batch was sent to (lowercase or checksummed). */
  contract: string;
  /** This workstation's sending address. */
  sender: string;
  batchId: string;
  events: readonly BatchEvent[];
}

export interface SyncPlugin<P = unknown, K extends string = string> extends OutboxKind<P, K> {
  /** The contract and the batch method one transaction of this kind calls. */
  readonly contract: ContractName;
  readonly method: string;
  /** The batcher plans with it (contracts/test prints the measured figures). */
  readonly gas: GasModel;
  /** The event a successful batch emits; its receipt must hold it (under the topics below) to be confirmed. */
  readonly appliedEvent: string;
  /** The calldata of the one transaction carrying `payloads` (already parsed by `payload`) as batch `batchId`. */
  encode(batchId: string, payloads: readonly P[]): string;
  /** Default: `batchApplied(sender, id)` on contracts that bind ids to their sender, `batchApplied(id)` otherwise. */
  appliedCheck?(batchId: string, payloads: readonly P[], sender: string): AppliedCheck;
  /** Topics of the applied event that name this batch; default `[topic0, batchId]`. `sender` undefined: unknown. */
  appliedTopics?(batchId: string, payloads: readonly P[], sender: string | undefined): string[];
  /** A per-item skip event (`batchId`, `index`, `reason` arguments) and the contract's names of its reason codes. */
  readonly skipEvent?: { event: string; reasons: readonly string[] };
  /** Reads our own successful receipt of a batch before it is marked included (the consent conflicts). */
  onReceipt?(receipt: TransactionReceipt, ctx: ReceiptContext): void;
  /**
   * Our sender-bound batch id is applied but no receipt of ours is found: reads the per-op outcomes the contract
   * decided from its logs (consent.change: its FUTURE skips). Kinds without per-op outcomes leave it out.
   */
  onAppliedWithoutReceipt?(ctx: AppliedStateContext): Promise<void>;
  /**
   * Our sender-bound batch id is applied in the contract's storage, yet no applied event of ours is in any canonical
   * block (a torn node state: the writes kept, the block and its logs lost). Nobody can pull these changes, so the
   * batch is NOT confirmed (SYNC_APPLIED_WITHOUT_LOG); the kind says what reaches the chain again, with events, through
   * its own write path and the one outbox writer (consent.change: each op sent again unchanged, to be folded where it
   * lands). Kinds without it cannot be resent: their batch stays failed under that name, visible.
   */
  onAppliedWithoutLog?(ctx: AppliedStateContext): Promise<ResendOutcome>;
  /**
   * True when the applied event's topics (appliedTopics) name this sender (ConsentLedger's id bound to its sender):
   * a log found under them is ours without reading its transaction. Otherwise the transaction's sender is checked.
   */
  readonly appliedTopicsBindSender?: boolean;
  /** Reads this kind's contract's events on pull; kinds sharing a contract carry it once. */
  readonly reader?: ChainEventReader;
}

/** One pulled log of a reader's contract, parsed against its ABI. */
export interface PulledLog {
  log: Log;
  desc: LogDescription;
  /** The mirror row's common fields (lowercase hashes). */
  base: Omit<PulledEvent, 'batchId' | 'subject' | 'data'>;
  /** The sync batch id of the transaction that carried it (its batch-applied event), or null. */
  batchId: string | null;
}

export interface PullContext {
  db: Db;
  chainId: number;
  mirror: ChainMirror;
  /** The address of this reader's contract. */
  address: string;
}

/** What a reader did with one log: how many new events it recorded, and counters for the pull report. */
export interface ReadOutcome {
  events: number;
  counts?: Record<string, number>;
}

/** The events of one contract on pull, and where they go (the owning domain's tables). */
export interface ChainEventReader {
  readonly contract: ContractName;
  /** Events that name the sync batch id of their transaction (first argument `batchId`). */
  readonly batchEvents?: readonly string[];
  /** The signer address this workstation sends with (set on connect): its own changes echoed back are its own. */
  signerKnown?(address: string): void;
  /** Chain reads before a range is applied (outside its transaction); the result is handed to `read`. */
  inspect?(provider: JsonRpcProvider, ctx: PullContext, logs: readonly Log[]): Promise<unknown>;
  /** Start of every pull (even one with no new block) and of every range with logs, inside a transaction. */
  begin?(ctx: PullContext): void;
  /** One log; undefined when the reader leaves it to the generic record (batch events, role changes). */
  read(item: PulledLog, ctx: PullContext, inspected: unknown): ReadOutcome | undefined;
  /**
   * A reorg removed everything above `forkBlock` (inside the rollback's transaction, before the mirror forgets it;
   * `touched` are the subjects of this contract's removed events). Counters and a sentence for the person.
   */
  rolledBack?(ctx: PullContext, forkBlock: number, touched: readonly string[]): { counts?: Record<string, number>; sentence?: string } | void;
  /** Forgets undo records below `belowBlock`: those blocks are past the rollback window. */
  prune?(ctx: PullContext, belowBlock: number): void;
}

export type ParsedPayload = { ok: true; value: unknown } | { ok: false; reason: string };

/** Parses a payload against a kind's schema; the reason names the field, never echoes a value. */
export function parseWith(schema: z.ZodType<unknown>, raw: unknown): ParsedPayload {
  const parsed = schema.safeParse(raw);
  if (parsed.success) return { ok: true, value: parsed.data };
  const issues = parsed.error.issues.map((i) => `${i.path.join('.') || '(payload)'}: ${i.code === 'unrecognized_keys' ? `unexpected field(s) ${(i as { keys?: string[] }).keys?.join(', ')}` : i.message}`);
  return { ok: false, reason: issues.join('; ') };
}

/**
 * The synced kinds of this build, from the plug-ins the composition root hands in. Typed by the plug-ins' kind
 * names; every kind-specific decision of the engine goes through it.
 */
export class SyncRegistry<K extends string = string> {
  readonly kinds: readonly K[];
  readonly readers: readonly ChainEventReader[];
  private readonly byKind: ReadonlyMap<string, SyncPlugin<unknown, K>>;

  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- each plug-in has its own payload type
  constructor(plugins: readonly SyncPlugin<any, K>[]) {
    const byKind = new Map<string, SyncPlugin<unknown, K>>();
    const readers = new Map<ContractName, ChainEventReader>();
    for (const p of plugins as readonly SyncPlugin<unknown, K>[]) {
      if (byKind.has(p.kind)) throw new AppError('SYNC_KIND_DUPLICATE', `Two sync plug-ins name the kind ${p.kind}.`);
      byKind.set(p.kind, p);
      if (p.reader) {
        if (readers.has(p.reader.contract) && readers.get(p.reader.contract) !== p.reader) throw new AppError('SYNC_KIND_DUPLICATE', `Two sync plug-ins read ${p.reader.contract}'s events.`);
        readers.set(p.reader.contract, p.reader);
      }
    }
    this.byKind = byKind;
    this.kinds = [...byKind.keys()] as K[];
    this.readers = [...readers.values()];
  }

  has(kind: string): kind is K {
    return this.byKind.has(kind);
  }

  plugin(kind: string): SyncPlugin<unknown, K> {
    const p = this.byKind.get(kind);
    if (!p) throw new AppError('SYNC_KIND_UNKNOWN', `No sync plug-in handles outbox kind "${kind}".`);
    return p;
  }

  contractOf(kind: string): ContractName {
    return this.plugin(kind).contract;
  }

  gasOf(kind: string): GasModel {
    return this.plugin(kind).gas;
  }

  /** Gas models of every kind (the batcher's defaults). */
  gasModels(): Record<string, GasModel> {
    return Object.fromEntries([...this.byKind].map(([k, p]) => [k, p.gas]));
  }

  /** Parses an outbox row's JSON payload for its kind; an unknown kind is a reason too. */
  parse(kind: string, json: string): ParsedPayload {
    const p = this.byKind.get(kind);
    if (!p) return { ok: false, reason: 'unknown kind' };
    // The view outbox_events gives '' for an event stored by reference whose source row is gone (migration 0023).
    if (json === '') return { ok: false, reason: 'OUTBOX_SOURCE_MISSING: the row this event is rebuilt from is gone' };
    let raw: unknown;
    try {
      raw = JSON.parse(json);
    } catch {
      return { ok: false, reason: 'payload is not JSON' };
    }
    return parseWith(p.payload, raw);
  }

  encode(kind: string, batchId: string, payloads: readonly unknown[]): string {
    return this.plugin(kind).encode(batchId, payloads);
  }

  appliedCheck(kind: string, batchId: string, payloads: readonly unknown[], sender: string): AppliedCheck {
    const p = this.plugin(kind);
    if (p.appliedCheck) return p.appliedCheck(batchId, payloads, sender);
    const iface = contractInterface(p.contract);
    const bound = iface.getFunction('batchApplied')!.inputs.length === 2;
    return {
      data: iface.encodeFunctionData('batchApplied', bound ? [sender, batchId] : [batchId]),
      decode: (ret) => Boolean(iface.decodeFunctionResult('batchApplied', ret)[0]),
      bySyncId: true,
      senderBound: bound,
    };
  }

  appliedTopics(kind: string, batchId: string, payloads: () => readonly unknown[], sender: string | undefined): string[] {
    const p = this.plugin(kind);
    if (p.appliedTopics) return p.appliedTopics(batchId, payloads(), sender);
    return [contractInterface(p.contract).getEvent(p.appliedEvent)!.topicHash, batchId.toLowerCase()];
  }
}
