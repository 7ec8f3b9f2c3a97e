// "Verify integrity": one pass over the trail recomputes every entry hash and link, rebuilds each batch's Merkle
// root (or, quick, checks the stored proof of its last leaf), then compares the roots with this database's trail
// in AuditAnchor on chain (other workstations anchor their own trails into the same contract).
import type { AuditHeadView, AuditLogReport, AuditVerifyReport, BatchProblem, TamperFinding } from '../api/audit';
import type { Db } from '../db/connection';
import { getAddress } from 'ethers';
import { AuditAnchorReader, type AnchoredHead, type AuditChain } from './anchor-reader';
import type { AuditBatchRow } from './batches';
import { batchIdOf, fastRoot, leafOf, libraryRoot, verifyLeafProof, ZERO_ROOT } from './merkle';
import { readHeadsFile } from './heads-file';
import type { SignedTreeHead } from './heads';
import { mergeRotations, rotationsInDatabase } from './key-rotation';
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
  /**
   * The side tables the log seals, each checked against its seal entries: today the FHIR exports' patient sets
   * (consents/export-seal.ts, checkExportPatientSets). Handed in by the composition root (AuditDeps.exportSets),
   * because consents, which seals into the log, stands above audit. Absent (tests of the log alone): none checked.
   */
  exportSets?: (db: Db) => AuditVerifyReport['exportSets'];
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
  const chainHeads = await readChainHeads(db, options);
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
  const logReport = checkSignedHeads(db, { ...options, chainHeads: chainHeads.heads }, (warnings) => logWarnings.push(...warnings));
  const lastBatched = batches.at(-1)?.last_id ?? 0;
  const unbatchedEntries = (db.prepare('SELECT count(*) AS n FROM audit_log WHERE id > ?').get(lastBatched) as { n: number }).n;

  const counts = { total: batches.length, anchored: 0, notAnchored: 0, mismatched: 0, unchecked: 0 };
  const exportSets = options.exportSets?.(db) ?? { verified: 0, notCovered: 0, tampered: [] };
  const warnings: string[] = [...logWarnings, ...exportSets.tampered.map((t) => t.message)];
  if (exportSets.notCovered) {
    warnings.push(`${exportSets.notCovered} FHIR export(s) have patient sets recorded before sets were sealed: the signed log does not cover them, so a patient removed from one would go unseen.`);
  }
  // Batches are local now (their roots are no longer anchored): the chain holds signed tree heads instead.
  counts.unchecked = batches.length;
  const chainState: AuditVerifyReport['chain'] = chainHeads.state;
  if (chainState.state === 'unavailable') warnings.push(`Signed heads were not compared with the chain: ${chainState.reason}`);

  // A batch-level finding only says "somewhere in first–last"; a chain finding inside that range names the entry.
  const scanned = scan.finding;
  const vague = (p: BatchProblem) => p.entryId === undefined && scanned !== null && p.firstId <= scanned.entryId && scanned.entryId <= p.lastId;
  const headProblem: TamperFinding | null = logReport.check.problem ? { kind: logReport.check.problem.kind, entryId: logReport.check.problem.entryId, message: logReport.check.problem.message } : null;
  const candidates = [...(scanned ? [scanned] : []), ...(headProblem ? [headProblem] : []), ...batchProblems.filter((p) => !vague(p)).map(findingOf)];
  const firstProblem = candidates.reduce<TamperFinding | null>((first, f) => (first === null || f.entryId < first.entryId ? f : first), null);
  return {
    ok: firstProblem === null && batchProblems.length === 0 && !logReport.failed && exportSets.tampered.length === 0,
    depth,
    entries,
    lastEntryId,
    unbatchedEntries,
    batches: counts,
    chain: chainState,
    firstProblem,
    log: logReport.report,
    batchProblems,
    exportSets,
    warnings,
    durationMs: Math.round(performance.now() - started),
    checkedAt: now().toISOString(),
  };
}

