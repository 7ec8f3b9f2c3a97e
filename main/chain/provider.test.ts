// TxSender against a real node (anvil, or EDR with CUSTODIAN_TEST_NODE=edr): concurrent callers are sent one by one with consecutive nonces, reverts are named.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Interface, Wallet, type JsonRpcProvider } from 'ethers';
import { compileContracts } from '../../contracts/build';
import { loadArtifact } from './artifacts';
import { deployContracts, ensureFacilitySigner } from './deploy';
import { DEVNET_SIGNER_KEY } from './devnet';
import { MAX_TX_GAS, TxSender, createProvider, readChainStatus, suggestFees } from './provider';
import { startTestNode, type TestNode } from './test-node';

let node: TestNode;
let provider: JsonRpcProvider;
let wallet: Wallet;

beforeAll(async () => {
  compileContracts();
  node = await startTestNode();
  provider = createProvider(node.rpcUrl, node.chainId);
  wallet = new Wallet(DEVNET_SIGNER_KEY, provider);
});

afterAll(async () => {
  provider?.destroy();
  await node?.stop();
});

describe('TxSender', () => {
  it('serialises concurrent sends with consecutive nonces, EIP-1559 fees and capped gas', async () => {
    const sender = new TxSender(wallet);
    const before = await provider.getTransactionCount(wallet.address, 'pending');
    const to = Wallet.createRandom().address;
    const receipts = await Promise.all(Array.from({ length: 6 }, () => sender.send({ to, value: 1n })));
    const txs = await Promise.all(receipts.map((r) => provider.getTransaction(r.hash)));
    expect(txs.map((t) => t?.nonce)).toEqual([0, 1, 2, 3, 4, 5].map((i) => before + i));
    for (const tx of txs) {
      expect(tx?.type).toBe(2);
      expect(tx?.gasLimit).toBeLessThanOrEqual(MAX_TX_GAS);
      expect(tx?.maxFeePerGas).toBeGreaterThanOrEqual(tx?.maxPriorityFeePerGas ?? 0n);
    }
    expect(await provider.getBalance(to)).toBe(6n);
    const fees = await suggestFees(provider);
    expect(fees.maxFeePerGas).toBeGreaterThan(fees.maxPriorityFeePerGas);
    expect((await readChainStatus(provider)).blockNumber).toBeGreaterThanOrEqual(before + 6);
  });

  it('names the custom error of a transaction that would revert, and keeps the nonce for the next send', async () => {
    const sender = new TxSender(wallet);
    const { ConsentLedger } = await deployContracts(wallet, undefined, sender);
    await ensureFacilitySigner(sender, provider, ConsentLedger, wallet.address, `0x${'fa'.repeat(32)}`);
    const iface = new Interface(loadArtifact('ConsentLedger').abi);
    const batchId = `0x${'11'.repeat(32)}`;
    await sender.send({ to: ConsentLedger, data: iface.encodeFunctionData('applyBatch', [batchId, []]) });
    const replay = sender.send(
      { to: ConsentLedger, data: iface.encodeFunctionData('applyBatch', [batchId, []]) },
      { decodeErrorsWith: iface },
    );
    await expect(replay).rejects.toMatchObject({
      code: 'CHAIN_TX_REVERTED',
      details: { errorName: 'BatchAlreadyApplied' },
    });
    const nextBatch = `0x${'22'.repeat(32)}`;
    const next = await sender.send({ to: ConsentLedger, data: iface.encodeFunctionData('applyBatch', [nextBatch, []]) });
    expect(next.status).toBe(1);
  });
});
