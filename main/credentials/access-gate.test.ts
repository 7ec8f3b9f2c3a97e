// The credential gate inside the consent decision: access.check (main/access) denies an NPI grantee whose
// credentials are not verified, saying why, permits once one is, and leaves organisation grantees alone.
import { Wallet } from 'ethers';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AccessDecision } from '../api/consents';
import type { Principal } from '../api/permissions';
import { createAuditSink } from '../audit/api-sink';
import { createAccessHandlers } from '../access/handlers';
import { createConsentsHandlers } from '../consents/handlers';
import { testData, type TestData } from '../consents/test-support';
import { createDispatcher, type ApiHandlers } from '../runtime/dispatcher';
import { silentLogger } from '../runtime/log';
import { credentialDomain } from './eip712';
import { saveFinding } from './store';
import { signTestCredential, storeCredential } from './test-support';

const manager: Principal = { id: 'staff-1', name: 'Records Manager', role: 'records_manager' };
const NPI = '1679576722';
let t: TestData;
let patientId: number;
let call: <T>(channel: string, input: unknown) => Promise<{ ok: true; value: T } | { ok: false; error: { code: string; message: string } }>;

beforeAll(async () => {
  t = testData('custodian-gate-');
  const dispatch = createDispatcher({ ...createConsentsHandlers({ db: t.db, dataDir: t.dir }), ...createAccessHandlers({ db: t.db }) } as unknown as ApiHandlers, silentLogger, { audit: createAuditSink(t.db) });
  call = (channel, input) => dispatch(channel, input, { principal: manager, transport: 'browser' }) as never;
  const form = { facility: 'GH01', mrn: 'MRN-1', decision: 'permit', purpose: 'TREAT', category: 'general', periodStart: '2025-01-01' };
  const npiGrant = await call<{ patient: { id: number } }>('consents.grant', { ...form, grantee: NPI, granteeKind: 'npi' });
  if (!npiGrant.ok) throw new Error(npiGrant.error.message);
  patientId = npiGrant.value.patient.id;
  const orgGrant = await call('consents.grant', { ...form, grantee: 'gh-cardiology', granteeKind: 'org' });
  if (!orgGrant.ok) throw new Error(orgGrant.error.message);
});
afterAll(() => t?.cleanup());

const check = (grantee: string) => call<AccessDecision>('access.check', { grantee, patientId, purpose: 'TREAT', category: 'general' });

