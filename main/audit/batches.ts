// Seals consecutive un-batched audit entries into local Merkle batches (by count and by age) for the quick
// verification and the entry proofs of the batch design. Batches are no longer anchored: signed tree heads of the
// whole log are (log.ts, AuditAnchor v2).
import type { AuditBatchSummary } from '../api/audit';
import { AppError } from '../api/errors';
import type { Db } from '../db/connection';
import type { Logger } from '../runtime/log';
import { batchIdOf, buildTree, fastTree, leafOf, libraryBatchTree, libraryRoot, verifyLeafProof, ZERO_ROOT, type AuditLeaf, type BatchTree } from './merkle';
import { auditTrailId } from './trail-id';
import { TrailScanner } from './trail-scan';
import { entryHash, type AuditEntry } from './trail';

export interface BatchPolicy {
  /** Most entries in one batch (one tree, one anchor transaction). */
  maxEntries: number;
  /** A partial batch is sealed once its oldest entry is this old. */
  maxAgeMs: number;
}

export const DEFAULT_BATCH_POLICY: BatchPolicy = { maxEntries: 1000, maxAgeMs: 5 * 60_000 };

export const AUDIT_ROOT_KIND = 'audit.root';

export interface AuditBatchRow {
  batch_id: string;
  first_id: number;
  last_id: number;
  leaf_count: number;
  merkle_root: string;
  previous_root: string;
  last_leaf_proof: string;
  created_at: string;
}

/**
 * The outbox payload the sync engine turns into AuditAnchor.anchor(trailId, batchId, merkleRoot, leafCount,
 * previousRoot). `previousRoot` is the root of this database's previous batch: the chain keeps one root chain per trail.
 */
export interface AuditRootPayload {
  trailId: string;
  batchId: string;
  merkleRoot: string;
  leafCount: number;
  previousRoot: string;
}

/**
 * Sizes of the batches to seal now: as many full batches as there are, then the rest if it is old enough or
 * sealing is forced ("batch now"). `restOldestAgeMs` is the age of the oldest entry left after the full ones.
 */
export function planBatchSizes(unbatched: number, restOldestAgeMs: number | null, policy: BatchPolicy, force: boolean): number[] {
  if (!(policy.maxEntries >= 1)) throw new RangeError('maxEntries must be at least 1');
  const sizes: number[] = Array.from({ length: Math.floor(unbatched / policy.maxEntries) }, () => policy.maxEntries);
  const rest = unbatched % policy.maxEntries;
  if (rest > 0 && (force || (restOldestAgeMs !== null && restOldestAgeMs >= policy.maxAgeMs))) sizes.push(rest);
  return sizes;
}

export function toSummary(row: AuditBatchRow): AuditBatchSummary {
  return {
    batchId: row.batch_id,
    firstId: row.first_id,
    lastId: row.last_id,
    leafCount: row.leaf_count,
    merkleRoot: row.merkle_root,
    previousRoot: row.previous_root,
    createdAt: row.created_at,
  };
}

export function lastBatch(db: Db): AuditBatchRow | undefined {
  return db.prepare('SELECT * FROM audit_batches ORDER BY first_id DESC LIMIT 1').get() as AuditBatchRow | undefined;
}

export function batchOfEntry(db: Db, entryId: number): AuditBatchRow | undefined {
  const row = db.prepare('SELECT * FROM audit_batches WHERE first_id <= ? ORDER BY first_id DESC LIMIT 1').get(entryId) as AuditBatchRow | undefined;
  return row && row.last_id >= entryId ? row : undefined;
}

export function listBatches(db: Db): AuditBatchRow[] {
  return db.prepare('SELECT * FROM audit_batches ORDER BY first_id').all() as AuditBatchRow[];
}

export function unbatchedCount(db: Db): number {
  const after = lastBatch(db)?.last_id ?? 0;
  return (db.prepare('SELECT count(*) AS n FROM audit_log WHERE id > ?').get(after) as { n: number }).n;
}

function entriesAfter(db: Db, afterId: number, limit: number): AuditEntry[] {
  return db.prepare('SELECT * FROM audit_log WHERE id > ? ORDER BY id LIMIT ?').all(afterId, limit) as AuditEntry[];
}

/** Refuses to seal over a broken chain: anchoring a tampered trail would make it look authentic. */
function assertIntact(entries: AuditEntry[], before: { id: number; hash: string } | undefined): void {
  const scanner = new TrailScanner(undefined, before);
  for (const e of entries) scanner.push(e);
  const { finding } = scanner.finish();
  if (finding) {
    throw new AppError('AUDIT_TAMPERED', `Audit entries were not batched: ${finding.message}`, { finding });
  }
}

