// AuditAnchor against a real anvil: roles, replay and per-trail root-chain enforcement, and StandardMerkleTree proofs
// built in TypeScript verified by the contract's OpenZeppelin MerkleProof.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { StandardMerkleTree } from '@openzeppelin/merkle-tree';
import { AbiCoder, concat, id, keccak256, type Contract } from 'ethers';
import { GAS_MODELS } from '../../main/sync/encoders';
import { call, eventsOf, expectRevert, randomBytes32, startTestChain, type TestChain } from './harness';

const ZERO = `0x${'00'.repeat(32)}`;
const ENCODING = ['bytes32', 'uint256'];

type Leaf = [string, bigint];

function auditTree(size: number): StandardMerkleTree<Leaf> {
  const values: Leaf[] = Array.from({ length: size }, (_, i) => [randomBytes32(), BigInt(i + 1)]);
  return StandardMerkleTree.of(values, ENCODING);
}

let chain: TestChain;
let anchor: Contract;

beforeAll(async () => {
  chain = await startTestChain();
  anchor = await chain.deploy('AuditAnchor');
});

afterAll(async () => {
  await chain?.stop();
});

const anchorRoot = (trailId: string, batchId: string, root: string, leafCount: number, previousRoot: string) =>
  call(chain.admin, anchor, 'anchor', [trailId, batchId, root, leafCount, previousRoot]);

