// The verification rules, table-driven: each verdict from the off-chain checks and from registry facts, the check
// order, replay from another chain or registry, tampering after signing, and a local suspension or revocation.
import { Wallet } from 'ethers';
import { beforeAll, describe, expect, it } from 'vitest';
import type { SignedCredential } from './document';
import { credentialDigest, credentialDomain, signCredentialFields } from './eip712';
import { signTestCredential } from './test-support';
import { expiresAtOf, offChainFinding, offlineFinding, registryFinding, withLocalStatus, type CheckableCredential, type RegistryFacts } from './verdict';

const issuer = new Wallet('0x59c6995e998f97a5a0044966f0945389dc9e86dae88c7a8412f4603b6b78690d');
const stranger = new Wallet('0x5de4111afa1a4b94908f83103eb1f1706367c2e68ca870fc3fb9a804cdab365a');
const registry = '0x5FbDB2315678afecb367f032d93F642f64180aa3';
const ours = credentialDomain(31337, registry);
const now = new Date('2026-06-15T12:00:00Z');
let good: SignedCredential;

beforeAll(async () => {
  good = await signTestCredential(issuer, ours, { validFrom: '2024-01-01', validUntil: '2026-12-31', number: 'A-1' });
});

const active: RegistryFacts = { issuerRegistered: true, status: 1, expiresAt: 0, recordedIssuer: null };

describe('offChainFinding', () => {
  it('passes a well-signed credential in its validity period', () => {
    expect(offChainFinding(good, ours, now)).toBeNull();
    // With no known domain (chain never reached), the credential is checked against the domain it names.
    expect(offChainFinding(good, null, now)).toBeNull();
  });

  const cases: [string, () => Promise<CheckableCredential> | CheckableCredential, string, RegExp][] = [
    ['an NPI with a wrong check digit', () => ({ ...good, fields: { ...good.fields, npi: '1234567890' } }), 'invalid_npi', /NPI 1234567890 is not valid: NPI check digit is wrong/],
    ['a field tampered after signing', () => ({ ...good, fields: { ...good.fields, validUntil: '2099-12-31' }, hash: credentialDigest(ours, { ...good.fields, validUntil: '2099-12-31' }) }), 'bad_signature', /recovers to .* not to the issuer/],
    ['a stored hash that no longer matches its fields', () => ({ ...good, fields: { ...good.fields, number: 'A-2' } }), 'bad_signature', /does not match its fields/],
    ['a signature by a key other than the named issuer', async () => ({ ...good, signature: await signCredentialFields(stranger, ours, good.fields) }), 'bad_signature', /recovers to 0x[0-9a-fA-F]{6}…/],
    ['a garbage signature of the right length', () => ({ ...good, signature: `0x${'11'.repeat(64)}ff` }), 'bad_signature', /not a valid secp256k1 signature/],
    ['not yet valid', () => signTestCredential(issuer, ours, { validFrom: '2026-07-01', validUntil: '2027-07-01' }), 'not_yet_valid', /Valid from 2026-07-01; today is 2026-06-15/],
    ['expired yesterday', () => signTestCredential(issuer, ours, { validFrom: '2020-01-01', validUntil: '2026-06-14' }), 'expired', /valid until 2026-06-14 \(inclusive\)/],
  ];
  it.each(cases)('%s', async (_what, make, verdict, reason) => {
    const c = await make();
    const f = offChainFinding(c, ours, now);
    expect(f?.verdict).toBe(verdict);
    expect(f?.reason).toMatch(reason);
  });

  it('is valid on its last day (inclusive) and on its first day', async () => {
    const lastDay = await signTestCredential(issuer, ours, { validFrom: '2026-06-15', validUntil: '2026-06-15' });
    expect(offChainFinding(lastDay, ours, new Date('2026-06-15T23:59:59Z'))).toBeNull();
    expect(offChainFinding(lastDay, ours, new Date('2026-06-16T00:00:00Z'))?.verdict).toBe('expired');
  });

  it('refuses a credential signed for another chain id (replay), even though its signature is valid there', async () => {
    const foreign = await signTestCredential(issuer, credentialDomain(1, registry));
    expect(offChainFinding(foreign, null, now)).toBeNull();
    const f = offChainFinding(foreign, ours, now);
    expect(f).toEqual({ verdict: 'bad_signature', reason: expect.stringMatching(/Signed for chain id 1, .* chain id 31337: .*replay/) });
  });

  it('refuses a credential signed for another registry on the same chain (replay)', async () => {
    const other = await signTestCredential(issuer, credentialDomain(31337, '0xe7f1725E7734CE288F8367e1Bb143E90bb3F0512'));
    expect(offChainFinding(other, ours, now)?.reason).toMatch(/Signed for registry 0xe7f1725E7734CE288F8367e1Bb143E90bb3F0512, .* registry 0x5FbDB2315678afecb367f032d93F642f64180aa3/);
  });

  it('pretending a foreign credential was signed for our domain breaks the signature instead', async () => {
    const foreign = await signTestCredential(issuer, credentialDomain(1, registry));
    const relabelled = { ...foreign, domain: ours, hash: credentialDigest(ours, foreign.fields) };
    expect(offChainFinding(relabelled, ours, now)?.verdict).toBe('bad_signature');
  });

  it('checks in the documented order: NPI before signature before dates', () => {
    const bad = { ...good, fields: { ...good.fields, npi: '1234567890', validUntil: '2000-01-01' }, signature: `0x${'11'.repeat(65)}` };
    expect(offChainFinding(bad, ours, now)?.verdict).toBe('invalid_npi');
    expect(offChainFinding({ ...bad, fields: { ...bad.fields, npi: good.fields.npi } }, ours, now)?.verdict).toBe('bad_signature');
  });
});

