// Attacker tests on the embedded devnet as the console runs it: a local process that knows the RPC URL and holds
// anvil's public dev keys #0 and #1 (printed by anvil, funded on every devnet) tries every governance and operating
// write. Each reverts with the contract's named error, and the console's next pull brings nothing of it.
import { Interface, Wallet, ZeroHash, id, type JsonRpcProvider } from 'ethers';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Principal } from '../api/permissions';
import type { SyncNowResult } from '../api/sync';
import { ConsentSealer } from '../consents/ledger-seal';
import { loadOrCreateFacilitySecret } from '../consents/pseudonym';
import { signStatusWithKey, statusDomain } from '../credentials/status-signature';
import { silentLogger } from '../runtime/log';
import { startServices, type Services } from '../compose/services';
import { auditRootPayload, enqueue, tempDir } from '../sync/fixtures/chain';
import { loadArtifact, type ContractName } from './artifacts';
import { ANVIL_DEV_KEYS } from './devnet-keys';
import { TxSender } from './provider';
import { foldKeyLogs } from '../consents/ledger-state';

const admin: Principal = { id: 'it', name: 'IT admin', role: 'it_admin' };
let services: Services;
let provider: JsonRpcProvider;
let contracts: Record<ContractName, string>;
let facilityId: string;

beforeAll(async () => {
  const dataDir = tempDir('devnet-attacker');
  services = await startServices({ dataDir, runtime: 'cli', logger: silentLogger, waitForChain: true, sync: 'manual', config: { chain: { mode: 'embedded' } } });
  const conn = services.chain.connection;
  if (!conn) throw new Error(`chain not connected: ${JSON.stringify(services.chain.current)}`);
  provider = conn.provider;
  contracts = conn.endpoint.contracts as Record<ContractName, string>;
  facilityId = new ConsentSealer(loadOrCreateFacilitySecret(dataDir)).facilityId;
});
afterAll(async () => {
  await services?.stop();
});

async function syncNow(): Promise<SyncNowResult> {
  const r = await services.call('sync.now', {}, admin);
  if (!r.ok) throw new Error(`sync.now: ${r.error.code} ${r.error.message}`);
  return r.value as SyncNowResult;
}

/** What the console holds from the chain: consents, mirrored events, kept pulled changes, anchored roots. */
function consoleState(): Record<string, number> {
  const count = (table: string) => services.db.prepare(`SELECT count(*) FROM ${table}`).pluck().get() as number;
  return {
    consents: count('consents'),
    events: count('sync_chain_events'),
    pending: count('sync_pending_consent_changes'),
    roots: count('sync_chain_audit_roots'),
    history: count('consent_history'),
  };
}

const iface = (name: ContractName) => new Interface(loadArtifact(name).abi);

/** Sends `fn(args)` to `contract` from `key`; resolves with the revert's error name (fails if it did not revert). */
async function attack(key: string, contract: ContractName, fn: string, args: unknown[]): Promise<string> {
  const i = iface(contract);
  const sender = new TxSender(new Wallet(key, provider));
  try {
    await sender.send({ to: contracts[contract], data: i.encodeFunctionData(fn, args) }, { decodeErrorsWith: i });
  } catch (err) {
    const e = err as { code?: string; details?: { errorName?: string | null } };
    expect(e.code).toBe('CHAIN_TX_REVERTED');
    return e.details?.errorName ?? 'unnamed revert';
  }
  throw new Error(`${contract}.${fn} from a dev key did not revert`);
}

