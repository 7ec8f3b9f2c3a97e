// The puller: reads the contracts' events from the last synced block (the cursor keeps that block's hash; a
// changed hash means a reorg, so it steps back to the fork point) and hands each contract's events, in chain order,
// to the reader its domain's sync plug-in gave the registry, so workstations sharing one chain converge. Events no
// reader takes (batch events, role changes) are recorded in the mirror as they are.
import type { JsonRpcProvider, Log } from 'ethers';
import type { Db } from '../db/connection';
import type { ContractName } from '../chain/artifacts';
import { contractInterface, type ContractAddresses } from './contracts';
import { ChainMirror, type PulledEvent } from './mirror';
import type { ChainEventReader, PullContext, SyncRegistry } from './plugin';
import { blockHashAt, nodeBlockNumber } from './rpc';
import { forkPoint } from './rules';

export interface PullReport {
  fromBlock: number;
  toBlock: number;
  events: number;
  rolledBackTo: number | null;
  /**
   * The readers' counters: consentChanges, consentRowsRolledBack / consentRowsKept (changes from removed blocks
   * undone here, or kept because they were changed here since), statusesRejected (statuses without their issuer's
   * signature in the carrying transaction: not applied), ...
   */
  counts: Record<string, number>;
  /** What a rollback did, in words from each reader (empty without a rollback). */
  rollbackNotes: string[];
}

const CURSOR = 'all';
const CHUNK_BLOCKS = 2_000;
const KEEP_SEEN_BLOCKS = 512;

export class ChainPuller {
  readonly mirror: ChainMirror;
  private readonly byAddress = new Map<string, ContractName>();
  private readonly readers = new Map<ContractName, { reader: ChainEventReader; ctx: PullContext }>();
  private readonly batchEvents = new Map<ContractName, ReadonlySet<string>>();

  constructor(
    private readonly db: Db,
    private readonly provider: JsonRpcProvider,
    private readonly chainId: number,
    contracts: ContractAddresses,
    registry: SyncRegistry,
    private readonly startBlock = 0,
  ) {
    this.mirror = new ChainMirror(db, chainId);
    // A contract without a configured address (SharingAgreements on an older config) is simply not read.
    for (const [name, address] of Object.entries(contracts) as [ContractName, string | undefined][]) if (address) this.byAddress.set(address.toLowerCase(), name);
    for (const reader of registry.readers) {
      const address = contracts[reader.contract];
      if (!address) continue;
      this.readers.set(reader.contract, { reader, ctx: { db, chainId, mirror: this.mirror, address } });
      this.batchEvents.set(reader.contract, new Set(reader.batchEvents ?? []));
    }
  }

  /** The signer this workstation sends with: readers recognise its own changes echoed back. */
  signerKnown(address: string): void {
    for (const { reader } of this.readers.values()) reader.signerKnown?.(address);
  }

  /** Pulls up to the head; safe to call at any time and after any crash (events are recorded once). */
  async pull(): Promise<PullReport> {
    const head = await nodeBlockNumber(this.provider);
    let rolledBackTo: number | null = null;
    const counts: Record<string, number> = {};
    let rollbackNotes: string[] = [];
    let cursor = this.mirror.cursor(CURSOR);
    if (cursor && (await blockHashAt(this.provider, cursor.block_number)) !== cursor.block_hash) {
      ({ fork: rolledBackTo, notes: rollbackNotes } = await this.rollBack(counts));
      cursor = this.mirror.cursor(CURSOR);
    }
    const start = cursor ? cursor.block_number + 1 : this.startBlock;
    // Every pull, even one with no new block: the consent sink applies kept changes whose patient has appeared since.
    this.db.transaction(() => this.begin())();
    let events = 0;
    for (let from = start; from <= head; from += CHUNK_BLOCKS) {
      const to = Math.min(head, from + CHUNK_BLOCKS - 1);
      const toHash = await blockHashAt(this.provider, to);
      const logs = await this.provider.getLogs({ address: [...this.byAddress.keys()], fromBlock: from, toBlock: to });
      // A reorg between the two reads would mix chains: check the range end again and retry next time.
      if (toHash === null || (await blockHashAt(this.provider, to)) !== toHash) break;
      const inspected = new Map<ContractName, unknown>();
      for (const [name, { reader, ctx }] of this.readers) if (reader.inspect) inspected.set(name, await reader.inspect(this.provider, ctx, logs));
      events += this.db.transaction(() => this.applyLogs(logs, to, toHash, inspected, counts))();
    }
    return { fromBlock: start, toBlock: head, events, rolledBackTo, counts, rollbackNotes };
  }

