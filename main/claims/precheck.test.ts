// The pre-check rule with hand-made facts: every reason is reported (not only the first), with the code, the field
// and why; code shapes per system; the content hash is RFC 8785 and ignores the claim id and the code order.
import canonicalize from 'canonicalize';
import { describe, expect, it } from 'vitest';
import { codeProblem } from './codes';
import { canonicalClaim, claimContentHash, claimContentObject, dayNumber, type ClaimInput } from './model';
import { precheckClaim, type CheckableClaim, type ConsentAnswer, type CredentialFact, type PrecheckContext } from './precheck';

const NPI = '1234567893';
const base: ClaimInput = { claimId: 'CLM-1', facility: 'GH01', mrn: 'MRN-1', renderingNpi: NPI, payerId: 'PAYER-A', serviceDate: '2026-11-02', codes: ['99213', 'E11.9'], amountCents: 12_500 };
const claim = (over: Partial<ClaimInput> = {}): CheckableClaim => {
  const c = { ...base, ...over };
  return { ...c, contentHash: claimContentHash(c, '0xpseudonym') };
};
const license: CredentialFact = { label: 'Medical license CA A1', verdict: 'verified', verified: true, validFrom: '2025-01-01', validUntil: '2027-12-31' };
const permit: ConsentAnswer = { decision: 'permit', reason: 'Permitted by a consent in force.', details: [] };

function ctx(over: Partial<PrecheckContext> = {}): PrecheckContext {
  return { today: '2026-12-04', consent: () => permit, credentials: () => [license], claimIdTaken: () => false, contentTakenBy: () => null, ...over };
}