describe('registryFinding', () => {
  it.each<[string, Partial<RegistryFacts>, string, RegExp]>([
    ['registered issuer, active, no registry expiry', {}, 'verified', /Signed by registered issuer .* active on the registry/],
    ['an issuer that is not (or no longer) registered', { issuerRegistered: false }, 'unknown_issuer', /is not registered \(or no longer registered\)/],
    ['a credential recorded under another issuer', { recordedIssuer: stranger.address }, 'unknown_issuer', /records this credential under issuer/],
    ['the zero address as recorded issuer (never written)', { recordedIssuer: '0x0000000000000000000000000000000000000000' }, 'verified', /./],
    ['revoked', { status: 3 }, 'revoked', /revoked/],
    ['suspended', { status: 2 }, 'suspended', /suspended/],
    ['never published', { status: 0 }, 'not_on_registry', /holds no status/],
    ['registry expiry passed', { expiresAt: Date.parse('2026-06-01T00:00:00Z') / 1000 }, 'expired', /expired since 2026-06-01/],
    ['registry expiry ahead', { expiresAt: expiresAtOf('2026-12-31') }, 'verified', /./],
    ['unknown issuer outranks revoked', { issuerRegistered: false, status: 3 }, 'unknown_issuer', /./],
  ])('%s', (_what, facts, verdict, reason) => {
    const f = registryFinding(good, { ...active, ...facts }, now);
    expect(f.verdict).toBe(verdict);
    expect(f.reason).toMatch(reason);
  });

  it('expiresAtOf gives the first second after the last valid day', () => {
    expect(new Date(expiresAtOf('2026-12-31') * 1000).toISOString()).toBe('2027-01-01T00:00:00.000Z');
  });
});

describe('local status and offline', () => {
  it.each<[string, 'suspended' | 'revoked' | 'active', string, string]>([
    ['a local revocation outranks an active registry status', 'revoked', 'verified', 'revoked'],
    ['a local suspension outranks an offline check', 'suspended', 'unverified_offline', 'suspended'],
    ['a local revocation outranks "not on registry"', 'revoked', 'not_on_registry', 'revoked'],
    ['a reinstatement changes nothing', 'active', 'verified', 'verified'],
    ['an expired credential stays expired', 'revoked', 'expired', 'expired'],
  ])('%s', (_what, status, before, after) => {
    const f = withLocalStatus({ verdict: before as never, reason: 'r' }, { status, reason: 'licence board notice', at: '2026-06-10T00:00:00.000Z' });
    expect(f.verdict).toBe(after);
    if (after !== before) expect(f.reason).toMatch(/at this workstation on 2026-06-10.*licence board notice/);
  });

  it('never says verified when the registry is unreachable, and says when it last was', () => {
    expect(offlineFinding('connect ECONNREFUSED', '2026-06-14T08:00:00.000Z')).toEqual({
      verdict: 'unverified_offline',
      reason: 'The registry could not be reached (connect ECONNREFUSED); last verified at 2026-06-14T08:00:00.000Z.',
    });
    expect(offlineFinding('x', null).reason).toMatch(/never verified/);
  });
});
