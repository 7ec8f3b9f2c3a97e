// The audit log as an append-only Merkle log: leaf i is SHA-256(0x00 || hash of entry i+1) in id order (log-tree.ts).
// Seals signed tree heads (database, heads file, outbox for the chain) and checks the log against the signed heads.
import { AppError } from '../api/errors';
import type { Db } from '../db/connection';
import { enqueueOutbox } from '../sync/outbox';
import { AUDIT_ROOT } from './sync-plugin';
import { appendHeadToFile } from './heads-file';
import { headSignedBy, recoverHeadSigner, signTreeHead, type HeadSigner, type SignedTreeHead } from './heads';
import { rotationSignedByNewKey, type KeyRotation } from './rotation-statement';
import { EMPTY_ROOT, leafHash, nodeHash, toHex, type Hash } from './log-tree';
import { auditTrailId } from './trail-id';
import { TrailScanner } from './trail-scan';
import type { AuditEntry } from './trail';

/** The leaf of an entry: SHA-256(0x00 || its 32-byte entry hash). */
export function entryLeaf(entryHashHex: string): Hash {
  return leafHash(Buffer.from(entryHashHex, 'hex'));
}

/**
 * Roots of every prefix of a leaf stream in O(log n) each: the stack of perfect subtrees (RFC 6962 splits a tree at
 * the largest power of two, so the root folds the stack right to left).
 */
export class TreeBuilder {
  private readonly stack: { size: number; hash: Hash }[] = [];
  size = 0;

  push(leaf: Hash): void {
    let node = { size: 1, hash: leaf };
    while (this.stack.length && this.stack[this.stack.length - 1]!.size === node.size) {
      const left = this.stack.pop()!;
      node = { size: left.size * 2, hash: nodeHash(left.hash, node.hash) };
    }
    this.stack.push(node);
    this.size++;
  }

  root(): Hash {
    if (this.stack.length === 0) return EMPTY_ROOT;
    let acc = this.stack[this.stack.length - 1]!.hash;
    for (let i = this.stack.length - 2; i >= 0; i--) acc = nodeHash(this.stack[i]!.hash, acc);
    return acc;
  }
}

interface HeadRow {
  tree_size: number;
  root_hash: string;
  timestamp: number;
  trail_id: string;
  signer: string;
  signature: string;
}

const fromRow = (r: HeadRow): SignedTreeHead => ({ trailId: r.trail_id, treeSize: r.tree_size, rootHash: r.root_hash, timestamp: r.timestamp, signer: r.signer, signature: r.signature });

export function headsInDatabase(db: Db): SignedTreeHead[] {
  return (db.prepare('SELECT * FROM audit_heads ORDER BY tree_size').all() as HeadRow[]).map(fromRow);
}

export function latestHeadInDatabase(db: Db): SignedTreeHead | null {
  const row = db.prepare('SELECT * FROM audit_heads ORDER BY tree_size DESC LIMIT 1').get() as HeadRow | undefined;
  return row ? fromRow(row) : null;
}

/** The last head whose signer column names `signer` (its signature is the caller's to check), or null. */
export function lastHeadNaming(db: Db, signer: string): SignedTreeHead | null {
  const row = db.prepare('SELECT * FROM audit_heads WHERE signer = ? ORDER BY tree_size DESC LIMIT 1').get(signer) as HeadRow | undefined;
  return row ? fromRow(row) : null;
}

export function logSize(db: Db): number {
  return (db.prepare('SELECT coalesce(max(id), 0) AS n FROM audit_log').get() as { n: number }).n;
}

export interface SealHeadDeps {
  dataDir: string;
  signer: HeadSigner;
  now?: () => Date;
  /** Queue the head for AuditAnchor through the sync outbox, in the sealing transaction (default true). */
  anchor?: boolean;
}

/** The outbox event of a head: AuditAnchor.anchorHead(treeSize, rootHash) in the sender's own trail (sync-plugin.ts). */
function enqueueHeadAnchor(db: Db, head: SignedTreeHead): void {
  enqueueOutbox(db, AUDIT_ROOT, { treeSize: head.treeSize, rootHash: head.rootHash });
}