/**
 * Seals the next `size` entries after entry `expectedAfter`, the end of the last batch when the plan was made.
 * The tree is built before taking the write lock (entries never change); the lock is held only to re-check that
 * no other process (console and CLI share the file) sealed meanwhile, and to write the batch and its outbox event.
 */
function sealNext(db: Db, trailId: string, size: number, expectedAfter: number): AuditBatchRow | null {
  const prev = lastBatch(db);
  if ((prev?.last_id ?? 0) !== expectedAfter) return null;
  const entries = entriesAfter(db, expectedAfter, size);
  if (entries.length === 0) return null;
  const before = expectedAfter > 0 ? (db.prepare('SELECT id, hash FROM audit_log WHERE id = ?').get(expectedAfter) as { id: number; hash: string } | undefined) : undefined;
  if (expectedAfter > 0 && !before) throw new AppError('AUDIT_TAMPERED', `Audit entries were not batched: entry ${expectedAfter}, the last one batched, is missing.`);
  assertIntact(entries, before);
  const leaves = entries.map((e) => leafOf(e.id, e.hash));
  const tree = buildTree(leaves);
  const firstId = entries[0]!.id;
  const lastId = entries[entries.length - 1]!.id;
  const row: AuditBatchRow = {
    batch_id: batchIdOf(firstId, lastId, tree.root),
    first_id: firstId,
    last_id: lastId,
    leaf_count: entries.length,
    merkle_root: tree.root,
    previous_root: prev?.merkle_root ?? ZERO_ROOT,
    last_leaf_proof: JSON.stringify(tree.getProof(leaves.length - 1)),
    created_at: new Date().toISOString(),
  };
  const write = db.transaction((): boolean => {
    if ((lastBatch(db)?.last_id ?? 0) !== expectedAfter) return false;
    db.prepare(
      `INSERT INTO audit_batches (batch_id, first_id, last_id, leaf_count, merkle_root, previous_root, last_leaf_proof, created_at)
       VALUES (@batch_id, @first_id, @last_id, @leaf_count, @merkle_root, @previous_root, @last_leaf_proof, @created_at)`,
    ).run(row);
    return true;
  });
  // IMMEDIATE: take the write lock before re-reading the last batch, so two processes cannot both seal it.
  if (!write.immediate()) return null;
  treeCache(db).set(row.batch_id, { root: tree.root, proof: (position) => tree.getProof(position) });
  return row;
}

export interface SealOptions {
  policy?: BatchPolicy;
  /** Seal the remainder whatever its age ("batch now"). */
  force?: boolean;
  now?: Date;
  /** Stop after this many batches (the periodic batcher seals a backlog a little at a time). */
  maxBatches?: number;
}

/** Seals every batch that is due under the policy, one transaction each; returns them oldest first. */
export function sealDueBatches(db: Db, options: SealOptions = {}): AuditBatchRow[] {
  const policy = options.policy ?? DEFAULT_BATCH_POLICY;
  const after = lastBatch(db)?.last_id ?? 0;
  const pending = (db.prepare('SELECT count(*) AS n FROM audit_log WHERE id > ?').get(after) as { n: number }).n;
  const full = Math.floor(pending / policy.maxEntries);
  const restFirst = db.prepare('SELECT at FROM audit_log WHERE id > ? ORDER BY id LIMIT 1 OFFSET ?').get(after, full * policy.maxEntries) as
    | { at: string }
    | undefined;
  const age = restFirst ? (options.now ?? new Date()).getTime() - Date.parse(restFirst.at) : null;
  const sealed: AuditBatchRow[] = [];
  const sizes = planBatchSizes(pending, age, policy, options.force ?? false).slice(0, options.maxBatches ?? Infinity);
  const trailId = sizes.length ? auditTrailId(db) : '';
  let end = after;
  for (const size of sizes) {
    const row = sealNext(db, trailId, size, end);
    if (!row) break;
    sealed.push(row);
    end = row.last_id;
  }
  return sealed;
}

// Trees of recently used batches, per connection: entries never change, so a tree stays valid (and proveEntry
// still checks its root against the recorded one).
class TreeCache {
  private readonly trees = new Map<string, BatchTree>();
  constructor(private readonly size: number) {}
  get(batchId: string): BatchTree | undefined {
    const tree = this.trees.get(batchId);
    if (tree) {
      this.trees.delete(batchId);
      this.trees.set(batchId, tree); // most recently used last
    }
    return tree;
  }
  set(batchId: string, tree: BatchTree): void {
    this.trees.set(batchId, tree);
    for (const oldest of this.trees.keys()) {
      if (this.trees.size <= this.size) break;
      this.trees.delete(oldest);
    }
  }
}
const caches = new WeakMap<Db, TreeCache>();

