// The access policy as an attacker meets it, through the real services (dispatcher, permissions, audit, SQLite):
// a stale credential, a break-glass without a reason and a lapsed agreement are refused by every question that
// could open a record (access.check, a release to a partner, a claim to a payer), by the one policy in main/access.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AccessDecision } from '../api/consents';
import type { ClaimCheckResult } from '../api/claims';
import type { Principal } from '../api/permissions';
import type { ReleaseRequestInput, ReleaseRequestView } from '../api/sharing';
import { seedProvider } from '../claims/test-support';
import { createAccessHandlers } from './handlers';
import type { RequestContext } from '../runtime/dispatcher';
import { silentLogger } from '../runtime/log';
import { startServices, type Services } from '../compose/services';
import { agreementFactsWith, insertAgreement, markTerminated } from '../sharing/store';
import { decide, decideReleaseRequest } from './answers';
import { breakGlassReasonOf, releaseDecision } from './policy';

const manager: Principal = { id: 'm1', name: 'Test Manager', role: 'records_manager' };
const NPI = '1234567893';
const PARTNER = 'STMARY';
const PAYER = 'PAYER-ACME';
const HOUR = 3_600_000;
let dir: string;
let services: Services;
let patientId: number;

async function ok<T>(channel: string, input: unknown): Promise<T> {
  const r = await services.call(channel, input, manager);
  if (!r.ok) throw new Error(`${channel}: ${r.error.code} ${r.error.message}`);
  return r.value as T;
}
const day = (offsetDays: number) => new Date(Date.now() + offsetDays * 24 * HOUR).toISOString().slice(0, 10);
const unix = (offsetDays: number) => Math.floor((Date.now() + offsetDays * 24 * HOUR) / 1000);
/** The credential's last verification, relative to the wall clock the services run on (the gate allows 24 h). */
const verifiedHoursAgo = (hours: number) => services.db.prepare(`UPDATE credentials SET last_verified_at = ? WHERE provider_id = (SELECT id FROM providers WHERE npi = ?)`).run(new Date(Date.now() - hours * HOUR).toISOString(), NPI);

const claim = (claimId: string) => ({ claim: { claimId, facility: 'GH01', mrn: 'MRN-AP', renderingNpi: NPI, payerId: PAYER, serviceDate: day(-1), codes: '99213', amount: '125.00' } });
const release = (over: Partial<ReleaseRequestInput> = {}): ReleaseRequestInput => ({ partnerOrgId: PARTNER, patientId, category: 'general', purpose: 'TREAT', ...over });

let agreementCounter = 0;
function agreement(validFrom: number, validUntil: number, partner = PARTNER): string {
  const id = `0x${(++agreementCounter).toString(16).padStart(64, '0')}`;
  insertAgreement(services.db, {
    id,
    our_role: 'A',
    partner_org_id: partner,
    partner_address: `0x${'44'.repeat(20)}`,
    our_address: `0x${'55'.repeat(20)}`,
    direction: 'outbound',
    categories: JSON.stringify(['general']),
    purposes: JSON.stringify(['TREAT']),
    valid_from: validFrom,
    valid_until: validUntil,
    document_hash: `0x${'66'.repeat(32)}`,
    terms_hash: `0x${'77'.repeat(32)}`,
    chain_id: 31337,
    contract: `0x${'88'.repeat(20)}`,
    our_signature: `0x${'99'.repeat(65)}`,
    partner_signature: `0x${'aa'.repeat(65)}`,
    status: 'active',
    chain_state: 'on-chain',
    created_at: new Date().toISOString(),
  });
  return id;
}