/**
 * Signs a head over every entry so far, when there are entries no head covers yet. Refuses to sign over a log that
 * no longer gives the last signed root or whose hash chain is broken after it: signing a tampered log would bless it.
 * The head goes to the heads file before the transaction commits, so the file never lacks a head the chain may see.
 */
export function sealTreeHead(db: Db, deps: SealHeadDeps): SignedTreeHead | null {
  const seal = db.transaction((): SignedTreeHead | null => {
    const last = latestHeadInDatabase(db);
    const size = logSize(db);
    if (last && size < last.treeSize) {
      throw new AppError('AUDIT_TAMPERED', `No head was signed: the last signed head covers ${last.treeSize} entries, the log has ${size}: entries were deleted. Run Verify integrity.`, { treeSize: last.treeSize });
    }
    if (size === 0 || size === (last?.treeSize ?? 0)) return null;
    const builder = new TreeBuilder();
    // The hash chain is re-checked only after the last head (the root covers what is before it): a head every 30 s
    // must not rehash a million entries' JSON each time.
    const signed = last?.treeSize ?? 0;
    const before = signed ? (db.prepare('SELECT id, hash FROM audit_log WHERE id = ?').get(signed) as { id: number; hash: string } | undefined) : undefined;
    const scanner = new TrailScanner(undefined, before);
    let expectedId = 1;
    for (const e of db.prepare('SELECT id, hash FROM audit_log ORDER BY id').iterate() as IterableIterator<{ id: number; hash: string }>) {
      if (e.id !== expectedId) throw new AppError('AUDIT_TAMPERED', `No head was signed: audit entry ${expectedId} is missing.`, { entryId: expectedId });
      expectedId++;
      builder.push(entryLeaf(e.hash));
      if (last && builder.size === last.treeSize && toHex(builder.root()) !== last.rootHash) {
        throw new AppError('AUDIT_TAMPERED', `No head was signed: entries 1–${last.treeSize} no longer give the root of the last signed head. Run Verify integrity.`, { treeSize: last.treeSize });
      }
    }
    for (const e of db.prepare('SELECT * FROM audit_log WHERE id > ? ORDER BY id').iterate(signed) as IterableIterator<AuditEntry>) scanner.push(e);
    const { finding } = scanner.finish();
    if (finding) throw new AppError('AUDIT_TAMPERED', `No head was signed: ${finding.message}`, { finding });
    const head = signTreeHead(deps.signer, { trailId: auditTrailId(db), treeSize: size, rootHash: toHex(builder.root()), timestamp: (deps.now?.() ?? new Date()).getTime() });
    db.prepare(
      `INSERT INTO audit_heads (tree_size, root_hash, timestamp, trail_id, signer, signature) VALUES (@treeSize, @rootHash, @timestamp, @trailId, @signer, @signature)`,
    ).run(head);
    if (deps.anchor !== false) enqueueHeadAnchor(db, head);
    appendHeadToFile(deps.dataDir, head);
    return head;
  });
  // IMMEDIATE: console and CLI share the file; the write lock is taken before the last head is read.
  return seal.immediate();
}

export type HeadSource = 'database' | 'file' | 'chain';

export interface SourcedHead extends SignedTreeHead {
  sources: HeadSource[];
}

export interface LogProblem {
  kind: 'changed' | 'deleted' | 'forged-head' | 'replaced' | 'forked-head';
  /** The first entry that does not match (for a rewrite found by a root, the first entry after the last matching head). */
  entryId: number;
  message: string;
  treeSize?: number;
}

export interface LogCheck {
  treeSize: number;
  root: string;
  /** Entries covered by the last head that matches the log. */
  verifiedSize: number;
  lastMatchingHead: SourcedHead | null;
  /** Entries after the last signed head: only the hash chain protects them until the next head. */
  unsignedTail: { sinceSize: number; entries: number } | null;
  /** Heads accepted only because a key rotation statement covers them (signed by a public key: weak evidence). */
  priorKeyHeads: { signer: string; heads: number; upToSize: number } | null;
  problem: LogProblem | null;
}

