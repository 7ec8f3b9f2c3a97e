// A forged pulled credential status, as a local process on the devnet could make one: the registry's code is
// swapped (anvil_setCode) for one that emits CredentialStatusChanged with no signature behind it. The puller
// re-checks the issuer's signature in the carrying transaction and applies only what the issuer signed.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createRequire } from 'node:module';
import path from 'node:path';
import { Interface, Wallet } from 'ethers';
import { DEVNET_SIGNER_KEY } from '../chain/devnet';
import { TxSender } from '../chain/provider';
import { ChainPuller } from './puller';
import { credentialPayload, enqueue, TEST_REGISTRY, openTestDb, registerIssuer, startTestChain, tempDir, testEngine, type TestChain } from './fixtures/chain';

const FORGER = `// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;
contract Forger {
    event CredentialStatusChanged(bytes32 indexed credentialHash, uint8 status, uint64 expiresAt, address indexed issuer, bytes32 indexed batchId);
    function forge(bytes32 h, uint8 s, address issuer) external { emit CredentialStatusChanged(h, s, 0, issuer, bytes32(0)); }
}`;

function compileForger(): { abi: unknown[]; runtime: string } {
  const solc = createRequire(import.meta.url)('solc') as { compile(input: string): string };
  const out = JSON.parse(solc.compile(JSON.stringify({ language: 'Solidity', sources: { 'Forger.sol': { content: FORGER } }, settings: { outputSelection: { '*': { '*': ['abi', 'evm.deployedBytecode.object'] } } } }))) as {
    contracts: Record<string, Record<string, { abi: unknown[]; evm: { deployedBytecode: { object: string } } }>>;
  };
  const c = out.contracts['Forger.sol']!.Forger!;
  return { abi: c.abi, runtime: `0x${c.evm.deployedBytecode.object}` };
}

let chain: TestChain;
let dir: string;

beforeAll(async () => {
  chain = await startTestChain();
  dir = tempDir('pulled-status');
});
afterAll(async () => {
  await chain?.stop();
});

describe('pulled credential statuses', () => {
  it('applies an issuer-signed status and rejects one logged without a signature (forged registry code)', async () => {
    const db = openTestDb(path.join(dir, 'pull.sqlite'));
    const board = Wallet.createRandom();
    await registerIssuer(chain, board.address);
    const genuine = credentialPayload(1, board, chain, 'active');
    enqueue(db, 'credential.status', [genuine]);
    const engine = testEngine(db, chain, { pull: false });
    await engine.runUntilDrained();
    await engine.stop();

    // The attacker: swap the registry's code and log a revocation nobody signed, in the issuer's name.
    const forger = compileForger();
    await chain.control.setCode(chain.contracts.CredentialRegistry, forger.runtime);
    const victimHash = `0x${'ab'.repeat(32)}`;
    await new TxSender(new Wallet(DEVNET_SIGNER_KEY, chain.provider)).send({ to: chain.contracts.CredentialRegistry, data: new Interface(forger.abi as never).encodeFunctionData('forge', [victimHash, 3, board.address]) });

    const puller = new ChainPuller(db, chain.provider, chain.chainId, chain.contracts, TEST_REGISTRY);
    const report = await puller.pull();
    expect(report.counts.statusesRejected).toBe(1);
    const mirrored = db.prepare(`SELECT credential_hash, status FROM sync_chain_credentials`).all() as { credential_hash: string; status: number }[];
    expect(mirrored).toEqual([{ credential_hash: JSON.parse(genuine).credentialHash, status: 1 }]);
    db.close();
  });
});