beforeAll(async () => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'custodian-access-'));
  services = await startServices({ dataDir: dir, runtime: 'cli', logger: silentLogger, config: { chain: { mode: 'none' } } });
  const base = { facility: 'GH01', mrn: 'MRN-AP', patientName: 'Roe, Jane', decision: 'permit', category: 'general', periodStart: '2020-01-01' };
  patientId = (await ok<{ patient: { id: number } }>('consents.grant', { ...base, grantee: NPI, granteeKind: 'npi', purpose: 'TREAT' })).patient.id;
  await ok('consents.grant', { ...base, grantee: PARTNER, granteeKind: 'org', purpose: 'TREAT' });
  await ok('consents.grant', { ...base, grantee: PAYER, granteeKind: 'org', purpose: 'HPAYMT' });
  seedProvider(services.db, NPI, { verdict: 'verified', validFrom: '2020-01-01', validUntil: '2099-12-31', verifiedAt: new Date().toISOString() });
});
afterAll(async () => {
  await services?.stop();
  fs.rmSync(dir, { recursive: true, force: true });
});

describe('attacker: a credential verified longer ago than the gate allows', () => {
  it('is refused by access.check, by a release naming the professional, and by a claim the provider renders', async () => {
    verifiedHoursAgo(30);
    const access = await ok<AccessDecision>('access.check', { grantee: NPI, patientId, purpose: 'TREAT', category: 'general' });
    expect(access).toMatchObject({ decision: 'deny', grantee: { gate: 'refused', code: 'NO_CURRENT_CREDENTIAL', reason: expect.stringMatching(/too long ago: verify it again/) } });

    const released = await ok<ReleaseRequestView>('sharing.request', release({ professionalNpi: NPI }));
    expect(released.decision).toBe('deny');
    expect(released.reasons).toContainEqual({ code: 'CREDENTIAL_NOT_VERIFIED', message: expect.stringMatching(/too long ago: verify it again/) });

    // Before the one policy, the claims pre-check called a credential verified whatever its age: this passed.
    const checked = await ok<ClaimCheckResult>('claims.check', claim('CLM-STALE'));
    expect(checked.verdict).toBe('fail');
    expect(checked.reasons).toEqual([{ code: 'CREDENTIAL_NOT_VERIFIED', message: expect.stringMatching(/Medical license CA A\d+: last verified at .*, too long ago: verify it again/) }]);
  });

  it('is accepted by all three once verified within the maximum age (the refusal was the age, nothing else)', async () => {
    verifiedHoursAgo(2);
    expect(await ok<AccessDecision>('access.check', { grantee: NPI, patientId, purpose: 'TREAT', category: 'general' })).toMatchObject({ decision: 'permit', grantee: { gate: 'passed' } });
    expect((await ok<ReleaseRequestView>('sharing.request', release({ professionalNpi: NPI }))).reasons.map((r) => r.code)).not.toContain('CREDENTIAL_NOT_VERIFIED');
    expect(await ok<ClaimCheckResult>('claims.check', claim('CLM-FRESH'))).toMatchObject({ verdict: 'pass', reasons: [] });
  });
});