function treeCache(db: Db): TreeCache {
  let cache = caches.get(db);
  if (!cache) {
    cache = new TreeCache(8);
    caches.set(db, cache);
  }
  return cache;
}

export interface EntryProof {
  entry: AuditEntry;
  batch: AuditBatchRow;
  leaf: AuditLeaf;
  proof: string[];
}

/** The Merkle proof of one entry, rebuilt from its batch's entries and checked against the recorded root. */
export function proveEntry(db: Db, entryId: number): EntryProof {
  const entry = db.prepare('SELECT * FROM audit_log WHERE id = ?').get(entryId) as AuditEntry | undefined;
  if (!entry) throw new AppError('AUDIT_ENTRY_NOT_FOUND', `There is no audit entry ${entryId}.`, { entryId });
  const { hash: recorded, ...fields } = entry;
  if (entryHash(fields) !== recorded) {
    throw new AppError('AUDIT_TAMPERED', `Audit entry ${entryId} was changed: its fields no longer match its recorded hash, so no proof is exported. Run Verify integrity.`, { entryId });
  }
  const batch = batchOfEntry(db, entryId);
  if (!batch) {
    throw new AppError('AUDIT_NOT_BATCHED', `Audit entry ${entryId} is not in a batch yet; batch now (audit.batchNow) or wait for the next batch.`, { entryId });
  }
  const cache = treeCache(db);
  let tree = cache.get(batch.batch_id);
  if (!tree) {
    const entries = db.prepare('SELECT id, hash FROM audit_log WHERE id BETWEEN ? AND ? ORDER BY id').all(batch.first_id, batch.last_id) as { id: number; hash: string }[];
    tree = fastTree(entries);
    // The fast tree is checked against the library before anything relies on it (see merkle.ts).
    if (tree.root !== batch.merkle_root && libraryRoot(entries) === batch.merkle_root) tree = libraryBatchTree(entries.map((e) => leafOf(e.id, e.hash)));
    if (tree.root !== batch.merkle_root || entries.length !== batch.leaf_count) {
      throw new AppError('AUDIT_TAMPERED', `Audit entry ${entryId} cannot be proven: the entries of batch ${batch.batch_id} (${batch.first_id}–${batch.last_id}) no longer give its recorded root. Run Verify integrity.`, {
        entryId,
        batchId: batch.batch_id,
      });
    }
    cache.set(batch.batch_id, tree);
  }
  const leaf = leafOf(entry.id, entry.hash);
  const position = entry.id - batch.first_id; // a batch's entries are contiguous, in id order
  let proof = tree.proof(position);
  if (!verifyLeafProof(batch.merkle_root, leaf, proof)) {
    const entries = db.prepare('SELECT id, hash FROM audit_log WHERE id BETWEEN ? AND ? ORDER BY id').all(batch.first_id, batch.last_id) as { id: number; hash: string }[];
    proof = libraryBatchTree(entries.map((e) => leafOf(e.id, e.hash))).proof(position);
    if (!verifyLeafProof(batch.merkle_root, leaf, proof)) {
      throw new AppError('AUDIT_TAMPERED', `Audit entry ${entryId} does not belong to batch ${batch.batch_id}'s recorded root: it was changed. Run Verify integrity.`, { entryId, batchId: batch.batch_id });
    }
  }
  return { entry, batch, leaf, proof };
}

/**
 * Seals due batches every `intervalMs` until stopped. A backlog (after a large import) is sealed a batch at a time
 * with short pauses, so the main process keeps answering; errors are logged once per distinct message.
 */
export function startAuditBatcher(db: Db, log: Logger, options: { intervalMs?: number; policy?: BatchPolicy } = {}): { stop(): void } {
  let lastError = '';
  let timer: NodeJS.Timeout | null = null;
  let stopped = false;
  const schedule = (ms: number) => {
    if (stopped) return;
    timer = setTimeout(tick, ms);
    timer.unref();
  };
  function tick(): void {
    let more = false;
    try {
      const sealed = sealDueBatches(db, { maxBatches: 1, ...(options.policy ? { policy: options.policy } : {}) });
      if (sealed.length) log.info(`audit: sealed batch ${sealed[0]!.batch_id} (entries ${sealed[0]!.first_id}–${sealed[0]!.last_id})`);
      more = sealed.length > 0;
      lastError = '';
    } catch (err) {
      const message = err instanceof Error ? err.message : String(err);
      if (message !== lastError) log.error(`audit batching failed: ${message}`);
      lastError = message;
    }
    schedule(more ? 50 : (options.intervalMs ?? 30_000));
  }
  schedule(options.intervalMs ?? 30_000);
  return {
    stop: () => {
      stopped = true;
      if (timer) clearTimeout(timer);
    },
  };
}
