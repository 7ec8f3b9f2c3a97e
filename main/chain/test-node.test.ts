// The test-node selector and capability table: the env names the node, and every capability the table claims is
// answered by that node (a table that drifted from the nodes would make fixtures fail far from the cause).
import { Wallet } from 'ethers';
import { afterAll, describe, expect, it } from 'vitest';
import { createProvider } from './provider';
import { NODE_CAPABILITIES, NodeControl, startTestNode, TEST_NODE_KINDS, testNodeKind, type TestNode } from './test-node';

describe('testNodeKind', () => {
  it.each([
    [undefined, 'anvil'],
    ['', 'anvil'],
    ['anvil', 'anvil'],
    ['edr', 'edr'],
    [' EDR ', 'edr'],
  ])('CUSTODIAN_TEST_NODE=%j selects %s', (value, kind) => {
    expect(testNodeKind(value === undefined ? {} : { CUSTODIAN_TEST_NODE: value })).toBe(kind);
  });

  it('refuses an unknown node instead of falling back to anvil', () => {
    expect(() => testNodeKind({ CUSTODIAN_TEST_NODE: 'ganache' })).toThrow(/CUSTODIAN_TEST_NODE=ganache names no test node; use one of anvil, edr/);
  });
});

const nodes: TestNode[] = [];
afterAll(async () => {
  await Promise.all(nodes.map((n) => n.stop()));
});

describe.each(TEST_NODE_KINDS)('capabilities of %s', (kind) => {
  it('answers every method its table names, and refuses what the table says it lacks', async () => {
    const node = await startTestNode({ kind });
    nodes.push(node);
    expect(node.kind).toBe(kind);
    expect(node.caps).toBe(NODE_CAPABILITIES[kind]);
    const provider = createProvider(node.rpcUrl, node.chainId);
    try {
      const control = new NodeControl(provider, node.caps);
      const someone = Wallet.createRandom().address;
      await control.setBalance(someone, 123_456_789n);
      expect(await provider.getBalance(someone)).toBe(123_456_789n);

      const start = await provider.getBlockNumber();
      const snap = await control.snapshot();
      await control.mine(3);
      expect(await provider.getBlockNumber()).toBe(start + 3);
      await control.revert(snap);
      expect(await provider.getBlockNumber()).toBe(start);
      await expect(control.revert(snap)).rejects.toThrow(); // consumed by the first revert on both nodes

      const before = (await provider.getBlock('latest'))!.timestamp;
      await control.increaseTime(3_600);
      await control.mine();
      expect((await provider.getBlock('latest'))!.timestamp).toBeGreaterThanOrEqual(before + 3_600);

      await control.setAutomine(false);
      await control.setAutomine(true);

      if (node.caps.reorg) {
        const head = await provider.getBlockNumber();
        const oldHash = (await provider.getBlock(head))!.hash;
        await control.reorg(1);
        expect((await provider.getBlock(head))!.hash).not.toBe(oldHash);
      } else {
        await expect(control.reorg(1)).rejects.toThrow(/cannot reorganise/);
        await expect(provider.send('anvil_reorg', [1, []])).rejects.toThrow();
      }
      if (!node.caps.stateFile) await expect(startTestNode({ kind, stateFile: '/tmp/x.json' })).rejects.toThrow(/cannot keep its state/);
    } finally {
      provider.destroy();
    }
  });
});
