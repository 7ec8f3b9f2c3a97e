// CredentialRegistry against a real anvil: issuer governance, issuer-signed statuses (EIP-712, nonce, deadline),
// per-item skips, final revocation, replay protection, bulk reads. The attacker tests play a relay or workstation
// without the issuer's key, an unregistered issuer squatting a hash, and a replayer of old signatures.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Wallet, id, type Contract, type Signer, type TransactionReceipt } from 'ethers';
import { signStatus, statusDigest, statusDomain, type ChainStatus, type SignedStatus, type StatusDomain } from '../../main/credentials/status-signature';
import { call, eventsOf, expectRevert, randomBytes32, startTestChain, type TestChain } from './harness';

const CODES: Record<ChainStatus, bigint> = { active: 1n, suspended: 2n, revoked: 3n };
const SKIP = ['InvalidStatus', 'Expired', 'OutOfRange', 'BadSignature', 'IssuerMismatch', 'IssuerNotRegistered', 'AlreadyRevoked', 'StaleNonce'] as const;

let chain: TestChain;
let registry: Contract;
let domain: StatusDomain;
const issuerA = Wallet.createRandom();
const issuerB = Wallet.createRandom();
let nonce = 1_700_000_000_000;
const FAR = 4_000_000_000;

beforeAll(async () => {
  chain = await startTestChain();
  registry = await chain.deploy('CredentialRegistry');
  domain = statusDomain(31337, await registry.getAddress());
});

afterAll(async () => {
  await chain?.stop();
});

function encode(s: SignedStatus): unknown {
  return { credentialHash: s.credentialHash, status: CODES[s.status], expiresAt: s.expiresAt, issuer: s.issuer, nonce: s.nonce, deadline: s.deadline, signature: s.signature };
}
const setStatuses = (batchId: string, updates: SignedStatus[], from = chain.stranger) => call(from, registry, 'setStatuses', [batchId, updates.map(encode)]);
function sign(issuer: Signer, status: ChainStatus = 'active', over: Partial<SignedStatus> = {}): Promise<SignedStatus> {
  return signStatus(issuer, domain, { credentialHash: randomBytes32(), status, expiresAt: 0, nonce: ++nonce, deadline: FAR, ...over });
}
function skips(receipt: TransactionReceipt): [string, bigint, string][] {
  return eventsOf(receipt, registry, 'StatusUpdateSkipped').map((e) => [e.args.credentialHash as string, e.args.index as bigint, SKIP[Number(e.args.reason)]!]);
}
const statusOf = async (hash: string) => (await registry.getFunction('statusOf')(hash)).status as bigint;