describe('access.check with the credential gate', () => {
  it('denies an NPI grantee with a permit but no credential on file, and says why', async () => {
    const r = await check(NPI);
    expect(r).toMatchObject({ ok: true, value: { decision: 'deny', reason: expect.stringMatching(/^Denied: NPI 1679576722 is not in the provider directory.* The consents alone would permit: Permitted by a consent in force\.$/) } });
    const entry = t.db.prepare(`SELECT outcome, details FROM audit_log WHERE action = 'access.check' ORDER BY id DESC LIMIT 1`).get() as { outcome: string; details: string };
    expect(entry.outcome).toBe('deny');
    expect(JSON.parse(entry.details)).toMatchObject({ credentialGate: 'denied', consentIds: [] });
  });

  it('denies while the credential is unverified or revoked, permits once verified', async () => {
    const c = await signTestCredential(Wallet.createRandom(), credentialDomain(31337, '0x5FbDB2315678afecb367f032d93F642f64180aa3'), { npi: NPI, validFrom: '2024-01-01', validUntil: '2099-12-31' });
    const id = storeCredential(t.db, c);
    expect(await check(NPI)).toMatchObject({ ok: true, value: { decision: 'deny', reason: expect.stringMatching(/has not been verified yet/) } });
    saveFinding(t.db, id, { verdict: 'revoked', reason: 'The registry marks this credential revoked.' }, { checkedAt: new Date().toISOString(), trigger: 'bulk', actor: 'test' });
    expect(await check(NPI)).toMatchObject({ ok: true, value: { decision: 'deny', reason: expect.stringMatching(/is revoked/) } });
    saveFinding(t.db, id, { verdict: 'verified', reason: 'ok' }, { checkedAt: new Date().toISOString(), trigger: 'bulk', actor: 'test' });
    expect(await check(NPI)).toMatchObject({ ok: true, value: { decision: 'permit', reason: 'Permitted by a consent in force.' } });
  });

  it('says a permit rests on the cached credential verdict, and how old it is at the time asked about', async () => {
    const verifiedAt = '2030-05-01T08:00:00.000Z';
    const row = t.db.prepare('SELECT c.id FROM credentials c JOIN providers p ON p.id = c.provider_id WHERE p.npi = ?').get(NPI) as { id: number };
    saveFinding(t.db, row.id, { verdict: 'verified', reason: 'ok' }, { checkedAt: verifiedAt, trigger: 'bulk', actor: 'test' });
    // Three hours and five minutes later (a fixed instant, no wall clock): the answer carries the verdict's age.
    const r = await call<AccessDecision>('access.check', { grantee: NPI, patientId, purpose: 'TREAT', category: 'general', at: '2030-05-01T11:05:00Z' });
    expect(r).toMatchObject({
      ok: true,
      value: {
        decision: 'permit',
        grantee: {
          kind: 'npi',
          directory: { listed: true },
          gate: 'passed',
          code: null,
          cachedVerdict: { credentialId: row.id, verdict: 'verified', lastVerifiedAt: verifiedAt, ageSeconds: 3 * 3600 + 5 * 60 },
          reason: expect.stringMatching(/verified at 2030-05-01T08:00:00\.000Z, 3 h 5 min before the time asked about\. This is the cached verdict/),
        },
      },
    });
    const entry = t.db.prepare(`SELECT details FROM audit_log WHERE action = 'access.check' ORDER BY id DESC LIMIT 1`).get() as { details: string };
    expect(JSON.parse(entry.details)).toMatchObject({ credentialVerdictAgeSeconds: 11_100 });
  });

  it('attacker: a clerk cannot break the glass for an NPI that is not in the provider directory (named reason, audited)', async () => {
    const stranger = '1245319599'; // a valid NPI that no roster ever listed
    const r = await call<AccessDecision>('access.check', { grantee: stranger, patientId, purpose: 'ETREAT', category: 'general', breakGlassReason: 'says it is urgent' });
    expect(r).toMatchObject({
      ok: true,
      value: { decision: 'deny', breakGlass: false, reason: expect.stringMatching(/^Break-glass refused: NPI 1245319599 is not in the provider directory/), grantee: { gate: 'refused', code: 'NPI_NOT_IN_DIRECTORY', directory: { listed: false } } },
    });
    const entry = t.db.prepare(`SELECT outcome, details FROM audit_log WHERE action = 'access.check' ORDER BY id DESC LIMIT 1`).get() as { outcome: string; details: string };
    expect(entry.outcome).toBe('deny');
    expect(JSON.parse(entry.details)).toMatchObject({ breakGlassRefused: 'NPI_NOT_IN_DIRECTORY', reason: 'says it is urgent' });
    // An invalid NPI is refused as such; a listed provider and an organisation still get emergency access.
    expect(await call<AccessDecision>('access.check', { grantee: '1245319598', patientId, purpose: 'ETREAT', category: 'general', breakGlassReason: 'urgent' })).toMatchObject({
      ok: true,
      value: { breakGlass: false, grantee: { code: 'NPI_INVALID' } },
    });
    expect(await call<AccessDecision>('access.check', { grantee: NPI, patientId, purpose: 'ETREAT', category: 'general', breakGlassReason: 'unconscious in ED' })).toMatchObject({
      ok: true,
      value: { decision: 'permit', breakGlass: true, grantee: { directory: { listed: true } } },
    });
    expect(await call<AccessDecision>('access.check', { grantee: 'gh-cardiology', patientId, purpose: 'ETREAT', category: 'general', breakGlassReason: 'unconscious in ED' })).toMatchObject({
      ok: true,
      value: { decision: 'permit', breakGlass: true, grantee: { kind: 'org', gate: 'not-gated' } },
    });
  });

  it('attacker: choosing ETREAT without asking for break-glass opens nothing', async () => {
    const r = await call<AccessDecision>('access.check', { grantee: 'gh-cardiology', patientId, purpose: 'ETREAT', category: 'general' });
    expect(r).toMatchObject({ ok: true, value: { decision: 'deny', breakGlass: false, reason: 'Denied: no consent on file.' } });
  });

  it('does not gate organisation grantees, nor a deny', async () => {
    expect(await check('gh-cardiology')).toMatchObject({ ok: true, value: { decision: 'permit' } });
    expect(await check('1245319599')).toMatchObject({ ok: true, value: { decision: 'deny', reason: 'Denied: no consent on file.' } });
  });
});
