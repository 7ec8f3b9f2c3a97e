// "Verify integrity": one pass over the trail recomputes every entry hash and link, rebuilds each batch's Merkle
// root (or, quick, checks the stored proof of its last leaf), then compares the roots with this database's trail
// in AuditAnchor on chain (other workstations anchor their own trails into the same contract).
import type { AuditHeadView, AuditLogReport, AuditVerifyReport, BatchProblem, TamperFinding } from '../api/audit';
import type { Db } from '../db/connection';
import { AuditAnchorReader, type AuditChain } from './anchor-reader';
import type { AuditBatchRow } from './batches';
import { batchIdOf, fastRoot, leafOf, libraryRoot, verifyLeafProof, ZERO_ROOT } from './merkle';
import { readHeadsFile } from './heads-file';
import type { SignedTreeHead } from './heads';
import { checkLogAgainstHeads, headsInDatabase, mergeHeads, type LogCheck, type SourcedHead } from './log';
import { auditTrailId } from './trail-id';
import { TrailScanner } from './trail-scan';
import type { AuditEntry } from './trail';

export interface VerifyOptions {
  depth?: 'full' | 'quick';
  /** The chain to compare roots with; null or absent: report why in `chainUnavailable`. */
  chain?: AuditChain | null;
  chainUnavailable?: string;
  now?: () => Date;
  /** The data folder, whose heads file is read; absent: only the database's heads are used. */
  dataDir?: string;
  /** The workstation's signing address, when known: every head must be signed by it. */
  signer?: string;
  /** This workstation's heads as anchored on chain (AuditAnchor v2), or why they could not be read. */
  chainHeads?: { heads: SignedTreeHead[] } | { unavailable: string };
}

const MAX_BATCH_PROBLEMS = 50;
const CHAIN_CONCURRENCY = 16;

/** Local checks of one batch row that need no entries: its id, its place in the root chain. */
export function checkBatchRow(batch: AuditBatchRow, previous: AuditBatchRow | undefined): string | null {
  const expectedFirst = previous ? previous.last_id + 1 : 1;
  if (batch.first_id !== expectedFirst) return `batch ${batch.batch_id} starts at entry ${batch.first_id}, expected ${expectedFirst}`;
  if (batch.previous_root !== (previous?.merkle_root ?? ZERO_ROOT)) return `batch ${batch.batch_id} does not name the previous batch's root`;
  if (batch.batch_id !== batchIdOf(batch.first_id, batch.last_id, batch.merkle_root)) return `batch ${batch.batch_id}'s id does not match its entries ${batch.first_id}–${batch.last_id} and root`;
  return null;
}

interface BatchAccumulator {
  batch: AuditBatchRow;
  leaves: { id: number; hash: string }[];
  count: number;
  nextId: number;
  firstMissing: number | null;
  lastHash: string | null;
}

const accumulator = (batch: AuditBatchRow): BatchAccumulator => ({ batch, leaves: [], count: 0, nextId: batch.first_id, firstMissing: null, lastHash: null });

/** Compares a batch's entries with its recorded root; a problem or null. */
function judgeBatch(acc: BatchAccumulator, depth: 'full' | 'quick'): BatchProblem | null {
  const { batch } = acc;
  const where = { batchId: batch.batch_id, firstId: batch.first_id, lastId: batch.last_id };
  if (acc.count !== batch.leaf_count || acc.lastHash === null) {
    const missing = acc.firstMissing ?? acc.nextId;
    return {
      ...where,
      problem: 'entries',
      entryId: missing,
      message: `Entry ${missing} was deleted: batch ${batch.batch_id} covers entries ${batch.first_id}–${batch.last_id} (${batch.leaf_count}), but only ${acc.count} of them are present.`,
    };
  }
  if (depth === 'full') {
    // The fast root can only err towards a false alarm, so a mismatch is confirmed with the library's tree.
    if (fastRoot(acc.leaves) !== batch.merkle_root && libraryRoot(acc.leaves) !== batch.merkle_root) {
      return { ...where, problem: 'root', message: `Entries ${batch.first_id}–${batch.last_id} no longer give batch ${batch.batch_id}'s recorded root: at least one of them was changed and re-hashed.` };
    }
    return null;
  }
  let proof: string[] = [];
  try {
    proof = JSON.parse(batch.last_leaf_proof) as string[];
  } catch {
    proof = [];
  }
  if (!verifyLeafProof(batch.merkle_root, leafOf(batch.last_id, acc.lastHash), proof)) {
    return { ...where, problem: 'root', message: `Entry ${batch.last_id} is no longer the last leaf of batch ${batch.batch_id}'s root: entries up to ${batch.last_id} were changed and re-hashed.` };
  }
  return null;
}