describe('AuditAnchor', () => {
  // The tests below build one trail's chain of roots in order: first, second, and so on.
  const trail = randomBytes32();
  const first = auditTree(7);
  const second = auditTree(12);
  const firstBatch = randomBytes32();

  it('rejects an anchor from an account without ANCHOR_ROLE', async () => {
    const args = await expectRevert(
      call(chain.stranger, anchor, 'anchor', [trail, randomBytes32(), first.root, 7, ZERO]),
      anchor.interface,
      'AccessControlUnauthorizedAccount',
    );
    expect(args.toArray()).toEqual([chain.stranger.address, id('ANCHOR_ROLE')]);
    expect(await anchor.getFunction('hasRole')(id('ANCHOR_ROLE'), chain.admin.address)).toBe(true);
  });

  it('requires bytes32(0) as previous root for the first anchor of a trail', async () => {
    const wrong = randomBytes32();
    const args = await expectRevert(anchorRoot(trail, firstBatch, first.root, 7, wrong), anchor.interface, 'RootChainBroken');
    expect(args.toArray()).toEqual([trail, ZERO, wrong]);
  });

  it('refuses a zero trail id', async () => {
    await expectRevert(anchorRoot(ZERO, randomBytes32(), auditTree(2).root, 2, ZERO), anchor.interface, 'ZeroTrailId');
  });

  it('anchors the first root and records it', async () => {
    const receipt = await anchorRoot(trail, firstBatch, first.root, 7, ZERO);
    const events = eventsOf(receipt, anchor, 'RootAnchored');
    expect(events.map((e) => e.args.toArray())).toEqual([[trail, firstBatch, first.root, 7n, ZERO, 0n]]);
    // Three indexed parameters (plus the signature): the most a non-anonymous event can have, each filterable.
    expect(receipt.logs.find((l) => l.address === anchor.target)?.topics).toEqual([
      anchor.interface.getEvent('RootAnchored')!.topicHash,
      trail,
      firstBatch,
      first.root,
    ]);

    const block = await chain.provider.getBlock(receipt.blockNumber);
    const [trailId, root, leafCount, blockNumber, timestamp] = await anchor.getFunction('anchorOf')(firstBatch);
    expect([trailId, root, leafCount, blockNumber, timestamp]).toEqual([
      trail,
      first.root,
      7n,
      BigInt(receipt.blockNumber),
      BigInt(block?.timestamp ?? -1),
    ]);
    expect(await anchor.getFunction('latestRootOf')(trail)).toBe(first.root);
    expect(await anchor.getFunction('anchorCount')(trail)).toBe(1n);
    expect(await anchor.getFunction('latestRootOf')(randomBytes32())).toBe(ZERO);
    expect(await anchor.getFunction('anchorCount')(randomBytes32())).toBe(0n);
    expect(await anchor.getFunction('isAnchored')(first.root)).toBe(true);
    expect(await anchor.getFunction('isAnchored')(second.root)).toBe(false);
    expect((await anchor.getFunction('anchorOf')(randomBytes32())).toArray()).toEqual([ZERO, ZERO, 0n, 0n, 0n]);
  });

  it('reverts a replayed batch id with BatchAlreadyAnchored', async () => {
    const args = await expectRevert(
      anchorRoot(trail, firstBatch, second.root, 12, first.root),
      anchor.interface,
      'BatchAlreadyAnchored',
    );
    expect(args[0]).toBe(firstBatch);
  });

  it('enforces the root chain: the next anchor must name the latest root of its trail', async () => {
    const batchId = randomBytes32();
    const broken = await expectRevert(anchorRoot(trail, batchId, second.root, 12, ZERO), anchor.interface, 'RootChainBroken');
    expect(broken.toArray()).toEqual([trail, first.root, ZERO]);

    const receipt = await anchorRoot(trail, batchId, second.root, 12, first.root);
    expect(eventsOf(receipt, anchor, 'RootAnchored')[0]?.args.toArray()).toEqual([
      trail,
      batchId,
      second.root,
      12n,
      first.root,
      1n,
    ]);
    expect(await anchor.getFunction('latestRootOf')(trail)).toBe(second.root);
    expect(await anchor.getFunction('anchorCount')(trail)).toBe(2n);
  });

  it('refuses an empty batch and a root anchored before', async () => {
    await expectRevert(anchorRoot(trail, randomBytes32(), ZERO, 1, second.root), anchor.interface, 'EmptyBatch');
    await expectRevert(anchorRoot(trail, randomBytes32(), randomBytes32(), 0, second.root), anchor.interface, 'EmptyBatch');
    const again = await expectRevert(
      anchorRoot(trail, randomBytes32(), first.root, 7, second.root),
      anchor.interface,
      'RootAlreadyAnchored',
    );
    expect(again[0]).toBe(first.root);
  });

  describe('several trails in one contract (one per workstation database)', () => {
    const trailA = randomBytes32();
    const trailB = randomBytes32();
    const a = [auditTree(3), auditTree(4), auditTree(5)];
    const b = [auditTree(6), auditTree(7)];
    const batchesA = a.map(() => randomBytes32());
    const batchesB = b.map(() => randomBytes32());

    it('keeps one root chain per trail: each starts at bytes32(0), interleaved anchors do not break the other', async () => {
      const log = async (r: ReturnType<typeof anchorRoot>) => eventsOf(await r, anchor, 'RootAnchored')[0]!.args.toArray();
      expect(await log(anchorRoot(trailA, batchesA[0]!, a[0]!.root, 3, ZERO))).toEqual([trailA, batchesA[0], a[0]!.root, 3n, ZERO, 0n]);
      expect(await log(anchorRoot(trailB, batchesB[0]!, b[0]!.root, 6, ZERO))).toEqual([trailB, batchesB[0], b[0]!.root, 6n, ZERO, 0n]);
      expect(await log(anchorRoot(trailA, batchesA[1]!, a[1]!.root, 4, a[0]!.root))).toEqual([trailA, batchesA[1], a[1]!.root, 4n, a[0]!.root, 1n]);
      expect(await log(anchorRoot(trailB, batchesB[1]!, b[1]!.root, 7, b[0]!.root))).toEqual([trailB, batchesB[1], b[1]!.root, 7n, b[0]!.root, 1n]);
      expect(await log(anchorRoot(trailA, batchesA[2]!, a[2]!.root, 5, a[1]!.root))).toEqual([trailA, batchesA[2], a[2]!.root, 5n, a[1]!.root, 2n]);

      expect(await anchor.getFunction('latestRootOf')(trailA)).toBe(a[2]!.root);
      expect(await anchor.getFunction('latestRootOf')(trailB)).toBe(b[1]!.root);
      expect(await anchor.getFunction('anchorCount')(trailA)).toBe(3n);
      expect(await anchor.getFunction('anchorCount')(trailB)).toBe(2n);
      expect((await anchor.getFunction('anchorOf')(batchesB[1]!))[0]).toBe(trailB);
      // The first trail of this file is untouched.
      expect(await anchor.getFunction('latestRootOf')(trail)).toBe(second.root);
    });

    it('still reverts a broken link within a trail, naming the trail and its head', async () => {
      const next = auditTree(2);
      // Naming the other trail's head, or an older root of its own trail, is a break.
      const other = await expectRevert(anchorRoot(trailA, randomBytes32(), next.root, 2, b[1]!.root), anchor.interface, 'RootChainBroken');
      expect(other.toArray()).toEqual([trailA, a[2]!.root, b[1]!.root]);
      const stale = await expectRevert(anchorRoot(trailB, randomBytes32(), next.root, 2, b[0]!.root), anchor.interface, 'RootChainBroken');
      expect(stale.toArray()).toEqual([trailB, b[1]!.root, b[0]!.root]);
    });

    it('reverts a batch or root replayed into another trail', async () => {
      const batch = await expectRevert(anchorRoot(trailB, batchesA[0]!, auditTree(2).root, 2, b[1]!.root), anchor.interface, 'BatchAlreadyAnchored');
      expect(batch[0]).toBe(batchesA[0]);
      const root = await expectRevert(anchorRoot(trailB, randomBytes32(), a[0]!.root, 3, b[1]!.root), anchor.interface, 'RootAlreadyAnchored');
      expect(root[0]).toBe(a[0]!.root);
      // A fresh trail replaying another trail's first batch is refused too.
      await expectRevert(anchorRoot(randomBytes32(), batchesB[0]!, b[0]!.root, 6, ZERO), anchor.interface, 'BatchAlreadyAnchored');
      expect((await anchor.getFunction('anchorOf')(batchesA[0]!))[0]).toBe(trailA);
      expect(await anchor.getFunction('anchorCount')(trailB)).toBe(2n);
    });

    it('measures the gas of an anchor: first of a trail, and a following one', async () => {
      const trailC = randomBytes32();
      const t1 = auditTree(9);
      const t2 = auditTree(9);
      const firstGas = (await anchorRoot(trailC, randomBytes32(), t1.root, 9, ZERO)).gasUsed;
      const nextGas = (await anchorRoot(trailC, randomBytes32(), t2.root, 9, t1.root)).gasUsed;
      console.log(`AuditAnchor.anchor: ${firstGas} gas for a trail's first root, ${nextGas} for a following one`);
      // The sync engine plans an audit.root batch with this model: it must cover the dearer first anchor.
      expect(Number(firstGas)).toBeLessThanOrEqual(GAS_MODELS['audit.root'].base);
      expect(nextGas).toBeLessThan(firstGas);
    });
  });

  it('hashes leaves as keccak256(bytes.concat(keccak256(abi.encode(values))))', () => {
    const [, value] = [...second.entries()][3] ?? [];
    if (!value) throw new Error('tree has no entry 3');
    const expected = keccak256(concat([keccak256(AbiCoder.defaultAbiCoder().encode(ENCODING, value))]));
    expect(second.leafHash(value)).toBe(expected);
  });

  it('verifies every StandardMerkleTree proof on chain', async () => {
    for (const [i, value] of second.entries()) {
      const ok = await anchor.getFunction('verifyLeaf')(second.root, second.leafHash(value), second.getProof(i));
      expect({ i, ok }).toEqual({ i, ok: true });
    }
    const [i, value] = [...first.entries()][0] ?? [];
    if (value === undefined || i === undefined) throw new Error('tree has no entry 0');
    expect(await anchor.getFunction('verifyAnchoredLeaf')(first.root, first.leafHash(value), first.getProof(i))).toBe(true);
  });

  it('rejects a wrong proof, a wrong leaf, a raw (single-hashed) leaf and an unanchored root', async () => {
    const entries = [...second.entries()];
    const [i, value] = entries[5] ?? [];
    const [, other] = entries[6] ?? [];
    if (i === undefined || !value || !other) throw new Error('tree too small');
    const proof = second.getProof(i);
    const leaf = second.leafHash(value);

    const tampered = [...proof];
    tampered[0] = randomBytes32();
    expect(await anchor.getFunction('verifyLeaf')(second.root, leaf, tampered)).toBe(false);
    expect(await anchor.getFunction('verifyLeaf')(second.root, second.leafHash(other), proof)).toBe(false);
    expect(await anchor.getFunction('verifyLeaf')(second.root, leaf, proof.slice(1))).toBe(false);
    const singleHashed = keccak256(AbiCoder.defaultAbiCoder().encode(ENCODING, value));
    expect(await anchor.getFunction('verifyLeaf')(second.root, singleHashed, proof)).toBe(false);
    expect(await anchor.getFunction('verifyLeaf')(first.root, leaf, proof)).toBe(false);

    const unanchored = auditTree(4);
    const [j, v] = [...unanchored.entries()][2] ?? [];
    if (j === undefined || !v) throw new Error('tree too small');
    expect(await anchor.getFunction('verifyLeaf')(unanchored.root, unanchored.leafHash(v), unanchored.getProof(j))).toBe(true);
    expect(await anchor.getFunction('verifyAnchoredLeaf')(unanchored.root, unanchored.leafHash(v), unanchored.getProof(j))).toBe(false);
  });
});
