// The RFC 6962 tree against the Certificate Transparency reference vectors (the eight leaves of the CT test suite,
// with their roots, audit paths and consistency proofs), then properties: every proof verifies; a changed leaf,
// index, size, root or proof element does not.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { consistencyProof, EMPTY_ROOT, fromHex, inclusionProof, leafHash, nodeHash, rootOf, toHex, verifyConsistency, verifyInclusion, type Hash } from './log-tree';

const hex = (h: Uint8Array) => Buffer.from(h).toString('hex');
const unhex = (s: string) => new Uint8Array(Buffer.from(s, 'hex'));

// The CT reference inputs: leaf data, and MTH of the first n leaves for n = 0..8.
const CT_DATA = ['', '00', '10', '2021', '3031', '40414243', '5051525354555657', '606162636465666768696a6b6c6d6e6f'].map(unhex);
const CT_LEAVES = CT_DATA.map(leafHash);
const CT_ROOTS = [
  'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855',
  '6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d',
  'fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125',
  'aeb6bcfe274b70a14fb067a5e5578264db0fa9b51af5e0ba159158f329e06e77',
  'd37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7',
  '4e3bbb1f7b478dcfe71fb631631519a3bca12c9aefca1612bfce4c13a86264d4',
  '76e67dadbcdf1e10e1b74ddc608abd2f98dfb16fbce75277b5232a127f2087ef',
  'ddb89be403809e325750d3d263cd78929c2942b7942a34b77e122c9594a74c8c',
  '5dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960cfe370eff4604328',
];
// [leaf index (0-based), tree size, audit path]
const CT_INCLUSION: [number, number, string[]][] = [
  [0, 8, ['96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7', '5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e', '6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4']],
  [5, 8, ['bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b', 'ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0', 'd37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7']],
  [2, 3, ['fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125']],
  [1, 5, ['6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d', '5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e', 'bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b']],
];
// [first size, second size, consistency proof]
const CT_CONSISTENCY: [number, number, string[]][] = [
  [1, 1, []],
  [1, 8, ['96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7', '5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e', '6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4']],
  [6, 8, ['0ebc5d3437fbe2db158b9f126a1d118e308181031d0a949f8dededebc558ef6a', 'ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0', 'd37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7']],
  [2, 5, ['5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e', 'bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b']],
];

describe('RFC 6962 tree: reference vectors', () => {
  it('gives the reference root for every size 0..8', () => {
    expect(hex(EMPTY_ROOT)).toBe(CT_ROOTS[0]);
    for (let n = 0; n <= 8; n++) expect(hex(rootOf(CT_LEAVES, n)), `size ${n}`).toBe(CT_ROOTS[n]);
  });

  it('separates leaves from nodes (0x00 / 0x01), so a node cannot pose as a leaf', () => {
    const [a, b] = [CT_LEAVES[0]!, CT_LEAVES[1]!];
    expect(hex(leafHash(new Uint8Array([...a, ...b])))).not.toBe(hex(nodeHash(a, b)));
  });

  it.each(CT_INCLUSION)('gives and accepts the reference audit path of leaf %i in a tree of %i', (index, size, expected) => {
    const proof = inclusionProof(index, CT_LEAVES, size);
    expect(proof.map(hex)).toEqual(expected);
    expect(verifyInclusion(index, size, CT_LEAVES[index]!, proof, unhex(CT_ROOTS[size]!))).toBe(true);
    expect(verifyInclusion(index, size, CT_LEAVES[index]!, proof, EMPTY_ROOT)).toBe(false);
  });

  it.each(CT_CONSISTENCY)('gives and accepts the reference consistency proof from %i to %i', (first, second, expected) => {
    const proof = consistencyProof(first, second, CT_LEAVES);
    expect(proof.map(hex)).toEqual(expected);
    expect(verifyConsistency(first, second, proof, unhex(CT_ROOTS[first]!), unhex(CT_ROOTS[second]!))).toBe(true);
  });

  it('rejects the degenerate cases a forger would try', () => {
    const root3 = unhex(CT_ROOTS[3]!);
    expect(verifyInclusion(3, 3, CT_LEAVES[3]!, [], root3)).toBe(false); // index beyond size
    expect(verifyInclusion(-1, 3, CT_LEAVES[0]!, [], root3)).toBe(false);
    expect(verifyConsistency(4, 3, [], unhex(CT_ROOTS[4]!), root3)).toBe(false); // shrinking
    expect(verifyConsistency(2, 3, [], unhex(CT_ROOTS[2]!), root3)).toBe(false); // no proof for growth
    expect(verifyConsistency(3, 3, [], root3, unhex(CT_ROOTS[2]!))).toBe(false); // same size, other root
    expect(verifyConsistency(0, 3, [], EMPTY_ROOT, root3)).toBe(true);
    expect(() => inclusionProof(8, CT_LEAVES)).toThrow(RangeError);
    expect(() => consistencyProof(5, 4, CT_LEAVES)).toThrow(RangeError);
  });

  it('round-trips hashes through hex and refuses malformed hex', () => {
    expect(hex(fromHex(toHex(CT_LEAVES[2]!)))).toBe(hex(CT_LEAVES[2]!));
    expect(() => fromHex('0xABC')).toThrow(RangeError);
  });
});

