// The directory against a real SQLite file: the consent gate's rules and reasons, list filters with search and
// keyset pagination, a provider's trail, the expiring list, and status changes queued in the outbox.
import fs from 'node:fs';
import { Wallet } from 'ethers';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { worstVerdictOf, type CredentialType, type CredentialVerdict } from '../api/credentials';
import type { Db } from '../db/connection';
import { parseWith } from '../sync/plugin';
import { credentialStatusPayload } from './sync-plugin';
import { credentialDomain } from './eip712';
import { gateOf } from '../access/answers';
import { npiFromNine } from '../api/npi';
import { expiringCredentials, listProviders, providerDetail } from './queries';
import { writeSetting, SETTING_KEYS } from './settings';
import { changeCredentialStatus, issuerStatusSignatureFor } from './status-change';
import { credentialById, saveFinding } from './store';
import { openTestDb, signTestCredential, storeCredential, tempDir, TEST_NPIS } from './test-support';

const issuer = new Wallet('0x59c6995e998f97a5a0044966f0945389dc9e86dae88c7a8412f4603b6b78690d');
const ours = credentialDomain(31337, '0x5FbDB2315678afecb367f032d93F642f64180aa3');
const now = new Date('2026-06-15T12:00:00Z');
const hoursAgo = (h: number) => new Date(now.getTime() - h * 3_600_000).toISOString();
let dir: string;
let db: Db;

async function credentialFor(npi: string, opts: { validFrom?: string; validUntil?: string; type?: CredentialType; name?: string } = {}): Promise<number> {
  const c = await signTestCredential(issuer, ours, { npi, validFrom: opts.validFrom ?? '2024-01-01', validUntil: opts.validUntil ?? '2027-12-31', credentialType: opts.type ?? 'license' });
  return storeCredential(db, c, { name: opts.name ?? `Provider ${npi}` });
}
function judged(id: number, verdict: CredentialVerdict, checkedAt: string, reason = 'test finding') {
  saveFinding(db, id, { verdict, reason }, { checkedAt, trigger: 'bulk', actor: 'test' });
}

beforeAll(() => {
  dir = tempDir();
  db = openTestDb(dir);
});
afterAll(() => {
  db.close();
  fs.rmSync(dir, { recursive: true, force: true });
});

describe('the credential gate (access policy)', () => {
  it('does not gate organisation grantees', () => {
    expect(gateOf(db, 'org-general-hospital', now)).toMatchObject({ ok: true, kind: 'org', directory: null });
    expect(gateOf(db, '1234567893', now, { granteeKind: 'org' })).toMatchObject({ ok: true });
  });

  it('denies an invalid NPI and an NPI outside the directory, saying why', () => {
    expect(gateOf(db, '1234567890', now)).toMatchObject({ ok: false, code: 'NPI_INVALID', reason: 'Denied: the grantee NPI 1234567890 is not valid (NPI check digit is wrong).' });
    expect(gateOf(db, '1679576722', now)).toMatchObject({ ok: false, code: 'NPI_NOT_IN_DIRECTORY', directory: { listed: false }, reason: expect.stringContaining('NPI 1679576722 is not in the provider directory') });
  });

  it('follows each credential state to permit or deny', async () => {
    const npi = TEST_NPIS[1];
    const id = await credentialFor(npi);
    expect(gateOf(db, npi, now)).toMatchObject({ ok: false, reason: expect.stringMatching(/no verified, unexpired credential: Medical license US-CA A\d+ has not been verified yet/) });

    judged(id, 'verified', hoursAgo(2));
    expect(gateOf(db, npi, now)).toMatchObject({ ok: true, credentialId: id });
    // The decision engine passes unix seconds.
    expect(gateOf(db, npi, Math.floor(now.getTime() / 1000))).toMatchObject({ ok: true, credentialId: id });

    judged(id, 'unverified_offline', hoursAgo(1));
    expect(gateOf(db, npi, now)).toMatchObject({ ok: true });

    judged(id, 'verified', hoursAgo(30));
    expect(gateOf(db, npi, now)).toMatchObject({ ok: false, reason: expect.stringMatching(/was last verified at .*, too long ago: verify it again/) });
    expect(gateOf(db, npi, now, { maxAgeHours: 48 })).toMatchObject({ ok: true });
    writeSetting(db, SETTING_KEYS.gateMaxAgeHours, '72');
    expect(gateOf(db, npi, now)).toMatchObject({ ok: true });
    writeSetting(db, SETTING_KEYS.gateMaxAgeHours, '24');

    judged(id, 'revoked', hoursAgo(1), 'The registry marks this credential revoked.');
    expect(gateOf(db, npi, now)).toMatchObject({ ok: false, reason: expect.stringMatching(/is revoked \(The registry marks this credential revoked\.\)/) });

    // After its last day, even a fresh 'verified' does not count (the check was for another day).
    judged(id, 'verified', hoursAgo(1));
    expect(gateOf(db, npi, new Date('2028-01-01T00:00:00Z'), { maxAgeHours: 1e6 })).toMatchObject({ ok: false, reason: expect.stringMatching(/expired after 2027-12-31/) });
    expect(gateOf(db, npi, new Date('2023-06-01T00:00:00Z'), { maxAgeHours: 1e6 })).toMatchObject({ ok: false, reason: expect.stringMatching(/is not valid until 2024-01-01/) });
  });

  it('lets one good credential through among bad ones', async () => {
    const npi = TEST_NPIS[2];
    const bad = await credentialFor(npi, { type: 'dea_registration' });
    const good = await credentialFor(npi);
    judged(bad, 'suspended', hoursAgo(1));
    judged(good, 'verified', hoursAgo(1));
    expect(gateOf(db, npi, now)).toMatchObject({ ok: true, credentialId: good });
  });
});

