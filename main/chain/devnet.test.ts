// The embedded chain against a real anvil: first start deploys, a restart resumes the persisted state, stop ends it.
import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Contract, id, keccak256, Wallet, ZeroHash } from 'ethers';
import { compileContracts } from '../../contracts/build';
import { startAnvil } from './anvil';
import { loadArtifact, type ContractName } from './artifacts';
import { deployContracts } from './deploy';
import { chainPaths, DEVNET_SIGNER_KEY, readDeploymentRecord, startEmbeddedChain, type EmbeddedChain } from './devnet';
import { ANVIL_DEV_KEYS, devnetKeysFile, readDevnetKeys } from './devnet-keys';
import { TEST_FOLDER_SECRET } from './test-support';
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
    const first = await startEmbeddedChain(dataDir, TEST_FOLDER_SECRET);
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

    const second = await startEmbeddedChain(dataDir, TEST_FOLDER_SECRET);
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
    const first = await startEmbeddedChain(dataDir, TEST_FOLDER_SECRET);
    await first.stop();

    writeFileSync(chainPaths(dataDir).stateFile, '{"block": torn');
    const second = await startEmbeddedChain(dataDir, TEST_FOLDER_SECRET);
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
    const first = await startEmbeddedChain(dataDir, TEST_FOLDER_SECRET);
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

    const second = await startEmbeddedChain(dataDir, TEST_FOLDER_SECRET);
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
    const third = await startEmbeddedChain(dataDir, TEST_FOLDER_SECRET);
    try {
      expect(third.deployReason).toBeNull();
      expect(third.contracts).toEqual(second.contracts);
    } finally {
      await third.stop();
    }
  });
});

const FACILITY = `0x${'ab'.repeat(32)}`;
const ROLES: Partial<Record<ContractName, Record<string, string>>> = {
  ConsentLedger: { DEFAULT_ADMIN_ROLE: ZeroHash },
  AuditAnchor: { DEFAULT_ADMIN_ROLE: ZeroHash, ANCHOR_ROLE: id('ANCHOR_ROLE') },
  CredentialRegistry: { DEFAULT_ADMIN_ROLE: ZeroHash, GOVERNANCE_ROLE: id('GOVERNANCE_ROLE') },
  ClaimsLedger: { DEFAULT_ADMIN_ROLE: ZeroHash, CUSTODIAN_ROLE: id('CUSTODIAN_ROLE') },
};

/** Every role `account` holds on the chain's contracts, as "Contract.ROLE", plus "ConsentLedger.facility" when registered. */
async function rolesOf(chain: EmbeddedChain, account: string): Promise<string[]> {
  const provider = createProvider(chain.rpcUrl, chain.chainId);
  try {
    const held: string[] = [];
    for (const [name, roles] of Object.entries(ROLES) as [ContractName, Record<string, string>][]) {
      const c = new Contract(chain.contracts[name], loadArtifact(name).abi, provider);
      for (const [roleName, role] of Object.entries(roles)) if (await c.getFunction('hasRole')(role, account)) held.push(`${name}.${roleName}`);
    }
    const ledger = new Contract(chain.contracts.ConsentLedger, loadArtifact('ConsentLedger').abi, provider);
    if ((await ledger.getFunction('facilityOf')(account)) !== ZeroHash) held.push('ConsentLedger.facility');
    return held.sort();
  } finally {
    provider.destroy();
  }
}

