// The pure policy with hand-made facts, table-driven: the one "verified" (maximum age, offline re-checks, lapses by
// date for a claim), the gate's codes, access.check's combination of consents, gate and break-glass, and releases.
import { describe, expect, it } from 'vitest';
import { accessDecision, consentDecision, credentialGate, providerCredentialStanding, releaseDecision, verifiedSince, type CredentialFact, type DecideResult, type GateResult } from './policy';

const AT = new Date('2026-06-01T12:00:00Z');
const cutoff24h = '2026-05-31T12:00:00.000Z';
const cred = (over: Partial<CredentialFact> = {}): CredentialFact => ({
  id: 1,
  type: 'license',
  jurisdiction: 'CA',
  number: 'A1',
  valid_from: '2025-01-01',
  valid_until: '2027-12-31',
  verdict: 'verified',
  reason: null,
  last_verified_at: '2026-06-01T08:00:00.000Z',
  ...over,
});
const NPI = '1234567893';
const listed = (...credentials: CredentialFact[]) => ({ kind: 'npi' as const, grantee: NPI, credentials: { directory: 'listed' as const, providerName: 'Dr Test', credentials }, maxAgeHours: 24 });

describe('verifiedSince: the one definition of verified', () => {
  const cases: Array<[string, Partial<CredentialFact>, boolean, boolean]> = [
    ['verified recently', {}, true, true],
    ['verified exactly at the cutoff', { last_verified_at: cutoff24h }, true, true],
    ['verified a second too early', { last_verified_at: '2026-05-31T11:59:59.000Z' }, false, false],
    ['an offline re-check after a recent pass', { verdict: 'unverified_offline' }, true, true],
    ['an offline re-check, never verified', { verdict: 'unverified_offline', last_verified_at: null }, false, false],
    ['lapsed by date after a recent pass: only for a past day', { verdict: 'expired' }, false, true],
    ['revoked', { verdict: 'revoked' }, false, false],
    ['never checked', { verdict: null, last_verified_at: null }, false, false],
  ];
  it.each(cases)('%s', (_name, over, gate, claim) => {
    expect(verifiedSince(cred(over), cutoff24h)).toBe(gate);
    expect(verifiedSince(cred(over), cutoff24h, true)).toBe(claim);
  });
});

describe('credentialGate', () => {
  it('names each refusal with its code', () => {
    const code = (g: GateResult) => (g.ok ? 'ok' : g.code);
    expect(code(credentialGate({ kind: 'org', grantee: 'ACME' }, AT))).toBe('ok');
    expect(code(credentialGate({ kind: 'npi', grantee: '1234567890', credentials: { directory: 'unlisted' }, maxAgeHours: 24 }, AT))).toBe('NPI_INVALID');
    expect(code(credentialGate({ kind: 'npi', grantee: NPI, credentials: { directory: 'missing' }, maxAgeHours: 24 }, AT))).toBe('DIRECTORY_MISSING');
    expect(code(credentialGate({ kind: 'npi', grantee: NPI, credentials: { directory: 'unlisted' }, maxAgeHours: 24 }, AT))).toBe('NPI_NOT_IN_DIRECTORY');
    expect(code(credentialGate(listed(), AT))).toBe('NO_CREDENTIALS');
    expect(code(credentialGate(listed(cred()), AT))).toBe('ok');
    const stale = credentialGate(listed(cred({ last_verified_at: '2026-05-30T12:00:00.000Z' })), AT);
    expect(stale).toMatchObject({ ok: false, code: 'NO_CURRENT_CREDENTIAL', reason: expect.stringMatching(/last verified at 2026-05-30T12:00:00\.000Z, too long ago: verify it again/) });
    expect(credentialGate({ ...listed(cred({ last_verified_at: '2026-05-30T12:00:00.000Z' })), maxAgeHours: 72 }, AT)).toMatchObject({ ok: true, cached: { ageSeconds: 2 * 86400 } });
  });
});

describe('providerCredentialStanding (claims)', () => {
  it('applies the gate maximum age at check time, and says a stale pass needs verifying again', () => {
    const facts = { directory: 'listed' as const, providerName: 'Dr Test', credentials: [cred(), cred({ id: 2, number: 'B2', last_verified_at: '2026-05-01T00:00:00.000Z' }), cred({ id: 3, number: 'C3', verdict: 'expired', valid_until: '2026-05-15' })] };
    expect(providerCredentialStanding(facts, AT, 24)).toEqual([
      { label: 'Medical license CA A1', verdict: 'verified', verified: true, staleSince: null, validFrom: '2025-01-01', validUntil: '2027-12-31' },
      { label: 'Medical license CA B2', verdict: 'verified', verified: false, staleSince: '2026-05-01T00:00:00.000Z', validFrom: '2025-01-01', validUntil: '2027-12-31' },
      { label: 'Medical license CA C3', verdict: 'expired', verified: true, staleSince: null, validFrom: '2025-01-01', validUntil: '2026-05-15' },
    ]);
    expect(providerCredentialStanding({ directory: 'unlisted' }, AT, 24)).toBeNull();
    expect(providerCredentialStanding({ directory: 'missing' }, AT, 24)).toBeNull();
  });
});

