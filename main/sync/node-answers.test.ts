// What the selected node (anvil, or EDR in the 'edr' project) actually answers to the broadcasts the sync engine
// must understand, classified by the engine's own rules: each node words its refusals differently, and a refusal
// read as "unexpected RPC error" would send the engine into the wrong recovery. Also pins the capability table's
// claims about fee bumps and the EIP-7825 cap to the real node, so the table cannot drift from it.
import { Wallet, type JsonRpcProvider, type TransactionRequest } from 'ethers';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEVNET_SIGNER_KEY } from '../chain/devnet';
import { createProvider, MAX_TX_GAS } from '../chain/provider';
import { NodeControl, startTestNode, testNodeCapabilities, testNodeKind, type TestNode } from '../chain/test-node';
import { classifyFailure, isAlreadyKnown } from './failures';

let node: TestNode;
let provider: JsonRpcProvider;
let control: NodeControl;
const key = new Wallet(DEVNET_SIGNER_KEY);
const GWEI = 1_000_000_000n;
const caps = testNodeCapabilities();

beforeAll(async () => {
  node = await startTestNode();
  provider = createProvider(node.rpcUrl, node.chainId);
  control = new NodeControl(provider, node.caps);
});
afterAll(async () => {
  provider?.destroy();
  await node?.stop();
});

/** A signed transfer, broadcast the way sync/sender.ts does it; resolves with the node's error, or null if accepted. */
async function broadcast(wallet: Pick<Wallet, 'signTransaction'>, tx: TransactionRequest): Promise<unknown> {
  const raw = await wallet.signTransaction({ to: Wallet.createRandom().address, chainId: node.chainId, type: 2, gasLimit: 21_000n, maxFeePerGas: 3n * GWEI, maxPriorityFeePerGas: GWEI, ...tx });
  try {
    await provider.send('eth_sendRawTransaction', [raw]);
    return null;
  } catch (err) {
    return err;
  }
}

async function withAutomineOff<T>(run: () => Promise<T>): Promise<T> {
  await control.setAutomine(false);
  try {
    return await run();
  } finally {
    await control.setAutomine(true);
    await control.mine();
  }
}

describe(`refusals of the ${testNodeKind()} node, as the sync engine reads them`, () => {
  it('an unfunded key: funds (transient, resumes once funded), never an unexpected RPC error', async () => {
    const err = await broadcast(Wallet.createRandom(), { nonce: 0 });
    expect(err).not.toBeNull();
    expect(classifyFailure(err, { rpcUrl: node.rpcUrl })).toMatchObject({ subtype: 'funds', code: 'SYNC_INSUFFICIENT_FUNDS', transient: true });
  });

  it('a nonce already mined: a nonce conflict', async () => {
    const err = await broadcast(key, { nonce: 0 });
    // The devnet key has sent nothing yet on this node: mine one first, then reuse its nonce.
    expect(err).toBeNull();
    // Automine answers the send before its block exists: under load the second send reached the pool first and was
    // taken as a replacement (this node has no 10% rule). A block mined now holds the first for certain.
    await control.mine();
    expect(await provider.getTransactionCount(key.address, 'latest')).toBe(1);
    const again = await broadcast(key, { nonce: 0, maxFeePerGas: 4n * GWEI });
    expect(again).not.toBeNull();
    expect(classifyFailure(again)).toMatchObject({ subtype: 'nonce', code: 'SYNC_NONCE_CONFLICT' });
  });

  it('the very same transaction twice: "already known", which the sender counts as accepted', async () => {
    await withAutomineOff(async () => {
      const nonce = await provider.getTransactionCount(key.address, 'pending');
      const tx = { nonce, to: key.address };
      expect(await broadcast(key, tx)).toBeNull();
      const second = await broadcast(key, tx);
      expect(second).not.toBeNull();
      expect(isAlreadyKnown(second)).toBe(true);
    });
  });

  it(`a replacement raising the fee by 1 wei: ${caps.replacementBump ? 'refused as a nonce conflict, +10% accepted' : 'accepted (no 10% rule on this node)'}`, async () => {
    await withAutomineOff(async () => {
      const nonce = await provider.getTransactionCount(key.address, 'pending');
      expect(await broadcast(key, { nonce })).toBeNull();
      const bumped = await broadcast(key, { nonce, maxFeePerGas: 3n * GWEI + 1n, maxPriorityFeePerGas: GWEI + 1n });
      if (node.caps.replacementBump) {
        expect(bumped).not.toBeNull();
        expect(classifyFailure(bumped)).toMatchObject({ subtype: 'nonce', code: 'SYNC_NONCE_CONFLICT' });
        // The engine's re-pricing (+10% on both fees, faults.test.ts) is what such a node accepts.
        expect(await broadcast(key, { nonce, maxFeePerGas: (3n * GWEI * 11n) / 10n, maxPriorityFeePerGas: (GWEI * 11n) / 10n })).toBeNull();
      } else {
        expect(bumped).toBeNull();
      }
    });
  });

  it(`a gas limit over the EIP-7825 cap: ${caps.txGasCap ? 'refused' : 'accepted by this node'} (the engine never sends one)`, async () => {
    const err = await broadcast(key, { nonce: await provider.getTransactionCount(key.address, 'pending'), gasLimit: MAX_TX_GAS + 1n });
    if (node.caps.txGasCap) {
      expect(err).not.toBeNull();
      expect(String((err as Error).message)).toMatch(/exceeds transaction gas cap of 16777216/);
    } else {
      expect(err).toBeNull();
    }
  });
});