function findingOf(p: BatchProblem): TamperFinding {
  return { kind: p.problem === 'entries' ? 'deleted' : 'changed', entryId: p.entryId ?? p.firstId, message: p.message, batchId: p.batchId };
}

export async function verifyAuditTrail(db: Db, options: VerifyOptions = {}): Promise<AuditVerifyReport> {
  const now = options.now ?? (() => new Date());
  const started = performance.now();
  const depth = options.depth ?? 'full';
  const batches = db.prepare('SELECT * FROM audit_batches ORDER BY first_id').all() as AuditBatchRow[];
  const batchProblems: BatchProblem[] = [];
  const addProblem = (p: BatchProblem) => {
    if (batchProblems.length < MAX_BATCH_PROBLEMS) batchProblems.push(p);
  };
  batches.forEach((b, i) => {
    const wrong = checkBatchRow(b, batches[i - 1]);
    if (wrong) addProblem({ batchId: b.batch_id, firstId: b.first_id, lastId: b.last_id, problem: 'root', message: `The batch table was altered: ${wrong}.` });
  });

  const logWarnings: string[] = [];
  // One pass in id order: better-sqlite3 reads in a single statement, so the scan sees one snapshot.
  const scanner = new TrailScanner();
  let bi = 0;
  let acc: BatchAccumulator | null = null;
  let entries = 0;
  let lastEntryId: number | null = null;
  const close = () => {
    if (!acc) return;
    const problem = judgeBatch(acc, depth);
    if (problem) addProblem(problem);
    acc = null;
    bi++;
  };
  for (const e of db.prepare('SELECT * FROM audit_log ORDER BY id').iterate() as IterableIterator<AuditEntry>) {
    entries++;
    lastEntryId = e.id;
    scanner.push(e);
    while (bi < batches.length && e.id > batches[bi]!.last_id) {
      acc ??= accumulator(batches[bi]!);
      close();
    }
    const batch = batches[bi];
    if (batch && e.id >= batch.first_id) {
      acc ??= accumulator(batch);
      if (e.id !== acc.nextId) acc.firstMissing ??= acc.nextId;
      acc.nextId = e.id + 1;
      acc.count++;
      if (depth === 'full') acc.leaves.push({ id: e.id, hash: e.hash });
      if (e.id === batch.last_id) {
        acc.lastHash = e.hash;
        close();
      }
    }
  }
  while (bi < batches.length) {
    acc ??= accumulator(batches[bi]!);
    close();
  }
  const scan = scanner.finish();
  const logReport = checkSignedHeads(db, options, warnings => logWarnings.push(...warnings));
  const lastBatched = batches.at(-1)?.last_id ?? 0;
  const unbatchedEntries = (db.prepare('SELECT count(*) AS n FROM audit_log WHERE id > ?').get(lastBatched) as { n: number }).n;

  const counts = { total: batches.length, anchored: 0, notAnchored: 0, mismatched: 0, unchecked: 0 };
  const warnings: string[] = [...logWarnings];
  let chainState: AuditVerifyReport['chain'];
  if (options.chain) {
    const trailId = auditTrailId(db); // outside the try: a database without one is broken, not the chain
    try {
      await compareWithChain(options.chain, trailId, batches, counts, addProblem);
      chainState = { state: 'checked', chainId: options.chain.chainId, contract: options.chain.auditAnchor };
    } catch (err) {
      counts.anchored = counts.notAnchored = counts.mismatched = 0;
      counts.unchecked = batches.length;
      chainState = { state: 'unavailable', reason: `The chain could not be read: ${(err as Error).message.split('\n')[0]!.slice(0, 200)}` };
    }
  } else {
    counts.unchecked = batches.length;
    chainState = { state: 'unavailable', reason: options.chainUnavailable ?? 'No chain connection.' };
  }
  if (chainState.state === 'unavailable' && batches.length) warnings.push(`Roots were not compared with the chain: ${chainState.reason}`);
  if (unbatchedEntries) warnings.push(`${unbatchedEntries} entr${unbatchedEntries === 1 ? 'y is' : 'ies are'} not in a batch yet: only the hash chain protects them so far.`);

  // A batch-level finding only says "somewhere in first–last"; a chain finding inside that range names the entry.
  const scanned = scan.finding;
  const vague = (p: BatchProblem) => p.entryId === undefined && scanned !== null && p.firstId <= scanned.entryId && scanned.entryId <= p.lastId;
  const headProblem: TamperFinding | null = logReport.check.problem ? { kind: logReport.check.problem.kind, entryId: logReport.check.problem.entryId, message: logReport.check.problem.message } : null;
  const candidates = [...(scanned ? [scanned] : []), ...(headProblem ? [headProblem] : []), ...batchProblems.filter((p) => !vague(p)).map(findingOf)];
  const firstProblem = candidates.reduce<TamperFinding | null>((first, f) => (first === null || f.entryId < first.entryId ? f : first), null);
  return {
    ok: firstProblem === null && batchProblems.length === 0 && !logReport.failed,
    depth,
    entries,
    lastEntryId,
    unbatchedEntries,
    batches: counts,
    chain: chainState,
    firstProblem,
    log: logReport.report,
    batchProblems,
    warnings,
    durationMs: Math.round(performance.now() - started),
    checkedAt: now().toISOString(),
  };
}