describe('attacker: break-glass without a reason', () => {
  it('is refused at every entry that takes one, and never opens a release or a claim', async () => {
    // The transports: access.check names the field; release and claim inputs have no break-glass at all.
    for (const reason of ['', '   ']) {
      expect(await services.call('access.check', { grantee: NPI, patientId, purpose: 'ETREAT', category: 'general', breakGlassReason: reason }, manager)).toMatchObject({
        ok: false,
        error: { code: 'VALIDATION_FAILED', message: expect.stringContaining('breakGlassReason') },
      });
    }
    expect(await services.call('sharing.request', { ...release(), breakGlassReason: 'unconscious' }, manager)).toMatchObject({ ok: false, error: { code: 'VALIDATION_FAILED' } });
    expect(await services.call('claims.check', { ...claim('CLM-BG'), breakGlassReason: 'unconscious' }, manager)).toMatchObject({ ok: false, error: { code: 'VALIDATION_FAILED' } });

    // Past the schema (an in-process caller, a future transport): the handler hands the blank reason to the policy,
    // which refuses it, where it used to be dropped and the question answered as an ordinary one.
    const handlers = createAccessHandlers({ db: services.db });
    const ctx = { principal: manager, transport: 'cli', audit: () => undefined } as unknown as RequestContext;
    expect(() => handlers['access.check']({ grantee: NPI, patientId, purpose: 'ETREAT', category: 'general', breakGlassReason: '' }, ctx)).toThrow(expect.objectContaining({ code: 'BREAK_GLASS_REASON_REQUIRED' }));

    // The policy itself, for every question: no reason, or a purpose other than emergency treatment, is refused.
    expect(() => breakGlassReasonOf({ purpose: 'ETREAT', breakGlassReason: ' \t' })).toThrow(expect.objectContaining({ code: 'BREAK_GLASS_REASON_REQUIRED' }));
    expect(() => decide(services.db, { grantee: PARTNER, patientId, purpose: 'ETREAT', category: 'general', at: new Date(), breakGlassReason: '' })).toThrow(expect.objectContaining({ code: 'BREAK_GLASS_REASON_REQUIRED' }));
    expect(() => decide(services.db, { grantee: PAYER, patientId, purpose: 'HPAYMT', category: 'general', at: new Date(), breakGlassReason: 'need it' })).toThrow(expect.objectContaining({ code: 'BREAK_GLASS_PURPOSE' }));
    // A break-glass consent answer with a reason still never opens a release.
    const glass = decide(services.db, { grantee: PARTNER, patientId, purpose: 'ETREAT', category: 'general', at: new Date(), breakGlassReason: 'cardiac arrest' });
    expect(glass).toMatchObject({ decision: 'permit', breakGlass: true });
    const id = agreement(unix(-30), unix(300), 'GLASSPARTNER');
    const viaGlass = releaseDecision({ partnerOrgId: 'GLASSPARTNER', category: 'general', purpose: 'TREAT', at: unix(0) }, agreementFactsWith(services.db, 'GLASSPARTNER'), glass, null);
    expect(viaGlass).toMatchObject({ decision: 'deny', agreementId: id, reasons: [{ code: 'CONSENT_DENIED' }] });
  });
});

describe('attacker: a release under an agreement that has lapsed', () => {
  const releases = () => (fs.existsSync(path.join(dir, 'releases')) ? fs.readdirSync(path.join(dir, 'releases')) : []);

  it('is refused when the agreement expired or was terminated, by the policy the request path calls, and nothing is written', async () => {
    const written = releases().length;
    const expired = agreement(unix(-400), unix(-1));
    const expiredAnswer = await ok<ReleaseRequestView>('sharing.request', release());
    expect(expiredAnswer).toMatchObject({ decision: 'deny', agreementId: expired, releasedHash: null });
    expect(expiredAnswer.reasons.map((r) => r.code)).toEqual(['AGREEMENT_EXPIRED']);

    const terminated = agreement(unix(-30), unix(300));
    markTerminated(services.db, terminated, 'partner', new Date().toISOString());
    const terminatedAnswer = await ok<ReleaseRequestView>('sharing.request', release());
    // Both agreements cover the request and neither is active: the one a person looks at first (the latest) is named.
    expect(terminatedAnswer).toMatchObject({ decision: 'deny', agreementId: terminated, releasedHash: null });
    expect(terminatedAnswer.reasons.map((r) => r.code)).toEqual(['AGREEMENT_TERMINATED']);
    // The stored answer is the policy's answer over the same facts: one code path decides.
    const policy = decideReleaseRequest(services.db, release(), new Date(), agreementFactsWith(services.db, release().partnerOrgId));
    expect(policy).toMatchObject({ decision: 'deny', agreementId: terminatedAnswer.agreementId, reasons: terminatedAnswer.reasons });
    expect(releases()).toHaveLength(written);

    // Control: an active agreement in its period, and the same request is released.
    agreement(unix(-1), unix(300));
    const permitted = await ok<ReleaseRequestView>('sharing.request', release());
    expect(permitted).toMatchObject({ decision: 'permit', reasons: [], releasedHash: expect.stringMatching(/^[0-9a-f]{64}$/) });
    expect(releases()).toHaveLength(written + 1);
  });
});