// Distinct leaves (the index is part of each), so "another index" really is another leaf.
const leavesArb = fc.array(fc.uint8Array({ maxLength: 12 }), { minLength: 1, maxLength: 70 }).map((data) => data.map((d, i) => leafHash(Uint8Array.of(i, ...d))));
const flip = (h: Hash, bit: number): Hash => {
  const c = new Uint8Array(h);
  c[bit >> 3]! ^= 1 << (bit & 7);
  return c;
};

describe('RFC 6962 tree: properties', () => {
  // Not asserted: a proof checked under a larger size can still pass when the root is the same (RFC 9162's
  // algorithms bind the size through the root only). A signed head binds size and root together.
  it('every inclusion proof verifies; another leaf, index or a flipped proof bit does not', () => {
    fc.assert(
      fc.property(leavesArb, fc.nat(), fc.nat(), fc.nat({ max: 255 }), (leaves, a, b, bit) => {
        const size = 1 + (a % leaves.length);
        const index = b % size;
        const root = rootOf(leaves, size);
        const proof = inclusionProof(index, leaves, size);
        expect(verifyInclusion(index, size, leaves[index]!, proof, root)).toBe(true);
        expect(verifyInclusion(index, size, flip(leaves[index]!, bit), proof, root)).toBe(false);
        if (size > 1) expect(verifyInclusion((index + 1) % size, size, leaves[index]!, proof, root)).toBe(false);
        if (proof.length) expect(verifyInclusion(index, size, leaves[index]!, [flip(proof[0]!, bit), ...proof.slice(1)], root)).toBe(false);
      }),
      { numRuns: 300 },
    );
  });

  it('every consistency proof between two sizes verifies; a changed old leaf, a wrong root or reversed sizes do not', () => {
    fc.assert(
      fc.property(leavesArb, fc.nat(), fc.nat(), fc.nat({ max: 255 }), (leaves, a, b, bit) => {
        const second = 1 + (a % leaves.length);
        const first = 1 + (b % second);
        const proof = consistencyProof(first, second, leaves);
        const firstRoot = rootOf(leaves, first);
        const secondRoot = rootOf(leaves, second);
        expect(verifyConsistency(first, second, proof, firstRoot, secondRoot)).toBe(true);
        // A rewritten history: one of the first `first` leaves changed, the later tree rebuilt over it.
        const rewritten = [...leaves];
        const at = b % first;
        rewritten[at] = flip(rewritten[at]!, bit);
        expect(verifyConsistency(first, second, consistencyProof(first, second, rewritten), firstRoot, rootOf(rewritten, second))).toBe(false);
        expect(verifyConsistency(first, second, proof, flip(firstRoot, bit), secondRoot)).toBe(false);
        expect(verifyConsistency(first, second, proof, firstRoot, flip(secondRoot, bit))).toBe(false);
        if (first < second) {
          expect(verifyConsistency(second, first, proof, secondRoot, firstRoot)).toBe(false);
        }
      }),
      { numRuns: 300 },
    );
  });
});