  private begin(): void {
    for (const { reader, ctx } of this.readers.values()) reader.begin?.(ctx);
  }

  /**
   * Finds the newest seen block still on the chain, forgets what came after it (the mirror, and through the
   * readers what their domains applied from it), and moves the cursor there.
   */
  private async rollBack(counts: Record<string, number>): Promise<{ fork: number; notes: string[] }> {
    const seen = this.mirror.seenBlocks();
    const canonical = new Map<number, string | null>();
    for (const b of seen) {
      const hash = await blockHashAt(this.provider, b.number);
      canonical.set(b.number, hash);
      if (hash === b.hash) break;
    }
    const fork = forkPoint(seen, (n) => canonical.get(n) ?? null);
    const notes: string[] = [];
    this.db.transaction(() => {
      const removed = this.db.prepare(`SELECT DISTINCT contract, subject FROM sync_chain_events WHERE chain_id = ? AND block_number > ?`).all(this.chainId, fork ?? -1) as { contract: string; subject: string }[];
      this.mirror.rollbackAbove(fork ?? -1);
      for (const [name, { reader, ctx }] of this.readers) {
        const done = reader.rolledBack?.(ctx, fork ?? -1, removed.filter((r) => r.contract === name).map((r) => r.subject));
        if (!done) continue;
        addCounts(counts, done.counts);
        if (done.sentence) notes.push(done.sentence);
      }
      if (fork === null) this.mirror.clearCursor(CURSOR);
      else this.mirror.setCursor(CURSOR, fork, seen.find((b) => b.number === fork)!.hash);
    })();
    return { fork: fork ?? 0, notes };
  }

  private applyLogs(logs: readonly Log[], to: number, toHash: string, inspected: ReadonlyMap<ContractName, unknown>, counts: Record<string, number>): number {
    if (logs.length) this.begin();
    const batchOfTx = new Map<string, string>();
    const parsed = logs.flatMap((log) => {
      const contract = this.byAddress.get(log.address.toLowerCase());
      if (!contract) return [];
      const desc = contractInterface(contract).parseLog({ topics: [...log.topics], data: log.data });
      if (!desc) return [];
      if (this.batchEvents.get(contract)?.has(desc.name)) batchOfTx.set(log.transactionHash, String(desc.args.batchId).toLowerCase());
      return [{ log, contract, desc }];
    });
    let events = 0;
    for (const { log, contract, desc } of parsed) {
      const base = { blockNumber: log.blockNumber, logIndex: log.index, blockHash: log.blockHash.toLowerCase(), txHash: log.transactionHash.toLowerCase(), contract, name: desc.name };
      const own = this.readers.get(contract);
      const outcome = own?.reader.read({ log, desc, base, batchId: batchOfTx.get(log.transactionHash) ?? null }, own.ctx, inspected.get(contract));
      if (outcome) {
        events += outcome.events;
        addCounts(counts, outcome.counts);
        continue;
      }
      const batched = desc.name.endsWith('BatchApplied');
      const event: PulledEvent = { ...base, batchId: batched ? hex(desc.args.batchId) : null, subject: batched ? hex(desc.args.batchId) : contract, data: {} };
      if (this.mirror.record(event)) events++;
    }
    for (const { log } of parsed) this.mirror.seeBlock(log.blockNumber, log.blockHash.toLowerCase());
    this.mirror.seeBlock(to, toHash);
    this.mirror.pruneSeen(to - KEEP_SEEN_BLOCKS);
    for (const { reader, ctx } of this.readers.values()) reader.prune?.(ctx, to - KEEP_SEEN_BLOCKS);
    this.mirror.setCursor(CURSOR, to, toHash);
    return events;
  }
}

function addCounts(into: Record<string, number>, add: Record<string, number> | undefined): void {
  for (const [k, v] of Object.entries(add ?? {})) into[k] = (into[k] ?? 0) + v;
}

function hex(v: unknown): string {
  return String(v).toLowerCase();
}
