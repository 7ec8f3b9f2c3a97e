// A data folder made the old way (embedded devnet deployed, and its audit heads signed, by anvil's PUBLIC dev key #0)
// started by this version through the composition root: the chain is migrated ('dev-key'), the first head by the
// folder's own operating key comes with a rotation statement, and Verify integrity is clean (with an honest warning
// about the old heads) instead of reporting them as forged. Real SQLite, real anvil.
import { writeFileSync } from 'node:fs';
import { keccak256, Wallet } from 'ethers';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import type { AuditVerifyReport } from '../api/audit';
import type { Principal } from '../api/permissions';
import { readHeadsFile } from '../audit/heads-file';
import { headSignedBy } from '../audit/heads';
import { rotationsInDatabase } from '../audit/key-rotation';
import { headsInDatabase, sealTreeHead } from '../audit/log';
import { startAnvil } from '../chain/anvil';
import { deployContracts } from '../chain/deploy';
import { chainPaths, DEVNET_SIGNER_KEY, readDeploymentRecord } from '../chain/devnet';
import { createProvider } from '../chain/provider';
import { tempDir } from '../sync/fixtures/chain';
import { silentLogger } from './log';
import { startServices, type Services } from '../compose/services';

const admin: Principal = { id: 'it', name: 'IT admin', role: 'it_admin' };
const auditor: Principal = { id: 'au', name: 'Auditor', role: 'auditor' };
const devKey = new Wallet(DEVNET_SIGNER_KEY);
const intervalBefore = process.env.CUSTODIAN_AUDIT_HEAD_INTERVAL_MS;
let services: Services | null = null;

afterEach(async () => {
  await services?.stop();
  services = null;
});
afterAll(() => {
  if (intervalBefore === undefined) delete process.env.CUSTODIAN_AUDIT_HEAD_INTERVAL_MS;
  else process.env.CUSTODIAN_AUDIT_HEAD_INTERVAL_MS = intervalBefore;
});

async function call<T>(s: Services, channel: string, input: unknown, as: Principal = auditor): Promise<T> {
  const r = await s.call(channel, input, as);
  if (!r.ok) throw new Error(`${channel}: ${r.error.code} ${r.error.message}`);
  return r.value as T;
}

/** What an earlier version left: contracts deployed by dev key #0 (no governance field) and heads signed by it. */
async function prepareOldFolder(dataDir: string): Promise<void> {
  // The database and its trail, with no head sealed by this version's code (the sealer is slowed to a day).
  process.env.CUSTODIAN_AUDIT_HEAD_INTERVAL_MS = '86400000';
  const old = await startServices({ dataDir, runtime: 'electron', logger: silentLogger, sync: 'manual', config: { chain: { mode: 'none' } } });
  try {
    for (let i = 0; i < 3; i++) await call(old, 'audit.list', {});
    sealTreeHead(old.db, { dataDir, signer: devKey, anchor: false });
    for (let i = 0; i < 2; i++) await call(old, 'audit.list', {});
    sealTreeHead(old.db, { dataDir, signer: devKey, anchor: false });
    expect(headsInDatabase(old.db).map((h) => headSignedBy(h, devKey.address))).toEqual([true, true]);
  } finally {
    await old.stop();
  }
  const paths = chainPaths(dataDir);
  const node = await startAnvil({ stateFile: paths.stateFile, chainId: 31337 });
  try {
    const provider = createProvider(node.rpcUrl, 31337);
    const legacy = await deployContracts(new Wallet(DEVNET_SIGNER_KEY, provider));
    const codeHashes = Object.fromEntries(await Promise.all(Object.entries(legacy).map(async ([n, a]) => [n, keccak256(await provider.getCode(a))])));
    writeFileSync(paths.deploymentFile, JSON.stringify({ chainId: 31337, contracts: legacy, deployedAt: '2026-01-01T00:00:00.000Z', codeHashes }));
    provider.destroy();
  } finally {
    await node.stop();
  }
}

describe('audit heads across the devnet migration away from dev key #0', () => {
  it('a migrated folder verifies clean: the new key rotates from the dev key, whose heads are reported as weak evidence', async () => {
    const dataDir = tempDir('devnet-audit-rotation');
    await prepareOldFolder(dataDir);

    services = await startServices({ dataDir, runtime: 'cli', logger: silentLogger, waitForChain: true, sync: 'manual', config: { chain: { mode: 'embedded' } } });
    const operator = services!.chain.devnetKeys().operating.address;
    expect(readDeploymentRecord(chainPaths(dataDir).deploymentFile)?.governance).toBe(services!.chain.devnetKeys().governance.address);

    const sealed = await call<{ head: { treeSize: number } | null }>(services, 'audit.batchNow', {}, admin);
    expect(sealed.head).not.toBeNull();
    const [rotation] = rotationsInDatabase(services.db);
    expect(rotation).toMatchObject({ reason: 'public-dev-key', oldSigner: devKey.address, newSigner: operator });
    expect(readHeadsFile(dataDir).rotations).toEqual([rotation]);
    expect(headsInDatabase(services.db).at(-1)).toMatchObject({ signer: operator, treeSize: sealed.head!.treeSize });

    const report = await call<AuditVerifyReport>(services, 'audit.verify', { depth: 'full' });
    expect(report.firstProblem).toBeNull();
    expect(report.ok).toBe(true);
    expect(report.warnings.join('\n')).toMatch(/2 head\(s\), up to \d+ entries, were signed by the public devnet key 0xf39F\w+ before this data folder had its own key: they prove nothing against someone with the data folder/);
  });
});