/**
 * Each batch's anchor by id. AuditAnchor chains each trail's roots, so this trail's anchored batches are a prefix of
 * the local ones: a batch missing on chain before an anchored one, or fewer local matches than anchors in this
 * trail, means local rewriting. Anchors of other trails (other workstations) are not this database's business.
 */
async function compareWithChain(
  chain: AuditChain,
  trailId: string,
  batches: AuditBatchRow[],
  counts: AuditVerifyReport['batches'],
  addProblem: (p: BatchProblem) => void,
): Promise<void> {
  const reader = new AuditAnchorReader(chain.provider, chain.auditAnchor);
  const actual = Number(BigInt((await chain.provider.send('eth_chainId', [])) as string));
  if (actual !== chain.chainId) throw new Error(`the node serves chain ${actual}, expected ${chain.chainId}`);
  const anchors: (Awaited<ReturnType<AuditAnchorReader['anchorOf']>>)[] = [];
  for (let i = 0; i < batches.length; i += CHAIN_CONCURRENCY) {
    anchors.push(...(await Promise.all(batches.slice(i, i + CHAIN_CONCURRENCY).map((b) => reader.anchorOf(b.batch_id)))));
  }
  const onChainCount = await reader.anchorCount(trailId);
  // A root on chain under another batch id: the batch row's range or id was rewritten around an anchored root.
  const rootElsewhere = await Promise.all(batches.map((b, i) => (anchors[i] ? false : reader.isAnchored(b.merkle_root))));
  let firstUnanchored: AuditBatchRow | null = null;
  for (const [i, b] of batches.entries()) {
    const a = anchors[i];
    if (!a && rootElsewhere[i]) {
      counts.mismatched++;
      addProblem({ batchId: b.batch_id, firstId: b.first_id, lastId: b.last_id, problem: 'chain', message: `Batch ${b.batch_id} (entries ${b.first_id}–${b.last_id}) has a root that AuditAnchor holds under another batch id: the batch row was rewritten.` });
      continue;
    }
    if (!a) {
      counts.notAnchored++;
      firstUnanchored ??= b;
      continue;
    }
    if (a.trailId !== trailId) {
      // Batch ids are unique across trails, so another trail holding this id is a copied or rewritten batch row.
      counts.mismatched++;
      addProblem({ batchId: b.batch_id, firstId: b.first_id, lastId: b.last_id, problem: 'chain', message: `Batch ${b.batch_id} (entries ${b.first_id}–${b.last_id}) is anchored in another audit trail (${a.trailId.slice(0, 12)}…), not in this database's (${trailId.slice(0, 12)}…): the batch row was copied from another database or rewritten.` });
      continue;
    }
    if (a.merkleRoot !== b.merkle_root || a.leafCount !== b.leaf_count) {
      counts.mismatched++;
      addProblem({ batchId: b.batch_id, firstId: b.first_id, lastId: b.last_id, problem: 'chain', message: `Batch ${b.batch_id} (entries ${b.first_id}–${b.last_id}) is anchored with root ${a.merkleRoot.slice(0, 12)}… and ${a.leafCount} leaves, but the database records ${b.merkle_root.slice(0, 12)}… and ${b.leaf_count}.` });
      continue;
    }
    counts.anchored++;
    if (firstUnanchored) {
      const f = firstUnanchored;
      counts.notAnchored--;
      counts.mismatched++;
      addProblem({ batchId: f.batch_id, firstId: f.first_id, lastId: f.last_id, problem: 'chain', message: `Batch ${f.batch_id} (entries ${f.first_id}–${f.last_id}) is not on chain although a later batch is: its entries or root were rewritten.` });
      firstUnanchored = null;
    }
  }
  // Anchors in this trail that no local batch id accounts for: the batch that should hold them was rewritten, or
  // (no such batch) the last batches and their entries were removed.
  const known = anchors.filter((a) => a?.trailId === trailId).length;
  if (onChainCount > known) {
    const f = firstUnanchored;
    if (f) {
      counts.notAnchored--;
      counts.mismatched++;
      addProblem({ batchId: f.batch_id, firstId: f.first_id, lastId: f.last_id, problem: 'chain', message: `AuditAnchor holds ${onChainCount} roots in this database's trail but only ${known} batches of this database are among them; batch ${f.batch_id} (entries ${f.first_id}–${f.last_id}) was rewritten.` });
    } else {
      const next = (batches.at(-1)?.last_id ?? 0) + 1;
      addProblem({ batchId: '(chain)', firstId: next, lastId: next, problem: 'chain', entryId: next, message: `AuditAnchor holds ${onChainCount} roots in this database's trail but this database has only ${known} batches: batches from entry ${next} on were removed (or this database was restored from an older backup).` });
    }
  }
}

