// CredentialRegistry against a real anvil: issuer governance, batched status writes, replay protection, bulk reads.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Wallet, id, type Contract } from 'ethers';
import { call, eventsOf, expectRevert, randomBytes32, startTestChain, type TestChain } from './harness';

const ACTIVE = 1;
const SUSPENDED = 2;
const REVOKED = 3;

interface StatusUpdate {
  credentialHash: string;
  status: number;
  expiresAt: bigint;
  issuer: string;
}

let chain: TestChain;
let registry: Contract;
const issuerA = Wallet.createRandom().address;
const issuerB = Wallet.createRandom().address;

beforeAll(async () => {
  chain = await startTestChain();
  registry = await chain.deploy('CredentialRegistry');
});

afterAll(async () => {
  await chain?.stop();
});

const setStatuses = (batchId: string, updates: StatusUpdate[]) =>
  call(chain.admin, registry, 'setStatuses', [batchId, updates]);
const update = (issuer: string, status = ACTIVE, expiresAt = 0n): StatusUpdate => ({
  credentialHash: randomBytes32(),
  status,
  expiresAt,
  issuer,
});

describe('CredentialRegistry', () => {
  it('grants admin, governance and status roles to the constructor admin only', async () => {
    for (const role of [`0x${'00'.repeat(32)}`, id('GOVERNANCE_ROLE'), id('STATUS_ROLE')]) {
      expect(await registry.getFunction('hasRole')(role, chain.admin.address)).toBe(true);
      expect(await registry.getFunction('hasRole')(role, chain.stranger.address)).toBe(false);
    }
  });

  it('lets only GOVERNANCE_ROLE register and remove issuers', async () => {
    const register = await expectRevert(
      call(chain.stranger, registry, 'registerIssuer', [issuerA, 'Stranger Health']),
      registry.interface,
      'AccessControlUnauthorizedAccount',
    );
    expect(register.toArray()).toEqual([chain.stranger.address, id('GOVERNANCE_ROLE')]);
    await expectRevert(
      call(chain.stranger, registry, 'revokeIssuer', [issuerA]),
      registry.interface,
      'AccessControlUnauthorizedAccount',
    );
  });

  it('registers and removes issuers with events and guards', async () => {
    const receipt = await call(chain.admin, registry, 'registerIssuer', [issuerA, 'State Medical Board']);
    expect(eventsOf(receipt, registry, 'IssuerRegistered').map((e) => e.args.toArray())).toEqual([
      [issuerA, 'State Medical Board'],
    ]);
    expect(await registry.getFunction('isIssuer')(issuerA)).toBe(true);
    expect(await registry.getFunction('isIssuer')(issuerB)).toBe(false);
    const dup = await expectRevert(
      call(chain.admin, registry, 'registerIssuer', [issuerA, 'again']),
      registry.interface,
      'IssuerAlreadyRegistered',
    );
    expect(dup[0]).toBe(issuerA);
    await expectRevert(call(chain.admin, registry, 'revokeIssuer', [issuerB]), registry.interface, 'IssuerNotRegistered');

    await call(chain.admin, registry, 'registerIssuer', [issuerB, 'Nursing Council']);
    const revoked = await call(chain.admin, registry, 'revokeIssuer', [issuerB]);
    expect(eventsOf(revoked, registry, 'IssuerRevoked').map((e) => e.args.issuer)).toEqual([issuerB]);
    expect(await registry.getFunction('isIssuer')(issuerB)).toBe(false);
  });

  it('lets only STATUS_ROLE write statuses', async () => {
    const args = await expectRevert(
      call(chain.stranger, registry, 'setStatuses', [randomBytes32(), [update(issuerA)]]),
      registry.interface,
      'AccessControlUnauthorizedAccount',
    );
    expect(args.toArray()).toEqual([chain.stranger.address, id('STATUS_ROLE')]);
  });

  it('writes a batch, emits one event per change, and reads many statuses in one call', async () => {
    const batchId = randomBytes32();
    const updates = Array.from({ length: 60 }, (_, i) =>
      update(issuerA, [ACTIVE, SUSPENDED, REVOKED][i % 3], i % 2 === 0 ? 0n : 1_900_000_000n + BigInt(i)),
    );
    const receipt = await setStatuses(batchId, updates);

    const changed = eventsOf(receipt, registry, 'CredentialStatusChanged');
    expect(changed.map((e) => e.args.toArray())).toEqual(
      updates.map((u) => [u.credentialHash, BigInt(u.status), u.expiresAt, u.issuer, batchId]),
    );
    expect(eventsOf(receipt, registry, 'StatusBatchApplied').map((e) => e.args.toArray())).toEqual([[batchId, 60n]]);
    expect(await registry.getFunction('batchApplied')(chain.admin.address, batchId)).toBe(true);

    const unknown = randomBytes32();
    const hashes = [...updates.map((u) => u.credentialHash), unknown];
    const [statuses, expiries] = await registry.getFunction('statusesOf')(hashes);
    expect([...statuses]).toEqual([...updates.map((u) => BigInt(u.status)), 0n]);
    expect([...expiries]).toEqual([...updates.map((u) => u.expiresAt), 0n]);

    const first = updates[1];
    if (!first) throw new Error('no update');
    expect((await registry.getFunction('statusOf')(first.credentialHash)).toArray()).toEqual([
      BigInt(first.status),
      first.expiresAt,
      issuerA,
    ]);
    expect((await registry.getFunction('statusOf')(unknown)).toArray()).toEqual([0n, 0n, '0x0000000000000000000000000000000000000000']);
  });

  it('reverts a replayed batch id with BatchAlreadyApplied', async () => {
    const batchId = randomBytes32();
    await setStatuses(batchId, [update(issuerA)]);
    const args = await expectRevert(setStatuses(batchId, [update(issuerA)]), registry.interface, 'BatchAlreadyApplied');
    expect(args[0]).toBe(batchId);
  });

  it('validates status values, issuers and credential ownership, all or nothing', async () => {
    const batchId = randomBytes32();
    const ok = update(issuerA);
    const invalid = await expectRevert(
      setStatuses(batchId, [ok, update(issuerA, 4)]),
      registry.interface,
      'InvalidStatus',
    );
    expect(invalid[1]).toBe(4n);
    await expectRevert(setStatuses(batchId, [update(issuerA, 0)]), registry.interface, 'InvalidStatus');
    const unregistered = await expectRevert(
      setStatuses(batchId, [update(issuerB, ACTIVE)]),
      registry.interface,
      'IssuerNotRegistered',
    );
    expect(unregistered[0]).toBe(issuerB);
    expect(await registry.getFunction('batchApplied')(chain.admin.address, batchId)).toBe(false);
    expect((await registry.getFunction('statusOf')(ok.credentialHash)).status).toBe(0n);

    await setStatuses(batchId, [ok]);
    const mismatch = await expectRevert(
      setStatuses(randomBytes32(), [{ ...ok, issuer: issuerB, status: REVOKED }]),
      registry.interface,
      'IssuerMismatch',
    );
    expect(mismatch.toArray()).toEqual([ok.credentialHash, issuerA, issuerB]);
  });

  it("still accepts revocations of a removed issuer's credentials", async () => {
    const issuerC = Wallet.createRandom().address;
    await call(chain.admin, registry, 'registerIssuer', [issuerC, 'Pharmacy Board']);
    const credential = update(issuerC, ACTIVE);
    await setStatuses(randomBytes32(), [credential]);
    await call(chain.admin, registry, 'revokeIssuer', [issuerC]);

    await expectRevert(
      setStatuses(randomBytes32(), [{ ...credential, status: SUSPENDED }]),
      registry.interface,
      'IssuerNotRegistered',
    );
    await setStatuses(randomBytes32(), [{ ...credential, status: REVOKED }]);
    expect((await registry.getFunction('statusOf')(credential.credentialHash)).status).toBe(BigInt(REVOKED));
  });
});