describe('the devnet keys of a data folder', () => {
  it('governance and operating keys are random per folder, private files, and split the roles; the public dev accounts hold none', async () => {
    const dataDir = tempDataDir();
    const chain = await startEmbeddedChain(dataDir, TEST_FOLDER_SECRET, FACILITY);
    try {
      const file = devnetKeysFile(dataDir);
      if (process.platform !== 'win32') {
        expect(statSync(file).mode & 0o777).toBe(0o600);
        expect(statSync(path.dirname(file)).mode & 0o777).toBe(0o700);
      }
      const keys = readDevnetKeys(file, TEST_FOLDER_SECRET);
      expect(keys.governance.address).toBe(chain.governance);
      expect(keys.operating.address).toBe(chain.operator);
      expect(chain.signerPrivateKey).toBe(keys.operating.privateKey);
      const devAddresses = ANVIL_DEV_KEYS.map((k) => new Wallet(k).address);
      expect(devAddresses).not.toContain(chain.governance);
      expect(devAddresses).not.toContain(chain.operator);
      expect(readDeploymentRecord(chainPaths(dataDir).deploymentFile)?.governance).toBe(chain.governance);

      expect(await rolesOf(chain, chain.governance)).toEqual(['AuditAnchor.DEFAULT_ADMIN_ROLE', 'ClaimsLedger.DEFAULT_ADMIN_ROLE', 'ConsentLedger.DEFAULT_ADMIN_ROLE', 'CredentialRegistry.DEFAULT_ADMIN_ROLE', 'CredentialRegistry.GOVERNANCE_ROLE']);
      expect(await rolesOf(chain, chain.operator)).toEqual(['AuditAnchor.ANCHOR_ROLE', 'ClaimsLedger.CUSTODIAN_ROLE', 'ConsentLedger.facility']);
      for (const dev of devAddresses) expect(await rolesOf(chain, dev)).toEqual([]);

      // Another data folder: other keys.
      const otherDir = tempDataDir();
      await (await startEmbeddedChain(otherDir, TEST_FOLDER_SECRET)).stop();
      const other = readDevnetKeys(devnetKeysFile(otherDir), TEST_FOLDER_SECRET);
      expect(other.governance.address).not.toBe(chain.governance);
      expect(other.operating.address).not.toBe(chain.operator);
    } finally {
      await chain.stop();
    }
    // A restart keeps the keys and the deployment.
    const again = await startEmbeddedChain(dataDir, TEST_FOLDER_SECRET, FACILITY);
    try {
      expect(again.deployReason).toBeNull();
      expect(again.governance).toBe(chain.governance);
      expect(again.operator).toBe(chain.operator);
      expect(again.contracts).toEqual(chain.contracts);
    } finally {
      await again.stop();
    }
  });

  it('an unreadable key file fails closed (no new keys that own nothing)', async () => {
    const dataDir = tempDataDir();
    await (await startEmbeddedChain(dataDir, TEST_FOLDER_SECRET)).stop();
    writeFileSync(devnetKeysFile(dataDir), '{"format":"custodian-devnet-keys/1","governance":"0x12"}');
    await expect(startEmbeddedChain(dataDir, TEST_FOLDER_SECRET)).rejects.toMatchObject({ code: 'DEVNET_KEYS_UNREADABLE' });
  });

  it('migrates a folder deployed by dev key #0: deploys again under the folder governance key, the old contracts are no longer read', async () => {
    const dataDir = tempDataDir();
    const paths = chainPaths(dataDir);
    // What an earlier version left: contracts deployed and administered by anvil's dev key #0, no governance field.
    const node = await startAnvil({ stateFile: paths.stateFile, chainId: 31337 });
    let legacy: Record<string, string>;
    try {
      const provider = createProvider(node.rpcUrl, 31337);
      legacy = await deployContracts(new Wallet(DEVNET_SIGNER_KEY, provider));
      const codeHashes = Object.fromEntries(await Promise.all(Object.entries(legacy).map(async ([n, a]) => [n, keccak256(await provider.getCode(a))])));
      writeFileSync(paths.deploymentFile, JSON.stringify({ chainId: 31337, contracts: legacy, deployedAt: '2026-01-01T00:00:00.000Z', codeHashes }));
      provider.destroy();
    } finally {
      await node.stop();
    }
    const chain = await startEmbeddedChain(dataDir, TEST_FOLDER_SECRET, FACILITY);
    try {
      expect(chain.deployReason).toBe('dev-key');
      for (const name of Object.keys(legacy)) expect(chain.contracts[name as ContractName]).not.toBe(legacy[name]);
      expect(readDeploymentRecord(paths.deploymentFile)?.contracts).toEqual(chain.contracts);
      expect(await rolesOf(chain, chain.governance)).toContain('ConsentLedger.DEFAULT_ADMIN_ROLE');
      expect(await rolesOf(chain, new Wallet(DEVNET_SIGNER_KEY).address)).toEqual([]);
      expect(await rolesOf(chain, chain.operator)).toEqual(['AuditAnchor.ANCHOR_ROLE', 'ClaimsLedger.CUSTODIAN_ROLE', 'ConsentLedger.facility']);
    } finally {
      await chain.stop();
    }
  });
});