describe('precheckClaim', () => {
  it('passes a well-formed claim with consent, a verified credential and no duplicate', () => {
    expect(precheckClaim(claim(), ctx())).toEqual({ verdict: 'pass', reasons: [] });
  });

  const cases: Array<[string, Partial<ClaimInput>, Partial<PrecheckContext>, string[], RegExp]> = [
    ['consent denied', {}, { consent: () => ({ decision: 'deny', reason: 'Denied: no consent on file.', details: ['consent C-9: revoked: does not count'] }) }, ['CONSENT_DENIED'], /payer PAYER-A for payment \(HPAYMT\): Denied: no consent on file\. consent C-9: revoked/],
    ['provider not in directory', {}, { credentials: () => null }, ['CREDENTIAL_NOT_VERIFIED'], /not in the provider directory/],
    ['no credentials', {}, { credentials: () => [] }, ['CREDENTIAL_NOT_VERIFIED'], /no credentials on file/],
    ['credential revoked', {}, { credentials: () => [{ ...license, verdict: 'revoked', verified: false }] }, ['CREDENTIAL_NOT_VERIFIED'], /Medical license CA A1: revoked/],
    ['credential never checked', {}, { credentials: () => [{ ...license, verdict: null, verified: false }] }, ['CREDENTIAL_NOT_VERIFIED'], /never verified/],
    ['credential verified too long ago', {}, { credentials: () => [{ ...license, verified: false, staleSince: '2026-11-01T00:00:00.000Z' }] }, ['CREDENTIAL_NOT_VERIFIED'], /Medical license CA A1: last verified at 2026-11-01T00:00:00\.000Z, too long ago: verify it again/],
    ['credential not valid on the service date', { serviceDate: '2024-06-01' }, {}, ['CREDENTIAL_NOT_VALID_ON_SERVICE_DATE'], /covers the service date 2024-06-01 \(Medical license CA A1 valid 2025-01-01 to 2027-12-31\)/],
    ['duplicate claim id', {}, { claimIdTaken: () => true }, ['DUPLICATE_CLAIM_ID'], /Claim id CLM-1 was already submitted/],
    ['duplicate content', {}, { contentTakenBy: () => 'CLM-0' }, ['DUPLICATE_CONTENT'], /as claim CLM-0/],
    ['malformed code', { codes: ['99213', '9921', 'Z9'] }, {}, ['MALFORMED_CODE', 'MALFORMED_CODE'], /"9921" is malformed: CPT is 5 digits/],
    ['no codes', { codes: [] }, {}, ['MALFORMED_CODE'], /at least one service code/],
    ['zero amount', { amountCents: 0 }, {}, ['INVALID_AMOUNT'], /amount: must be more than 0\.00, got 0\.00/],
    ['negative amount', { amountCents: -500 }, {}, ['INVALID_AMOUNT'], /got -5\.00/],
    ['service date in the future', { serviceDate: '2026-12-05' }, { credentials: () => [license] }, ['SERVICE_DATE_IN_FUTURE'], /2026-12-05 is after today \(2026-12-04/],
    ['bad NPI check digit', { renderingNpi: '1234567890' }, {}, ['INVALID_NPI'], /rendering_npi: 1234567890 is not a valid NPI: NPI check digit is wrong/],
  ];
  it.each(cases)('fails on %s with the reason', (_name, over, facts, codes, message) => {
    const result = precheckClaim(claim(over), ctx(facts));
    expect(result.verdict).toBe('fail');
    expect(result.reasons.map((r) => r.code)).toEqual(codes);
    expect(result.reasons.map((r) => r.message).join('\n')).toMatch(message);
  });

  it('reports every reason at once, not only the first', () => {
    const result = precheckClaim(claim({ codes: ['ABC'], amountCents: 0, serviceDate: '2027-01-01' }), ctx({
      consent: () => ({ decision: 'deny', reason: 'Denied: no consent on file.', details: [] }),
      credentials: () => [{ ...license, verdict: 'suspended', verified: false }],
      claimIdTaken: () => true,
      contentTakenBy: () => 'CLM-7',
    }));
    expect(result.reasons.map((r) => r.code).sort()).toEqual(
      ['CONSENT_DENIED', 'CREDENTIAL_NOT_VERIFIED', 'DUPLICATE_CLAIM_ID', 'DUPLICATE_CONTENT', 'INVALID_AMOUNT', 'MALFORMED_CODE', 'SERVICE_DATE_IN_FUTURE'].sort(),
    );
    expect(result.reasons.find((r) => r.code === 'MALFORMED_CODE')?.subject).toBe('ABC');
  });

  it('does not look up credentials for an invalid NPI, and does not call its own content a duplicate', () => {
    let looked = false;
    const result = precheckClaim(claim({ renderingNpi: '12345' }), ctx({ credentials: () => ((looked = true), null), contentTakenBy: () => 'CLM-1' }));
    expect(looked).toBe(false);
    expect(result.reasons.map((r) => r.code)).toEqual(['INVALID_NPI']);
  });

  it('counts a credential verified before an offline re-check, and one of several covering the date', () => {
    const lapsed = { ...license, validFrom: '2020-01-01', validUntil: '2021-01-01' };
    expect(precheckClaim(claim(), ctx({ credentials: () => [lapsed, { ...license, verdict: 'unverified_offline' }] })).verdict).toBe('pass');
  });
});

describe('codeProblem', () => {
  const good = ['99213', '0001F', '0042T', 'J1100', 'E11.9', 'E119', 'S72.001A', 'A00', 'Z99.89', 'CPT:99213', 'HCPCS:J1100', 'ICD10:E11.9', 'cpt:99213'.toUpperCase()];
  it.each(good)('accepts %s', (code) => expect(codeProblem(code)).toBeNull());
  const bad: Array<[string, RegExp]> = [
    ['9921', /CPT is 5 digits/],
    ['992134', /CPT is 5 digits/],
    ['0001X', /CPT is 5 digits/],
    ['J1', /HCPCS Level II is a letter and 4 digits/],
    ['E11.12345', /not a CPT, HCPCS Level II or ICD-10-CM/],
    ['CPT:J1100', /CPT is 5 digits/],
    ['HCPCS:99213', /HCPCS Level II/],
    ['ICD10:99213', /ICD-10-CM is a letter/],
    ['LOINC:1234-5', /unknown code system "LOINC"/],
    ['', /empty code/],
  ];
  it.each(bad)('refuses %s', (code, why) => expect(codeProblem(code)).toMatch(why));
});

describe('content hash', () => {
  it('is SHA-256 of the RFC 8785 serialization, which matches the canonicalize package', () => {
    const c = { ...base, payerId: 'Payer "Ü" \u2028', codes: ['E11.9', '99213', 'J1100'] };
    expect(canonicalClaim(c, '0xabc')).toBe(canonicalize(claimContentObject(c, '0xabc')));
  });

  it('ignores the claim id and the order of codes, and changes with any content field', () => {
    const h = claimContentHash(base, '0xp');
    expect(claimContentHash({ ...base, claimId: 'OTHER', codes: ['E11.9', '99213'] }, '0xp')).toBe(h);
    for (const over of [{ amountCents: 12_501 }, { serviceDate: '2026-11-03' }, { payerId: 'PAYER-B' }, { renderingNpi: '1245319599' }, { codes: ['99213'] }]) {
      expect(claimContentHash({ ...base, ...over }, '0xp')).not.toBe(h);
    }
    expect(claimContentHash(base, '0xq')).not.toBe(h);
    expect(h).toMatch(/^0x[0-9a-f]{64}$/);
  });

  it('numbers days from 1970-01-01', () => {
    expect(dayNumber('1970-01-02')).toBe(1);
    expect(dayNumber('2000-01-01')).toBe(10_957);
  });
});
