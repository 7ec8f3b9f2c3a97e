// The Merkle helpers against @openzeppelin/merkle-tree itself: the fast root must equal the library's root for
// every tree shape, proofs verify, and the batch id and leaf hash follow the documented encodings.
import { StandardMerkleTree } from '@openzeppelin/merkle-tree';
import { AbiCoder, keccak256 } from 'ethers';
import crypto from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { batchIdOf, buildTree, fastRoot, fastTree, leafHashOf, leafOf, libraryRoot, verifyLeafProof } from './merkle';

const sha = (s: string) => crypto.createHash('sha256').update(s).digest('hex');
const leaves = (n: number, firstId = 1) => Array.from({ length: n }, (_, i) => ({ id: firstId + i, hash: sha(`entry ${firstId + i}`) }));

describe('merkle', () => {
  it.each([1, 2, 3, 4, 5, 7, 8, 9, 16, 17, 31, 100, 1000])('fastRoot equals the library root for %i leaves', (n) => {
    expect(fastRoot(leaves(n))).toBe(libraryRoot(leaves(n)));
  });

  it.each([1, 2, 3, 6, 11, 64])('fastTree gives the library proof for every leaf of a %i-leaf tree', (n) => {
    const ls = leaves(n, 40);
    const fast = fastTree(ls);
    const lib = buildTree(ls.map((l) => leafOf(l.id, l.hash)));
    ls.forEach((l, i) => expect(fast.proof(i)).toEqual(lib.getProof(i)));
    expect(() => fast.proof(n)).toThrow(RangeError);
  });

  it('fastRoot handles ids beyond 32 bits and differs when any leaf differs', () => {
    const big = leaves(5, 2 ** 40);
    expect(fastRoot(big)).toBe(libraryRoot(big));
    const changed = leaves(5);
    changed[2] = { ...changed[2]!, hash: sha('other') };
    expect(fastRoot(changed)).not.toBe(fastRoot(leaves(5)));
    const renumbered = leaves(5).map((l) => ({ ...l, id: l.id + 1 }));
    expect(fastRoot(renumbered)).not.toBe(fastRoot(leaves(5)));
  });

  it('leaves are [uint256 id, bytes32 hash] and reject malformed input', () => {
    expect(leafOf(7, 'ab'.repeat(32))).toEqual([7n, `0x${'ab'.repeat(32)}`]);
    expect(() => leafOf(0, 'ab'.repeat(32))).toThrow(RangeError);
    expect(() => leafOf(1.5, 'ab'.repeat(32))).toThrow(RangeError);
    expect(() => leafOf(1, 'AB'.repeat(32))).toThrow(RangeError);
    expect(() => leafOf(1, 'ab'.repeat(31))).toThrow(RangeError);
    expect(() => fastRoot([])).toThrow(RangeError);
  });

  it('leaf hash is the StandardMerkleTree double hash', () => {
    const leaf = leafOf(42, sha('x'));
    const tree = buildTree([leaf]);
    expect(leafHashOf(leaf)).toBe(tree.leafHash(leaf));
    expect(leafHashOf(leaf)).toBe(keccak256(keccak256(AbiCoder.defaultAbiCoder().encode(['uint256', 'bytes32'], leaf))));
  });

  it('every proof of a tree verifies, and a changed path element or leaf does not', () => {
    const ls = leaves(13).map((l) => leafOf(l.id, l.hash));
    const tree = buildTree(ls);
    for (const leaf of ls) expect(verifyLeafProof(tree.root, leaf, tree.getProof(leaf))).toBe(true);
    const proof = tree.getProof(ls[4]!);
    expect(verifyLeafProof(tree.root, ls[4]!, [keccak256('0x01'), ...proof.slice(1)])).toBe(false);
    expect(verifyLeafProof(tree.root, ls[5]!, proof)).toBe(false);
    expect(verifyLeafProof(tree.root, ls[4]!, ['0xnothex'])).toBe(false);
    expect(StandardMerkleTree.verify(tree.root, ['uint256', 'bytes32'], ls[4]!, proof)).toBe(true);
  });

  it('batch id is keccak256(abi.encode(firstId, lastId, root))', () => {
    const root = libraryRoot(leaves(3));
    expect(batchIdOf(1, 3, root)).toBe(keccak256(AbiCoder.defaultAbiCoder().encode(['uint256', 'uint256', 'bytes32'], [1, 3, root])));
    expect(batchIdOf(1, 3, root)).not.toBe(batchIdOf(2, 4, root));
  });
});
