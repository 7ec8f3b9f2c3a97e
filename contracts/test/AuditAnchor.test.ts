// AuditAnchor against a real anvil: roles, replay and root-chain enforcement, and StandardMerkleTree proofs built
// in TypeScript verified by the contract's OpenZeppelin MerkleProof.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { StandardMerkleTree } from '@openzeppelin/merkle-tree';
import { AbiCoder, concat, id, keccak256, type Contract } from 'ethers';
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

const anchorRoot = (batchId: string, root: string, leafCount: number, previousRoot: string) =>
  call(chain.admin, anchor, 'anchor', [batchId, root, leafCount, previousRoot]);

describe('AuditAnchor', () => {
  // The tests below build one chain of roots in order: first, second, and so on.
  const first = auditTree(7);
  const second = auditTree(12);
  const firstBatch = randomBytes32();

  it('rejects an anchor from an account without ANCHOR_ROLE', async () => {
    const args = await expectRevert(
      call(chain.stranger, anchor, 'anchor', [randomBytes32(), first.root, 7, ZERO]),
      anchor.interface,
      'AccessControlUnauthorizedAccount',
    );
    expect(args.toArray()).toEqual([chain.stranger.address, id('ANCHOR_ROLE')]);
    expect(await anchor.getFunction('hasRole')(id('ANCHOR_ROLE'), chain.admin.address)).toBe(true);
  });

  it('requires bytes32(0) as previous root for the first anchor', async () => {
    const wrong = randomBytes32();
    const args = await expectRevert(anchorRoot(firstBatch, first.root, 7, wrong), anchor.interface, 'RootChainBroken');
    expect(args.toArray()).toEqual([ZERO, wrong]);
  });

  it('anchors the first root and records it', async () => {
    const receipt = await anchorRoot(firstBatch, first.root, 7, ZERO);
    const events = eventsOf(receipt, anchor, 'RootAnchored');
    expect(events.map((e) => e.args.toArray())).toEqual([[firstBatch, first.root, 7n, ZERO, 0n]]);

    const block = await chain.provider.getBlock(receipt.blockNumber);
    const [root, leafCount, blockNumber, timestamp] = await anchor.getFunction('anchorOf')(firstBatch);
    expect([root, leafCount, blockNumber, timestamp]).toEqual([
      first.root,
      7n,
      BigInt(receipt.blockNumber),
      BigInt(block?.timestamp ?? -1),
    ]);
    expect(await anchor.getFunction('latestRoot')()).toBe(first.root);
    expect(await anchor.getFunction('anchorCount')()).toBe(1n);
    expect(await anchor.getFunction('isAnchored')(first.root)).toBe(true);
    expect(await anchor.getFunction('isAnchored')(second.root)).toBe(false);
    expect((await anchor.getFunction('anchorOf')(randomBytes32())).toArray()).toEqual([ZERO, 0n, 0n, 0n]);
  });

  it('reverts a replayed batch id with BatchAlreadyAnchored', async () => {
    const args = await expectRevert(
      anchorRoot(firstBatch, second.root, 12, first.root),
      anchor.interface,
      'BatchAlreadyAnchored',
    );
    expect(args[0]).toBe(firstBatch);
  });

  it('enforces the root chain: the next anchor must name the latest root', async () => {
    const batchId = randomBytes32();
    const broken = await expectRevert(anchorRoot(batchId, second.root, 12, ZERO), anchor.interface, 'RootChainBroken');
    expect(broken.toArray()).toEqual([first.root, ZERO]);

    const receipt = await anchorRoot(batchId, second.root, 12, first.root);
    expect(eventsOf(receipt, anchor, 'RootAnchored')[0]?.args.toArray()).toEqual([
      batchId,
      second.root,
      12n,
      first.root,
      1n,
    ]);
    expect(await anchor.getFunction('latestRoot')()).toBe(second.root);
  });

  it('refuses an empty batch and a root anchored before', async () => {
    await expectRevert(anchorRoot(randomBytes32(), ZERO, 1, second.root), anchor.interface, 'EmptyBatch');
    await expectRevert(anchorRoot(randomBytes32(), randomBytes32(), 0, second.root), anchor.interface, 'EmptyBatch');
    const again = await expectRevert(
      anchorRoot(randomBytes32(), first.root, 7, second.root),
      anchor.interface,
      'RootAlreadyAnchored',
    );
    expect(again[0]).toBe(first.root);
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
