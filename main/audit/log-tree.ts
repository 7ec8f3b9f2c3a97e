// The audit log as a Certificate Transparency Merkle tree (RFC 6962 §2.1, proofs verified as RFC 9162 §2.1.3-2.1.4):
// SHA-256 with 0x00 before a leaf and 0x01 before two children. Pure: the log, its signed heads and the proof checker share it.
import crypto from 'node:crypto';

export type Hash = Uint8Array;

const LEAF_PREFIX = Uint8Array.of(0x00);
const NODE_PREFIX = Uint8Array.of(0x01);

function sha256(...parts: Uint8Array[]): Hash {
  const h = crypto.createHash('sha256');
  for (const p of parts) h.update(p);
  return new Uint8Array(h.digest());
}

/** MTH({}) = SHA-256 of nothing. */
export const EMPTY_ROOT: Hash = sha256();

/** SHA-256(0x00 || data): a leaf's hash. */
export function leafHash(data: Uint8Array): Hash {
  return sha256(LEAF_PREFIX, data);
}

/** SHA-256(0x01 || left || right): an interior node's hash. */
export function nodeHash(left: Hash, right: Hash): Hash {
  return sha256(NODE_PREFIX, left, right);
}

/** The largest power of two smaller than n (n > 1): where RFC 6962 splits a tree of n leaves. */
export function splitPoint(n: number): number {
  let k = 1;
  while (k * 2 < n) k *= 2;
  return k;
}

function checkSize(n: number, what: string): void {
  if (!Number.isSafeInteger(n) || n < 0) throw new RangeError(`${what} must be a non-negative integer, got ${n}`);
}

/** MTH(D[lo:hi]) over leaf hashes. */
function mth(leaves: readonly Hash[], lo: number, hi: number): Hash {
  const n = hi - lo;
  if (n === 0) return EMPTY_ROOT;
  if (n === 1) return leaves[lo]!;
  const k = splitPoint(n);
  return nodeHash(mth(leaves, lo, lo + k), mth(leaves, lo + k, hi));
}

/** The root of the tree over the first `size` leaf hashes (all of them by default). */
export function rootOf(leaves: readonly Hash[], size = leaves.length): Hash {
  checkSize(size, 'tree size');
  if (size > leaves.length) throw new RangeError(`tree size ${size} is beyond the ${leaves.length} leaves given`);
  return mth(leaves, 0, size);
}

/** PATH(m, D[lo:hi]): the audit path of leaf m (relative to lo). */
function path(m: number, leaves: readonly Hash[], lo: number, hi: number): Hash[] {
  const n = hi - lo;
  if (n <= 1) return [];
  const k = splitPoint(n);
  if (m < k) return [...path(m, leaves, lo, lo + k), mth(leaves, lo + k, hi)];
  return [...path(m - k, leaves, lo + k, hi), mth(leaves, lo, lo + k)];
}

/** The inclusion proof (audit path) of leaf `index` in the tree of the first `size` leaves. */
export function inclusionProof(index: number, leaves: readonly Hash[], size = leaves.length): Hash[] {
  checkSize(index, 'leaf index');
  checkSize(size, 'tree size');
  if (size > leaves.length) throw new RangeError(`tree size ${size} is beyond the ${leaves.length} leaves given`);
  if (index >= size) throw new RangeError(`leaf index ${index} is not in a tree of ${size}`);
  return path(index, leaves, 0, size);
}

/** SUBPROOF(m, D[lo:hi], b). */
function subproof(m: number, leaves: readonly Hash[], lo: number, hi: number, whole: boolean): Hash[] {
  const n = hi - lo;
  if (m === n) return whole ? [] : [mth(leaves, lo, hi)];
  const k = splitPoint(n);
  if (m <= k) return [...subproof(m, leaves, lo, lo + k, whole), mth(leaves, lo + k, hi)];
  return [...subproof(m - k, leaves, lo + k, hi, false), mth(leaves, lo, lo + k)];
}

/** The consistency proof from the tree of the first `first` leaves to the tree of the first `second`. */
export function consistencyProof(first: number, second: number, leaves: readonly Hash[]): Hash[] {
  checkSize(first, 'first tree size');
  checkSize(second, 'second tree size');
  if (first > second) throw new RangeError(`tree size ${first} is larger than ${second}: a log only grows`);
  if (second > leaves.length) throw new RangeError(`tree size ${second} is beyond the ${leaves.length} leaves given`);
  if (first === 0 || first === second) return [];
  return subproof(first, leaves, 0, second, true);
}

export function equalHash(a: Uint8Array, b: Uint8Array): boolean {
  return a.length === b.length && crypto.timingSafeEqual(a, b);
}

/** RFC 9162 §2.1.3.2: does `leaf` sit at `index` of the tree of `size` with `root`? */
export function verifyInclusion(index: number, size: number, leaf: Hash, proof: readonly Hash[], root: Hash): boolean {
  if (!Number.isSafeInteger(index) || !Number.isSafeInteger(size) || index < 0 || index >= size) return false;
  let fn = index;
  let sn = size - 1;
  let r = leaf;
  for (const p of proof) {
    if (sn === 0) return false;
    if (fn % 2 === 1 || fn === sn) {
      r = nodeHash(p, r);
      while (fn % 2 === 0 && fn !== 0) {
        fn = Math.floor(fn / 2);
        sn = Math.floor(sn / 2);
      }
    } else {
      r = nodeHash(r, p);
    }
    fn = Math.floor(fn / 2);
    sn = Math.floor(sn / 2);
  }
  return sn === 0 && equalHash(r, root);
}

/** RFC 9162 §2.1.4.2: is the tree of `second` with `secondRoot` an append-only extension of `first` with `firstRoot`? */
export function verifyConsistency(first: number, second: number, proof: readonly Hash[], firstRoot: Hash, secondRoot: Hash): boolean {
  if (!Number.isSafeInteger(first) || !Number.isSafeInteger(second) || first < 0 || first > second) return false;
  if (first === second) return proof.length === 0 && equalHash(firstRoot, secondRoot);
  if (first === 0) return proof.length === 0 && equalHash(firstRoot, EMPTY_ROOT);
  if (proof.length === 0) return false;
  const path = (first & (first - 1)) === 0 ? [firstRoot, ...proof] : [...proof];
  let fn = first - 1;
  let sn = second - 1;
  while (fn % 2 === 1) {
    fn = Math.floor(fn / 2);
    sn = Math.floor(sn / 2);
  }
  let fr = path[0]!;
  let sr = path[0]!;
  for (const c of path.slice(1)) {
    if (sn === 0) return false;
    if (fn % 2 === 1 || fn === sn) {
      fr = nodeHash(c, fr);
      sr = nodeHash(c, sr);
      while (fn % 2 === 0 && fn !== 0) {
        fn = Math.floor(fn / 2);
        sn = Math.floor(sn / 2);
      }
    } else {
      sr = nodeHash(sr, c);
    }
    fn = Math.floor(fn / 2);
    sn = Math.floor(sn / 2);
  }
  return sn === 0 && equalHash(fr, firstRoot) && equalHash(sr, secondRoot);
}

export const toHex = (h: Uint8Array): string => `0x${Buffer.from(h).toString('hex')}`;

const HASH_HEX = /^0x[0-9a-f]{64}$/;
export function fromHex(hex: string): Hash {
  if (!HASH_HEX.test(hex)) throw new RangeError('a tree hash must be 0x + 64 lower-case hex digits');
  return new Uint8Array(Buffer.from(hex.slice(2), 'hex'));
}