/** Merges heads from several places by size; two different roots at one size is a fork (reported, both kept). */
export function mergeHeads(lists: { source: HeadSource; heads: SignedTreeHead[] }[]): { heads: SourcedHead[]; forks: [SignedTreeHead, SignedTreeHead][] } {
  const bySize = new Map<number, SourcedHead>();
  const forks: [SignedTreeHead, SignedTreeHead][] = [];
  for (const { source, heads } of lists) {
    for (const h of heads) {
      const known = bySize.get(h.treeSize);
      if (!known) bySize.set(h.treeSize, { ...h, sources: [source] });
      else if (known.rootHash === h.rootHash && known.trailId === h.trailId) {
        if (!known.sources.includes(source)) known.sources.push(source);
      } else forks.push([known, h]);
    }
  }
  return { heads: [...bySize.values()].sort((a, b) => a.treeSize - b.treeSize), forks };
}

/**
 * Checks the log's leaves (entry hashes in id order) against signed heads in one pass. `signer` is the workstation's
 * address when known; otherwise every head must be signed by the signer the heads themselves name, consistently.
 */
export function checkLogAgainstHeads(
  entryHashes: Iterable<string>,
  heads: SourcedHead[],
  options: { trailId: string; signer?: string; forks?: [SignedTreeHead, SignedTreeHead][]; rotations?: KeyRotation[] },
): LogCheck {
  const selfSigned = (options.rotations ?? []).filter((r) => rotationSignedByNewKey(r));
  // The current key: given, or the newest rotation's, or the one the heads name.
  const expectedSigner = options.signer ?? selfSigned.at(-1)?.newSigner ?? heads.find((h) => headSignedBy(h))?.signer;
  let problem: LogProblem | null = null;
  let lastMatching: SourcedHead | null = null;
  const fail = (p: LogProblem) => {
    problem ??= p;
  };
  const firstFork = options.forks?.[0];
  if (firstFork) {
    const [a] = firstFork;
    fail({ kind: 'forked-head', entryId: 1, treeSize: a.treeSize, message: `Two different heads of ${a.treeSize} entries exist (database, heads file or chain disagree): the log was rewritten and re-signed.` });
  }
  // A rotation counts only when signed by the current key for this trail: an edited size or root breaks its signature.
  const rotations: KeyRotation[] = [];
  for (const r of options.rotations ?? []) {
    if (expectedSigner !== undefined && rotationSignedByNewKey(r, expectedSigner) && r.trailId === options.trailId) rotations.push(r);
    else fail({ kind: 'forged-head', entryId: r.treeSize, treeSize: r.treeSize, message: `The key rotation statement over the heads up to ${r.treeSize} entries (from ${r.oldSigner}) is not signed by this workstation's key${expectedSigner ? ` (${expectedSigner})` : ''} for this trail: it was forged or edited.` });
  }
  let priorKey = null as { signer: string; heads: number; upToSize: number } | null;
  // Heads that are not genuine are reported and ignored for matching.
  const genuine: SourcedHead[] = [];
  for (const h of heads) {
    // A head read from the chain is authenticated by the contract (the trail is msg.sender), not by a signature;
    // it names no trail id (its trail is the signer's address).
    const onChainOnly = h.sources.length === 1 && h.sources[0] === 'chain';
    const rotation = onChainOnly || headSignedBy(h, expectedSigner) ? null : rotationCovering(h, rotations);
    if (rotation && h.trailId === options.trailId) {
      priorKey = { signer: rotation.oldSigner, heads: (priorKey?.heads ?? 0) + 1, upToSize: h.treeSize };
      genuine.push(h);
      continue;
    }
    const byOther = onChainOnly ? null : recoverHeadSigner(h);
    if (!onChainOnly && byOther !== null && byOther === h.signer && expectedSigner !== undefined && byOther.toLowerCase() !== expectedSigner.toLowerCase()) {
      const known = rotations.find((r) => r.oldSigner.toLowerCase() === byOther.toLowerCase());
      fail({
        kind: 'forged-head',
        entryId: h.treeSize,
        treeSize: h.treeSize,
        message: known
          ? `The head of ${h.treeSize} entries (${h.sources.join(', ')}) is signed by the retired key ${byOther}, after the key rotation statement, which covers its heads up to ${known.treeSize} entries only: it was forged.`
          : `The head of ${h.treeSize} entries (${h.sources.join(', ')}) is signed by ${byOther}, not this workstation's key (${expectedSigner}), and no key rotation statement covers it: it was forged, or the rotation statement was deleted.`,
      });
      continue;
    }
    if (onChainOnly ? expectedSigner === undefined || h.signer.toLowerCase() !== expectedSigner.toLowerCase() : !headSignedBy(h, expectedSigner)) {
      fail({ kind: 'forged-head', entryId: h.treeSize, treeSize: h.treeSize, message: `The head of ${h.treeSize} entries (${h.sources.join(', ')}) is not signed by this workstation's key${expectedSigner ? ` (${expectedSigner})` : ''}: it was forged.` });
      continue;
    }
    if (!onChainOnly && h.trailId !== options.trailId) {
      fail({ kind: 'replaced', entryId: 1, treeSize: h.treeSize, message: `The signed head of ${h.treeSize} entries (${h.sources.join(', ')}) belongs to audit trail ${h.trailId.slice(0, 12)}…, not this database's (${options.trailId.slice(0, 12)}…): the audit log was replaced or wiped.` });
      continue;
    }
    genuine.push(h);
  }
  const builder = new TreeBuilder();
  let next = 0;
  const rotationAt = new Map(rotations.map((r) => [r.treeSize, r]));
  for (const hash of entryHashes) {
    builder.push(entryLeaf(hash));
    const r = rotationAt.get(builder.size);
    if (r && toHex(builder.root()) !== r.rootHash) {
      fail({ kind: 'changed', entryId: 1, treeSize: r.treeSize, message: `Entries 1–${r.treeSize} no longer give the root named by the key rotation statement: an entry up to ${r.treeSize} was changed, inserted or removed.` });
    }
    while (next < genuine.length && genuine[next]!.treeSize === builder.size) {
      const h = genuine[next++]!;
      if (toHex(builder.root()) === h.rootHash) lastMatching = h;
      else {
        const from = (lastMatching?.treeSize ?? 0) + 1;
        fail({ kind: 'changed', entryId: from, treeSize: h.treeSize, message: `Entries ${from}–${h.treeSize} no longer give the root signed at ${new Date(h.timestamp).toISOString()} (${h.sources.join(', ')}): an entry from ${from} on was changed, inserted or removed and the rest re-hashed.` });
      }
    }
  }
  const size = builder.size;
  const beyond = genuine.slice(next);
  const missing = beyond[beyond.length - 1];
  if (missing) {
    fail({ kind: 'deleted', entryId: size + 1, treeSize: missing.treeSize, message: `Entries ${size + 1}–${missing.treeSize} were deleted: the head signed at ${new Date(missing.timestamp).toISOString()} (${missing.sources.join(', ')}) covers ${missing.treeSize} entries, the log has ${size}.` });
  }
  const signedSize = genuine.length ? genuine[genuine.length - 1]!.treeSize : 0;
  return {
    treeSize: size,
    root: toHex(builder.root()),
    verifiedSize: lastMatching?.treeSize ?? 0,
    lastMatchingHead: lastMatching,
    unsignedTail: size > signedSize ? { sinceSize: signedSize, entries: size - signedSize } : null,
    priorKeyHeads: priorKey,
    problem,
  };
}

/** The valid rotation statement that lets `h` (not signed by the current key) count as an old-key head, if any. */
function rotationCovering(h: SignedTreeHead, rotations: KeyRotation[]): KeyRotation | null {
  const by = recoverHeadSigner(h);
  if (by === null || by !== h.signer) return null;
  return rotations.find((r) => r.oldSigner.toLowerCase() === by.toLowerCase() && h.treeSize <= r.treeSize) ?? null;
}
