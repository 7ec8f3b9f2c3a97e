// The embedded chain against a real anvil: first start deploys, a restart resumes the persisted state, stop ends it.
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { compileContracts } from '../../contracts/build';
import { chainPaths, readDeploymentRecord, startEmbeddedChain, type EmbeddedChain } from './devnet';
import { createProvider, readChainStatus, type ChainStatusReading } from './provider';

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

async function codeAt(chain: EmbeddedChain): Promise<string[]> {
  const provider = createProvider(chain.rpcUrl, chain.chainId);
  try {
    return await Promise.all(Object.values(chain.contracts).map((a) => provider.getCode(a)));
  } finally {
    provider.destroy();
  }
}

async function status(chain: EmbeddedChain) {
  const provider = createProvider(chain.rpcUrl, chain.chainId);
  try {
    return await readChainStatus(provider);
  } finally {
    provider.destroy();
  }
}

const dirs: string[] = [];
function tempDataDir(): string {
  const dir = mkdtempSync(path.join(tmpdir(), 'custodian-devnet-'));
  dirs.push(dir);
  return dir;
}

beforeAll(() => compileContracts());
afterAll(() => {
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
});

describe('startEmbeddedChain', () => {
  it('deploys on first start, resumes the same contracts after a restart, and stops its process', async () => {
    const dataDir = tempDataDir();
    const first = await startEmbeddedChain(dataDir);
    let firstStatus: ChainStatusReading;
    try {
      expect(first.chainId).toBe(31337);
      expect(first.deployReason).toBe('no-record');
      expect(Object.keys(first.contracts).sort()).toEqual(['AuditAnchor', 'ClaimsLedger', 'ConsentLedger', 'CredentialRegistry', 'SharingAgreements']);
      for (const code of await codeAt(first)) expect(code.length).toBeGreaterThan(2);
      firstStatus = await status(first);
      expect(firstStatus.chainId).toBe(31337);
      expect(firstStatus.blockNumber).toBeGreaterThanOrEqual(3);
      expect(readDeploymentRecord(chainPaths(dataDir).deploymentFile)?.contracts).toEqual(first.contracts);
    } finally {
      await first.stop();
    }
    expect(isAlive(first.node.pid)).toBe(false);

    const second = await startEmbeddedChain(dataDir);
    try {
      expect(second.deployReason).toBeNull();
      expect(second.contracts).toEqual(first.contracts);
      expect(second.deployedAt).toBe(first.deployedAt);
      for (const code of await codeAt(second)) expect(code.length).toBeGreaterThan(2);
      const secondStatus = await status(second);
      expect(secondStatus.chainId).toBe(31337);
      expect(secondStatus.blockNumber).toBeGreaterThanOrEqual(firstStatus.blockNumber);
    } finally {
      await second.stop();
    }
    expect(isAlive(second.node.pid)).toBe(false);
  });

  it('sets an unreadable state file aside and redeploys when the recorded code is gone', async () => {
    const dataDir = tempDataDir();
    const first = await startEmbeddedChain(dataDir);
    await first.stop();

    writeFileSync(chainPaths(dataDir).stateFile, '{"block": torn');
    const second = await startEmbeddedChain(dataDir);
    try {
      expect(second.deployReason).toBe('code-missing');
      for (const code of await codeAt(second)) expect(code.length).toBeGreaterThan(2);
      expect(readDeploymentRecord(chainPaths(dataDir).deploymentFile)?.deployedAt).toBe(second.deployedAt);
    } finally {
      await second.stop();
    }
  });

  it('deploys only the contracts an older record lacks (SharingAgreements, ClaimsLedger), keeping the others and their state', async () => {
    const dataDir = tempDataDir();
    const first = await startEmbeddedChain(dataDir);
    await first.stop();
    // The record an older version wrote: three contracts, neither SharingAgreements nor ClaimsLedger.
    const file = chainPaths(dataDir).deploymentFile;
    const old = JSON.parse(readFileSync(file, 'utf8')) as { contracts: Record<string, string>; codeHashes: Record<string, string> };
    for (const name of ['SharingAgreements', 'ClaimsLedger']) {
      delete old.contracts[name];
      delete old.codeHashes[name];
    }
    writeFileSync(file, JSON.stringify(old));
    expect(readDeploymentRecord(file)?.contracts.ClaimsLedger).toBeUndefined();
    expect(readDeploymentRecord(file)?.contracts.SharingAgreements).toBeUndefined();

    const second = await startEmbeddedChain(dataDir);
    try {
      expect(second.deployReason).toBe('contract-added');
      const { ClaimsLedger, SharingAgreements, ...others } = second.contracts;
      expect(others).toEqual({ ConsentLedger: first.contracts.ConsentLedger, AuditAnchor: first.contracts.AuditAnchor, CredentialRegistry: first.contracts.CredentialRegistry });
      expect(ClaimsLedger).not.toBe(first.contracts.ClaimsLedger);
      expect(SharingAgreements).not.toBe(first.contracts.SharingAgreements);
      for (const code of await codeAt(second)) expect(code.length).toBeGreaterThan(2);
      expect(readDeploymentRecord(file)?.contracts).toEqual(second.contracts);
    } finally {
      await second.stop();
    }
    const third = await startEmbeddedChain(dataDir);
    try {
      expect(third.deployReason).toBeNull();
      expect(third.contracts).toEqual(second.contracts);
    } finally {
      await third.stop();
    }
  });
});