describe('directory queries', () => {
  beforeAll(async () => {
    const names = ['adams', 'Baker', 'baxter', 'Carter', 'cole', 'Davis', 'Evans'];
    for (const [i, name] of names.entries()) {
      await credentialFor(npiFromNine(String(130_000_000 + i * 7919)), { name: `Dr ${name}`, validUntil: i === 0 ? '2026-07-01' : '2029-01-01' });
    }
  });

  it('pages through the directory in name order (case-insensitive) with a keyset cursor', () => {
    const seen: string[] = [];
    let cursor: string | undefined;
    for (let page = 0; page < 10; page++) {
      const r = listProviders(db, { limit: 3, cursor }, now);
      seen.push(...r.providers.map((p) => p.name));
      if (!r.nextCursor) break;
      cursor = r.nextCursor;
    }
    const all = listProviders(db, { limit: 500 }, now).providers.map((p) => p.name);
    expect(seen).toEqual(all);
    const drs = all.filter((n) => n.startsWith('Dr '));
    expect(drs).toEqual(['Dr adams', 'Dr Baker', 'Dr baxter', 'Dr Carter', 'Dr cole', 'Dr Davis', 'Dr Evans']);
  });

  it('searches by name prefix and NPI prefix, and filters by verdict and standing', () => {
    expect(listProviders(db, { limit: 50, search: 'dr ba' }, now).providers.map((p) => p.name)).toEqual(['Dr Baker', 'Dr baxter']);
    expect(listProviders(db, { limit: 50, search: 'dr %' }, now).providers.length).toBeGreaterThan(0); // % is dropped, not a wildcard
    expect(listProviders(db, { limit: 50, search: TEST_NPIS[2].slice(0, 6) }, now).providers.map((p) => p.npi)).toContain(TEST_NPIS[2]);
    const suspended = listProviders(db, { limit: 50, verdict: 'suspended' }, now).providers;
    expect(suspended.map((p) => p.npi)).toEqual([TEST_NPIS[2]]);
    expect(suspended[0]).toMatchObject({ credentials: 2, verified: 1, standing: 'verified' });
    expect(listProviders(db, { limit: 50, standing: 'unchecked' }, now).providers.every((p) => p.standing === 'unchecked')).toBe(true);
    expect(() => listProviders(db, { limit: 5, cursor: 'garbage' }, now)).toThrow(/cursor/);
  });

  it('lists each provider\'s credential verdicts, worst first, with reason and time checked', async () => {
    const npi = npiFromNine('177000001');
    const verified = await credentialFor(npi, { name: 'Dr Worst' });
    const unchecked = await credentialFor(npi, { type: 'board_certification' });
    const revoked = await credentialFor(npi, { type: 'dea_registration' });
    judged(verified, 'verified', hoursAgo(2), 'all good');
    judged(revoked, 'revoked', hoursAgo(1), 'The registry marks this credential revoked.');
    const p = listProviders(db, { limit: 50, search: npi }, now).providers[0]!;
    expect(p.worstVerdict).toBe('revoked');
    expect(p.credentialVerdicts.map((v) => [v.credentialId, v.verdict])).toEqual([
      [revoked, 'revoked'],
      [unchecked, null],
      [verified, 'verified'],
    ]);
    expect(p.credentialVerdicts[0]).toMatchObject({ type: 'dea_registration', reason: 'The registry marks this credential revoked.', checkedAt: hoursAgo(1) });
    // A provider whose credentials were never checked has no worst verdict.
    const fresh = npiFromNine('177000002');
    await credentialFor(fresh, { name: 'Dr Fresh' });
    expect(listProviders(db, { limit: 50, search: fresh }, now).providers[0]).toMatchObject({ worstVerdict: null, credentialVerdicts: [{ verdict: null, reason: null, checkedAt: null }] });
  });

  it.each([
    [[], null],
    [[null, null], null],
    [['verified', null], 'verified'],
    [['verified', 'unverified_offline'], 'unverified_offline'],
    [['expired', 'suspended', 'verified'], 'suspended'],
    [['not_yet_valid', 'not_on_registry'], 'not_on_registry'],
    [['suspended', 'unknown_issuer'], 'unknown_issuer'],
    [['invalid_npi', 'bad_signature'], 'bad_signature'],
    [['bad_signature', 'revoked', 'verified'], 'revoked'],
  ] as [(CredentialVerdict | null)[], CredentialVerdict | null][])('worstVerdictOf(%j) is %s', (verdicts, worst) => {
    expect(worstVerdictOf(verdicts)).toBe(worst);
  });

  it('lists credentials about to expire within the window, soonest first', () => {
    const r = expiringCredentials(db, 30, 100, now);
    expect(r).toMatchObject({ days: 30, asOf: '2026-06-15', total: 1 });
    expect(r.credentials[0]).toMatchObject({ providerName: 'Dr adams', validUntil: '2026-07-01', daysToExpiry: 16 });
    expect(expiringCredentials(db, 10, 100, now).total).toBe(0);
  });

  it("returns a provider with its credentials, flags and verification trail", () => {
    const d = providerDetail(db, { npi: TEST_NPIS[1] }, now, 30);
    expect(d.provider.npi).toBe(TEST_NPIS[1]);
    expect(d.credentials).toHaveLength(1);
    expect(d.credentials[0]!.check).toMatchObject({ verdict: 'verified', label: 'Verified' });
    expect(d.trail.map((t) => t.verdict)).toEqual(['verified', 'revoked', 'verified', 'unverified_offline', 'verified']);
    expect(() => providerDetail(db, { providerId: 99_999 }, now, 30)).toThrow(/no provider with id 99999/);
  });
});