describe('CredentialRegistry', () => {
  it('grants admin and governance to the constructor admin only; no role writes statuses', async () => {
    for (const role of [`0x${'00'.repeat(32)}`, id('GOVERNANCE_ROLE')]) {
      expect(await registry.getFunction('hasRole')(role, chain.admin.address)).toBe(true);
      expect(await registry.getFunction('hasRole')(role, chain.stranger.address)).toBe(false);
    }
  });

  it('lets only GOVERNANCE_ROLE register and remove issuers, with events and guards', async () => {
    const register = await expectRevert(call(chain.stranger, registry, 'registerIssuer', [issuerA.address, 'Stranger Health']), registry.interface, 'AccessControlUnauthorizedAccount');
    expect(register.toArray()).toEqual([chain.stranger.address, id('GOVERNANCE_ROLE')]);
    const receipt = await call(chain.admin, registry, 'registerIssuer', [issuerA.address, 'State Medical Board']);
    expect(eventsOf(receipt, registry, 'IssuerRegistered').map((e) => e.args.toArray())).toEqual([[issuerA.address, 'State Medical Board']]);
    expect(await registry.getFunction('isIssuer')(issuerA.address)).toBe(true);
    expect((await expectRevert(call(chain.admin, registry, 'registerIssuer', [issuerA.address, 'again']), registry.interface, 'IssuerAlreadyRegistered'))[0]).toBe(issuerA.address);
    await expectRevert(call(chain.admin, registry, 'revokeIssuer', [issuerB.address]), registry.interface, 'IssuerNotRegistered');
  });

  it('agrees with the TypeScript digest (one typed-data definition on both sides)', async () => {
    const s = await sign(issuerA, 'suspended', { expiresAt: 1_900_000_000 });
    expect(await registry.getFunction('statusDigest')(s.credentialHash, 2, s.expiresAt, s.nonce, s.deadline)).toBe(statusDigest(domain, s));
  });

  it('applies issuer-signed statuses sent by anyone (a relay holds no role), and reads many in one call', async () => {
    const batchId = randomBytes32();
    const updates = await Promise.all(Array.from({ length: 30 }, (_, i) => sign(issuerA, (['active', 'suspended', 'revoked'] as const)[i % 3], { expiresAt: i % 2 ? 1_900_000_000 + i : 0 })));
    const receipt = await setStatuses(batchId, updates);
    expect(eventsOf(receipt, registry, 'CredentialStatusChanged').map((e) => e.args.toArray())).toEqual(updates.map((u) => [u.credentialHash, CODES[u.status], BigInt(u.expiresAt), u.issuer, batchId]));
    expect(skips(receipt)).toEqual([]);
    expect(eventsOf(receipt, registry, 'StatusBatchApplied').map((e) => e.args.toArray())).toEqual([[batchId, 30n]]);
    expect(await registry.getFunction('batchApplied')(chain.stranger.address, batchId)).toBe(true);
    const unknown = randomBytes32();
    const [statuses, expiries] = await registry.getFunction('statusesOf')([...updates.map((u) => u.credentialHash), unknown]);
    expect([...statuses]).toEqual([...updates.map((u) => CODES[u.status]), 0n]);
    expect([...expiries]).toEqual([...updates.map((u) => BigInt(u.expiresAt)), 0n]);
    expect((await registry.getFunction('statusOf')(updates[1]!.credentialHash)).toArray()).toEqual([2n, BigInt(updates[1]!.expiresAt), issuerA.address]);
    expect(await registry.getFunction('statusNonceOf')(updates[1]!.credentialHash)).toBe(BigInt(updates[1]!.nonce));
    const gas = await setStatuses(randomBytes32(), [await sign(issuerA)]);
    console.log(`CredentialRegistry.setStatuses: ${gas.gasUsed} gas for 1 signed status on a new credential`);
  });

  it('reverts a replayed batch id of the same sender with BatchAlreadyApplied', async () => {
    const batchId = randomBytes32();
    await setStatuses(batchId, [await sign(issuerA)]);
    expect((await expectRevert(setStatuses(batchId, [await sign(issuerA)]), registry.interface, 'BatchAlreadyApplied'))[0]).toBe(batchId);
  });

  it('attacker: a status without the issuer’s signature (signed by the relay, or another issuer’s for this one) is skipped, and the rest of the batch lands', async () => {
    const good = await sign(issuerA);
    const byRelay = await signStatus(chain.stranger.wallet, domain, { credentialHash: randomBytes32(), status: 'revoked', expiresAt: 0, nonce: ++nonce, deadline: FAR });
    const forged = { ...byRelay, issuer: issuerA.address }; // claims issuer A, signed by the relay
    const otherChain = await signStatus(issuerA, statusDomain(1, await registry.getAddress()), { credentialHash: randomBytes32(), status: 'active', expiresAt: 0, nonce: ++nonce, deadline: FAR });
    const receipt = await setStatuses(randomBytes32(), [forged, good, otherChain]);
    expect(skips(receipt)).toEqual([
      [forged.credentialHash, 0n, 'BadSignature'],
      [otherChain.credentialHash, 2n, 'BadSignature'],
    ]);
    expect(await statusOf(good.credentialHash)).toBe(1n);
    expect(await statusOf(forged.credentialHash)).toBe(0n);
  });

  it('attacker: a stale "active" (signed before the revocation) never undoes "revoked"; revocation is final', async () => {
    const hash = randomBytes32();
    const active = await sign(issuerA, 'active', { credentialHash: hash });
    const revoked = await sign(issuerA, 'revoked', { credentialHash: hash });
    await setStatuses(randomBytes32(), [revoked]);
    const receipt = await setStatuses(randomBytes32(), [active]); // another workstation relays its older copy
    expect(skips(receipt)).toEqual([[hash, 0n, 'AlreadyRevoked']]);
    const later = await sign(issuerA, 'active', { credentialHash: hash }); // even the issuer, later, cannot
    expect(skips(await setStatuses(randomBytes32(), [later]))).toEqual([[hash, 0n, 'AlreadyRevoked']]);
    expect(await statusOf(hash)).toBe(3n);
  });

  it('attacker: a replayed or older signed status (nonce not above the last) is skipped', async () => {
    const hash = randomBytes32();
    const suspended = await sign(issuerA, 'suspended', { credentialHash: hash });
    const active = await sign(issuerA, 'active', { credentialHash: hash });
    await setStatuses(randomBytes32(), [active]);
    expect(skips(await setStatuses(randomBytes32(), [suspended]))).toEqual([[hash, 0n, 'StaleNonce']]);
    // The very update the registry holds, again (a torn node state lost its event): announced again, nothing changes.
    const again = await setStatuses(randomBytes32(), [active]);
    expect(skips(again)).toEqual([]);
    expect(eventsOf(again, registry, 'CredentialStatusChanged').map((e) => e.args.credentialHash)).toEqual([hash]);
    expect(await statusOf(hash)).toBe(1n);
    expect(await registry.getFunction('statusNonceOf')(hash)).toBe(BigInt(active.nonce));
    const expired = await sign(issuerA, 'suspended', { credentialHash: hash, deadline: 1_000 });
    expect(skips(await setStatuses(randomBytes32(), [expired]))).toEqual([[hash, 0n, 'Expired']]);
  });

  it('attacker: an unregistered issuer cannot write anything, so it cannot squat a credential hash; a later genuine batch with that hash lands', async () => {
    const hash = randomBytes32();
    const squat = await sign(issuerB, 'revoked', { credentialHash: hash });
    expect(skips(await setStatuses(randomBytes32(), [squat]))).toEqual([[hash, 0n, 'IssuerNotRegistered']]);
    expect((await registry.getFunction('statusOf')(hash)).toArray()).toEqual([0n, 0n, '0x0000000000000000000000000000000000000000']);
    const genuine = await sign(issuerA, 'active', { credentialHash: hash });
    const receipt = await setStatuses(randomBytes32(), [genuine, await sign(issuerA)]);
    expect(skips(receipt)).toEqual([]);
    expect(await statusOf(hash)).toBe(1n);
    // A credential belongs to its first issuer: issuer B (now registered) cannot take it over.
    await call(chain.admin, registry, 'registerIssuer', [issuerB.address, 'Nursing Council']);
    expect(skips(await setStatuses(randomBytes32(), [await sign(issuerB, 'suspended', { credentialHash: hash })]))).toEqual([[hash, 0n, 'IssuerMismatch']]);
    const tampered = await sign(issuerA, 'active');
    expect(skips(await setStatuses(randomBytes32(), [{ ...tampered, expiresAt: 1_950_000_000 }]))).toEqual([[tampered.credentialHash, 0n, 'BadSignature']]);
    const huge = await sign(issuerA, 'active', { expiresAt: 2 ** 41 });
    expect(skips(await setStatuses(randomBytes32(), [huge]))).toEqual([[huge.credentialHash, 0n, 'OutOfRange']]);
  });

  it("a removed issuer may still revoke the credentials it recorded, and nothing else", async () => {
    const issuerC = Wallet.createRandom();
    await call(chain.admin, registry, 'registerIssuer', [issuerC.address, 'Pharmacy Board']);
    const credential = await sign(issuerC, 'active');
    await setStatuses(randomBytes32(), [credential]);
    await call(chain.admin, registry, 'revokeIssuer', [issuerC.address]);
    const suspend = await sign(issuerC, 'suspended', { credentialHash: credential.credentialHash });
    const fresh = await sign(issuerC, 'revoked');
    expect(skips(await setStatuses(randomBytes32(), [suspend, fresh]))).toEqual([
      [credential.credentialHash, 0n, 'IssuerNotRegistered'],
      [fresh.credentialHash, 1n, 'IssuerNotRegistered'],
    ]);
    const revoke = await sign(issuerC, 'revoked', { credentialHash: credential.credentialHash });
    expect(skips(await setStatuses(randomBytes32(), [revoke]))).toEqual([]);
    expect(await statusOf(credential.credentialHash)).toBe(3n);
  });
});