const headView = (h: SourcedHead | null): AuditHeadView | null =>
  h ? { treeSize: h.treeSize, rootHash: h.rootHash, timestamp: h.timestamp, signer: h.signer, sources: [...h.sources] } : null;

/**
 * The log against its signed heads from the database, the heads file and the chain. Heads missing from one place
 * but present in another are tampering too (a crash can leave the file one head ahead of the database, no more).
 */
function checkSignedHeads(db: Db, options: VerifyOptions, warn: (w: string[]) => void): { report: AuditLogReport; check: LogCheck; failed: boolean } {
  const inDb = headsInDatabase(db);
  const file = options.dataDir ? readHeadsFile(options.dataDir) : { exists: false, heads: [], rotations: [], badLines: [] };
  const chain = options.chainHeads && 'heads' in options.chainHeads ? options.chainHeads.heads : [];
  const { heads, forks } = mergeHeads([
    { source: 'database', heads: inDb },
    { source: 'file', heads: file.heads },
    { source: 'chain', heads: chain },
  ]);
  const trailId = auditTrailId(db);
  const entryHashes = (db.prepare('SELECT hash FROM audit_log ORDER BY id').pluck().iterate() as IterableIterator<string>);
  const rotations = mergeRotations(rotationsInDatabase(db), file.rotations);
  const check = checkLogAgainstHeads(entryHashes, heads, { trailId, forks, rotations, ...(options.signer ? { signer: options.signer } : {}) });
  const warnings: string[] = [];
  if (check.priorKeyHeads) {
    const p = check.priorKeyHeads;
    warnings.push(
      `${p.heads} head(s), up to ${p.upToSize} entries, were signed by the public devnet key ${p.signer} before this data folder had its own key: they prove nothing against someone with the data folder. Heads after them are signed by this workstation's own key.`,
    );
  }
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

/**
 * This workstation's heads as AuditAnchor v2 holds them: the trail is the signing address (given, or named by the
 * heads of the database and the file). Chain heads carry no signature: the contract bound them to their sender.
 */
async function readChainHeads(db: Db, options: VerifyOptions): Promise<{ heads: NonNullable<VerifyOptions['chainHeads']>; state: AuditVerifyReport['chain'] }> {
  if (options.chainHeads) return { heads: options.chainHeads, state: 'heads' in options.chainHeads ? { state: 'unavailable', reason: 'chain heads given by the caller' } : { state: 'unavailable', reason: options.chainHeads.unavailable } };
  const chain = options.chain;
  if (!chain) {
    const reason = options.chainUnavailable ?? 'No chain connection.';
    return { heads: { unavailable: reason }, state: { state: 'unavailable', reason } };
  }
  const local = headsInDatabase(db).at(-1) ?? (options.dataDir ? readHeadsFile(options.dataDir).heads.at(-1) : undefined);
  const trail = options.signer ?? local?.signer;
  if (!trail) {
    const reason = 'No signing address is known (no key unlocked and no signed head yet), so no trail to read on chain.';
    return { heads: { unavailable: reason }, state: { state: 'unavailable', reason } };
  }
  try {
    const actual = Number(BigInt((await chain.provider.send('eth_chainId', [])) as string));
    if (actual !== chain.chainId) throw new Error(`the node serves chain ${actual}, expected ${chain.chainId}`);
    const anchored = await new AuditAnchorReader(chain.provider, chain.auditAnchor).headsOf(trail);
    const trailId = auditTrailId(db);
    const heads = anchored.map((h: AnchoredHead): SignedTreeHead => ({ trailId, treeSize: h.treeSize, rootHash: h.rootHash, timestamp: h.timestamp * 1000, signer: getAddress(trail), signature: '' }));
    return { heads: { heads }, state: { state: 'checked', chainId: chain.chainId, contract: chain.auditAnchor } };
  } catch (err) {
    const reason = `The chain could not be read: ${(err as Error).message.split('\n')[0]!.slice(0, 200)}`;
    return { heads: { unavailable: reason }, state: { state: 'unavailable', reason } };
  }
}