const headView = (h: SourcedHead | null): AuditHeadView | null =>
  h ? { treeSize: h.treeSize, rootHash: h.rootHash, timestamp: h.timestamp, signer: h.signer, sources: [...h.sources] } : null;

/**
 * The log against its signed heads from the database, the heads file and the chain. Heads missing from one place
 * but present in another are tampering too (a crash can leave the file one head ahead of the database, no more).
 */
function checkSignedHeads(db: Db, options: VerifyOptions, warn: (w: string[]) => void): { report: AuditLogReport; check: LogCheck; failed: boolean } {
  const inDb = headsInDatabase(db);
  const file = options.dataDir ? readHeadsFile(options.dataDir) : { exists: false, heads: [], badLines: [] };
  const chain = options.chainHeads && 'heads' in options.chainHeads ? options.chainHeads.heads : [];
  const { heads, forks } = mergeHeads([
    { source: 'database', heads: inDb },
    { source: 'file', heads: file.heads },
    { source: 'chain', heads: chain },
  ]);
  const trailId = auditTrailId(db);
  const entryHashes = (db.prepare('SELECT hash FROM audit_log ORDER BY id').pluck().iterate() as IterableIterator<string>);
  const check = checkLogAgainstHeads(entryHashes, heads, { trailId, forks, ...(options.signer ? { signer: options.signer } : {}) });
  const warnings: string[] = [];
  let failed = false;
  const dbMax = inDb.at(-1)?.treeSize ?? 0;
  if (options.dataDir) {
    if (file.badLines.length) {
      failed = true;
      warnings.push(`The heads file has ${file.badLines.length} line(s) that are not a signed head (line ${file.badLines[0]}): it was edited.`);
    }
    if (!file.exists && inDb.length) {
      failed = true;
      warnings.push(`The heads file is missing although the database holds ${inDb.length} signed head(s): it was deleted.`);
    }
    const fileSizes = new Set(file.heads.map((h) => h.treeSize));
    const notInFile = inDb.filter((h) => !fileSizes.has(h.treeSize));
    if (file.exists && notInFile.length) {
      failed = true;
      warnings.push(`${notInFile.length} head(s) of the database are not in the heads file (first: ${notInFile[0]!.treeSize} entries): the file was rewritten.`);
    }
  }
  const dbSizes = new Set(inDb.map((h) => h.treeSize));
  const dropped = [...file.heads, ...chain].filter((h) => !dbSizes.has(h.treeSize) && h.treeSize <= dbMax);
  if (dropped.length) {
    failed = true;
    warnings.push(`${dropped.length} signed head(s) from the heads file or the chain are missing from the database (first: ${dropped[0]!.treeSize} entries): its heads were deleted.`);
  }
  if (check.unsignedTail) {
    warnings.push(`${check.unsignedTail.entries} entr${check.unsignedTail.entries === 1 ? 'y' : 'ies'} after the last signed head (${check.unsignedTail.sinceSize} entries) ${check.unsignedTail.entries === 1 ? 'is' : 'are'} not signed yet (unsigned tail since head ${check.unsignedTail.sinceSize}).`);
  }
  warn(warnings);
  const chainHead: AuditLogReport['chainHead'] = !options.chainHeads
    ? { state: 'unavailable', reason: options.chainUnavailable ?? 'No chain connection.' }
    : 'unavailable' in options.chainHeads
      ? { state: 'unavailable', reason: options.chainHeads.unavailable }
      : { state: 'checked', treeSize: chain.at(-1)?.treeSize ?? null };
  return {
    check,
    failed: failed || check.problem !== null,
    report: {
      treeSize: check.treeSize,
      root: check.root,
      verifiedSize: check.verifiedSize,
      lastSignedHead: headView(heads.at(-1) ?? null),
      lastMatchingHead: headView(check.lastMatchingHead),
      unsignedTail: check.unsignedTail,
      headsFile: file.exists ? 'present' : 'missing',
      headsInDatabase: inDb.length,
      headsInFile: file.heads.length,
      chainHead,
    },
  };
}
