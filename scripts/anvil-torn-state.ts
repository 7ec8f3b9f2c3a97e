// Reproduction for the convergence bench's silent losses (issue #18): anvil --state, one transaction broadcast and
// SIGTERM at once, restart from the state file. HEAVY=1 (a ~20M-gas transaction) often gives a TORN dump: the
// transaction's writes (sender nonce) are in the state, but no block, receipt or log holds it and the head has not moved.
// `HEAVY=1 N=15 npx tsx scripts/anvil-torn-state.ts` (REORG=1 adds a reorg before each round; not needed).
import os from 'node:os';
import path from 'node:path';
import fs from 'node:fs';
import { Wallet, JsonRpcProvider } from 'ethers';
import { startAnvil } from '../main/chain/anvil';
import { DEVNET_SIGNER_KEY } from '../main/chain/devnet';

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'torn-'));
const stateFile = path.join(dir, 'state.json');
let node = await startAnvil({ stateFile });
const port = node.port;
const to = Wallet.createRandom().address;
let torn = 0, lost = 0, ok = 0;
for (let i = 0; i < Number(process.env.N ?? 15); i++) {
  const p = new JsonRpcProvider(node.rpcUrl, 31337, { staticNetwork: true });
  const w = new Wallet(DEVNET_SIGNER_KEY, p);
  if (process.env.REORG) {
    // As the bench does between restarts: a few blocks, then a reorg of 1-2 of them.
    for (let k = 0; k < 3; k++) await p.send('evm_mine', []);
    await p.send('anvil_reorg', [1 + (i % 2), []]);
  }
  const heavy = process.env.HEAVY ? '0x' + Array.from({ length: 900 }, (_, k) => `6001${(0x61).toString(16)}${k.toString(16).padStart(4, '0')}55`).join('') : null;
  const before = BigInt(await p.getTransactionCount(w.address, 'latest'));
  const head0 = await p.getBlockNumber();
  const raw = await w.signTransaction(await w.populateTransaction(heavy ? { data: heavy, gasLimit: 25_000_000n } : { to, value: 1n }));
  const hash = await p.send('eth_sendRawTransaction', [raw]);
  await node.stop(); // right after the broadcast, as the bench's failpoint does
  p.destroy();
  node = await startAnvil({ stateFile, port });
  const q = new JsonRpcProvider(node.rpcUrl, 31337, { staticNetwork: true });
  const after = BigInt(await q.getTransactionCount(w.address, 'latest'));
  const receipt = await q.getTransactionReceipt(hash);
  const head1 = await q.getBlockNumber();
  const line = `#${i} head ${head0}->${head1} nonce ${before}->${after} receipt ${receipt ? `block ${receipt.blockNumber}` : 'none'}`;
  if (after > before && !receipt) { torn++; console.log(`TORN ${line}`); }
  else if (after === before && !receipt) { lost++; console.log(`LOST ${line}`); }
  else ok++;
  q.destroy();
}
await node.stop();
console.log(`ok ${ok}, torn (state has the tx, no block/receipt) ${torn}, lost (neither) ${lost}`);
