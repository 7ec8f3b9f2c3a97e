// decideRelease, table-driven: every combination of agreement state, scope, consent and credential gives the
// decision and the full list of reasons.
import { describe, expect, it } from 'vitest';
import { decideRelease, type AgreementFacts, type ReleaseContext, type ReleaseRequestFacts } from './agreement-rule';

const NOW = 1_800_000_000;
const agreement = (o: Partial<AgreementFacts> = {}): AgreementFacts => ({
  id: `0x${'a'.repeat(64)}`,
  partnerOrgId: 'STMARY',
  direction: 'outbound',
  categories: ['general', 'HIV'],
  purposes: ['TREAT'],
  validFrom: NOW - 1000,
  validUntil: NOW + 1000,
  bothSigned: true,
  terminated: false,
  ...o,
});
const request = (o: Partial<ReleaseRequestFacts> = {}): ReleaseRequestFacts => ({ partnerOrgId: 'STMARY', category: 'general', purpose: 'TREAT', at: NOW, ...o });
const PERMIT = { decision: 'permit' as const, breakGlass: false, reason: 'Permitted by a consent in force.' };
const DENY = { decision: 'deny' as const, breakGlass: false, reason: 'Denied: no consent on file.' };
const ctx = (o: Partial<ReleaseContext> = {}): ReleaseContext => ({ agreements: [agreement()], consent: PERMIT, credential: null, ...o });

describe('decideRelease', () => {
  it.each<[string, ReleaseRequestFacts, ReleaseContext, string[]]>([
    ['active agreement, consent permits', request(), ctx(), []],
    ['direction both also shares', request(), ctx({ agreements: [agreement({ direction: 'both' })] }), []],
    ['verified professional', request({ professionalNpi: '1234567893' }), ctx({ credential: { ok: true } }), []],
    ['no agreement with this partner', request({ partnerOrgId: 'OTHER' }), ctx(), ['AGREEMENT_MISSING']],
    ['no agreements at all, consent denies', request(), ctx({ agreements: [], consent: DENY }), ['AGREEMENT_MISSING', 'CONSENT_DENIED']],
    ['proposed, not signed by both', request(), ctx({ agreements: [agreement({ bothSigned: false })] }), ['AGREEMENT_NOT_SIGNED']],
    ['expired', request({ at: NOW + 1000 }), ctx(), ['AGREEMENT_EXPIRED']],
    ['expired and never signed', request({ at: NOW + 5000 }), ctx({ agreements: [agreement({ bothSigned: false })] }), ['AGREEMENT_EXPIRED', 'AGREEMENT_NOT_SIGNED']],
    ['not yet valid', request({ at: NOW - 1001 }), ctx(), ['AGREEMENT_NOT_YET_VALID']],
    ['terminated (even if expired too)', request({ at: NOW + 5000 }), ctx({ agreements: [agreement({ terminated: true })] }), ['AGREEMENT_TERMINATED']],
    ['category outside scope', request({ category: 'genetic' }), ctx(), ['AGREEMENT_SCOPE']],
    ['purpose outside scope', request({ purpose: 'HRESCH' }), ctx(), ['AGREEMENT_SCOPE']],
    ['inbound-only agreement does not let us share', request(), ctx({ agreements: [agreement({ direction: 'inbound' })] }), ['AGREEMENT_SCOPE']],
    ['consent denies', request(), ctx({ consent: DENY }), ['CONSENT_DENIED']],
    ['break-glass never counts for a release', request(), ctx({ consent: { ...PERMIT, breakGlass: true } }), ['CONSENT_DENIED']],
    ['credential not verified', request({ professionalNpi: '1234567893' }), ctx({ credential: { ok: false, reason: 'Denied: NPI 1234567893 has no credentials on file.' } }), ['CREDENTIAL_NOT_VERIFIED']],
    [
      'everything fails at once',
      request({ professionalNpi: '1234567893' }),
      ctx({ agreements: [agreement({ terminated: true })], consent: DENY, credential: { ok: false, reason: 'no credential' } }),
      ['AGREEMENT_TERMINATED', 'CONSENT_DENIED', 'CREDENTIAL_NOT_VERIFIED'],
    ],
    ['an active agreement beside a terminated one is enough', request(), ctx({ agreements: [agreement({ terminated: true, id: `0x${'b'.repeat(64)}` }), agreement()] }), []],
  ])('%s', (_name, r, c, codes) => {
    const d = decideRelease(r, c);
    expect(d.reasons.map((x) => x.code)).toEqual(codes);
    expect(d.decision).toBe(codes.length === 0 ? 'permit' : 'deny');
  });

  it('explains: consent reason carried over, scope gap named, the active agreement reported', () => {
    expect(decideRelease(request(), ctx({ consent: DENY })).reasons[0]!.message).toContain('Denied: no consent on file.');
    expect(decideRelease(request({ category: 'genetic' }), ctx()).reasons[0]!.message).toContain('category genetic is not covered');
    expect(decideRelease(request(), ctx()).agreementId).toBe(`0x${'a'.repeat(64)}`);
    expect(decideRelease(request({ partnerOrgId: 'OTHER' }), ctx()).agreementId).toBeNull();
  });
});