describe('accessDecision: consents, gate and break-glass', () => {
  const permit: DecideResult = { decision: 'permit', breakGlass: false, reason: 'Permitted by a consent in force.', decidedBy: [{ consentId: 7, externalId: null, decision: 'permit', counts: true, why: 'permit in force' }] };
  const deny: DecideResult = { decision: 'deny', breakGlass: false, reason: 'Denied: no consent on file.', decidedBy: [] };
  const glass = consentDecision({ purpose: 'ETREAT', breakGlassReason: 'unconscious' }, 0, [], []);
  const passed = credentialGate(listed(cred()), AT);
  const stale = credentialGate(listed(cred({ last_verified_at: '2026-05-01T00:00:00.000Z' })), AT);
  const unlisted = credentialGate({ kind: 'npi', grantee: NPI, credentials: { directory: 'unlisted' }, maxAgeHours: 24 }, AT);
  const cases: Array<[string, DecideResult, GateResult, 'permit' | 'deny', boolean, RegExp]> = [
    ['consent permit, gate passed', permit, passed, 'permit', false, /^Permitted by a consent in force\.$/],
    ['consent permit, stale credential', permit, stale, 'deny', false, /too long ago.* The consents alone would permit: Permitted/],
    ['consent deny, gate passed', deny, passed, 'deny', false, /^Denied: no consent on file\.$/],
    ['break-glass over a stale credential', glass, stale, 'permit', true, /^Break-glass emergency access: unconscious\./],
    ['break-glass for an unlisted NPI', glass, unlisted, 'deny', false, /^Break-glass refused: NPI 1234567893 is not in the provider directory.*opened only for a grantee this workstation can identify\.$/],
  ];
  it.each(cases)('%s', (_name, consent, gate, decision, breakGlass, reason) => {
    const a = accessDecision(consent, gate);
    expect(a.answer).toMatchObject({ decision, breakGlass, reason: expect.stringMatching(reason) });
    expect(a.grantee.gate).toBe(gate.ok ? 'passed' : 'refused');
  });
});

describe('releaseDecision', () => {
  const agreement = { id: `0x${'a'.repeat(64)}`, partnerOrgId: 'STMARY', direction: 'outbound' as const, categories: ['general'], purposes: ['TREAT'], validFrom: 0, validUntil: 2_000_000_000, bothSigned: true, terminated: false };
  const request = { partnerOrgId: 'STMARY', category: 'general' as const, purpose: 'TREAT' as const, professionalNpi: NPI, at: 1_800_000_000 };
  const permit: DecideResult = { decision: 'permit', breakGlass: false, reason: 'Permitted by a consent in force.', decidedBy: [] };
  it('needs the professional to pass the same gate as access.check', () => {
    expect(releaseDecision(request, [agreement], permit, credentialGate(listed(cred()), AT))).toMatchObject({ decision: 'permit', reasons: [] });
    const stale = releaseDecision(request, [agreement], permit, credentialGate(listed(cred({ last_verified_at: '2026-05-01T00:00:00.000Z' })), AT));
    expect(stale).toMatchObject({ decision: 'deny', reasons: [{ code: 'CREDENTIAL_NOT_VERIFIED', message: expect.stringMatching(/too long ago/) }] });
  });
  it('is never opened by break-glass', () => {
    const glass = consentDecision({ purpose: 'ETREAT', breakGlassReason: 'unconscious' }, 0, [], []);
    expect(releaseDecision(request, [agreement], glass, null)).toMatchObject({ decision: 'deny', reasons: [{ code: 'CONSENT_DENIED' }] });
  });
  it('refuses a terminated or expired agreement', () => {
    expect(releaseDecision(request, [{ ...agreement, terminated: true }], permit, null).reasons.map((r) => r.code)).toEqual(['AGREEMENT_TERMINATED']);
    expect(releaseDecision(request, [{ ...agreement, validUntil: request.at }], permit, null).reasons.map((r) => r.code)).toEqual(['AGREEMENT_EXPIRED']);
  });
});