describe('attacker: a local process with the devnet RPC URL and the public dev keys', () => {
  it('anvil answers no CORS on the embedded devnet (a web page cannot drive it)', async () => {
    const rpcUrl = services.chain.connection!.endpoint.rpcUrl;
    const res = await fetch(rpcUrl, { method: 'POST', headers: { 'content-type': 'application/json', origin: 'https://evil.example' }, body: JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'eth_chainId', params: [] }) });
    expect(res.headers.get('access-control-allow-origin')).toBeNull();
  });

  it.each([0, 1])('dev key #%i: every governance and operating write reverts with its named error; the console pulls nothing', async (k) => {
    const key = ANVIL_DEV_KEYS[k]!;
    const attacker = new Wallet(key).address;
    // The console's own traffic first: a head anchored by its operating key, and what its pull holds.
    enqueue(services.db, 'audit.root', [auditRootPayload(10 + k).json]);
    expect((await syncNow()).outcome).not.toBe('failed');
    const before = consoleState();
    const anchor = iface('AuditAnchor');
    const operator = (await services.sync!.signer())!;
    const headsBefore = anchor.decodeFunctionResult('headCount', await provider.call({ to: contracts.AuditAnchor, data: anchor.encodeFunctionData('headCount', [operator]) }))[0] as bigint;
    expect(headsBefore).toBeGreaterThan(0n);
    const attackFrom = await provider.getBlockNumber();

    const opKey = id(`forged-op-${k}`);
    const order = 2n | (BigInt(Date.now()) << 32n); // a deny stamped now
    expect(await attack(key, 'ConsentLedger', 'applyBatch', [id(`b-${k}`), [{ opKey, order, sealedTerms: '0x' }]])).toBe('NotFacilitySigner');
    expect(await attack(key, 'ConsentLedger', 'setFacilitySigner', [attacker, facilityId])).toBe('AccessControlUnauthorizedAccount');
    expect(await attack(key, 'ConsentLedger', 'beginDefaultAdminTransfer', [attacker])).toBe('AccessControlUnauthorizedAccount');
    expect(await attack(key, 'AuditAnchor', 'anchorHead', [5_000, id('forged-root')])).toBe('AccessControlUnauthorizedAccount');
    expect(await attack(key, 'AuditAnchor', 'grantRole', [id('ANCHOR_ROLE'), attacker])).toBe('AccessControlUnauthorizedAccount');
    expect(await attack(key, 'CredentialRegistry', 'registerIssuer', [attacker, 'Board of Nobody'])).toBe('AccessControlUnauthorizedAccount');
    expect(await attack(key, 'CredentialRegistry', 'revokeIssuer', [attacker])).toBe('AccessControlUnauthorizedAccount');
    expect(await attack(key, 'ClaimsLedger', 'registerPayer', [attacker, true])).toBe('AccessControlUnauthorizedAccount');
    expect(await attack(key, 'ClaimsLedger', 'recordBatch', [id(`c-${k}`), [{ claimHash: id('claim'), payerCommitment: id('payer-commitment') }]])).toBe('AccessControlUnauthorizedAccount');

    // A credential status signed by the dev key: the registry takes the batch but applies nothing (not an issuer).
    const registry = iface('CredentialRegistry');
    const credentialHash = id(`credential-${k}`);
    const status = signStatusWithKey(new Wallet(key), statusDomain(31337, contracts.CredentialRegistry), { credentialHash, status: 'revoked', expiresAt: 1_900_000_000, nonce: Date.now(), deadline: 4_000_000_000 });
    const receipt = await new TxSender(new Wallet(key, provider)).send({ to: contracts.CredentialRegistry, data: registry.encodeFunctionData('setStatuses', [id(`s-${k}`), [{ ...status, status: 3 }]]) });
    const skipped = receipt.logs.map((l) => registry.parseLog({ topics: [...l.topics], data: l.data })).filter((d) => d?.name === 'StatusUpdateSkipped');
    expect(skipped.map((d) => Number(d!.args.reason))).toEqual([5]); // SkipReason.IssuerNotRegistered
    const [stored] = registry.decodeFunctionResult('statusOf', await provider.call({ to: contracts.CredentialRegistry, data: registry.encodeFunctionData('statusOf', [credentialHash]) })) as unknown as [bigint];
    expect(stored).toBe(0n);

    // The chain is as before: no state for the forged op in our namespace, the dev key still unregistered.
    const ledger = iface('ConsentLedger');
    expect((await foldKeyLogs(provider, contracts.ConsentLedger, facilityId, opKey)).word).toBe(0n);
    expect(ledger.decodeFunctionResult('facilityOf', await provider.call({ to: contracts.ConsentLedger, data: ledger.encodeFunctionData('facilityOf', [attacker]) }))[0]).toBe(ZeroHash);

    // The console pulls: nothing new but the registry's skipped batch; its own trail grows on (no gap).
    expect((await syncNow()).outcome).not.toBe('failed');
    const after = consoleState();
    expect({ ...after, events: 0 }).toEqual({ ...before, events: 0 });
    const kinds = services.db.prepare(`SELECT DISTINCT name FROM sync_chain_events WHERE block_number > ?`).pluck().all(attackFrom) as string[];
    expect(kinds.filter((n) => n !== 'StatusUpdateSkipped' && n !== 'StatusBatchApplied')).toEqual([]);
    enqueue(services.db, 'audit.root', [auditRootPayload(20 + k).json]);
    expect((await syncNow()).confirmed).toBeGreaterThan(0);
    const headsAfter = anchor.decodeFunctionResult('headCount', await provider.call({ to: contracts.AuditAnchor, data: anchor.encodeFunctionData('headCount', [operator]) }))[0] as bigint;
    expect(headsAfter).toBe(headsBefore + 1n);
  });
});