describe('changeCredentialStatus', () => {
  it('queues one credential.status outbox event the sync engine accepts, and records who and why', async () => {
    const id = await credentialFor(TEST_NPIS[3]);
    const credential = credentialById(db, id)!;
    const signature = await issuerStatusSignatureFor(issuer, credential, 'suspended', now);
    // The workstation only relays the issuer's word: no signature, or one by another key, writes nothing.
    expect(() => changeCredentialStatus(db, id, 'suspended', 'board notice 2026-17', 'Records Manager', now, undefined)).toThrow(expect.objectContaining({ code: 'CREDENTIAL_STATUS_UNSIGNED' }));
    const byStranger = await issuerStatusSignatureFor(Wallet.createRandom(), credential, 'suspended', now);
    expect(() => changeCredentialStatus(db, id, 'suspended', 'board notice 2026-17', 'Records Manager', now, byStranger)).toThrow(expect.objectContaining({ code: 'CREDENTIAL_STATUS_UNSIGNED' }));
    expect(() => changeCredentialStatus(db, id, 'revoked', 'board notice 2026-17', 'Records Manager', now, signature)).toThrow(/does not recover to the credential's issuer/);
    const { outboxId } = changeCredentialStatus(db, id, 'suspended', 'board notice 2026-17', 'Records Manager', now, signature);
    const row = db.prepare('SELECT kind, payload, state FROM outbox WHERE id = ?').get(outboxId) as { kind: string; payload: string; state: string };
    expect(row).toMatchObject({ kind: 'credential.status', state: 'pending' });
    const parsed = parseWith(credentialStatusPayload, JSON.parse(row.payload));
    expect(parsed).toMatchObject({ ok: true, value: { status: 'suspended', expiresAt: 0, issuer: issuer.address } });
    // Hash, issuer and the issuer's signature only: no expiry date on chain (the document's validUntil is checked off chain).
    expect(row.payload).not.toMatch(/Provider|board notice|1830297600/);
    const detail = providerDetail(db, { npi: TEST_NPIS[3] }, now, 30);
    expect(detail.credentials[0]!.localStatus).toMatchObject({ status: 'suspended', reason: 'board notice 2026-17', actor: 'Records Manager', outboxState: 'pending' });
    expect(() => changeCredentialStatus(db, 424242, 'revoked', 'x', 'y', now, signature)).toThrow(/no credential with id 424242/);
  });
});
