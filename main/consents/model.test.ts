// The consent model's pure parts: codes, periods, the canonical document hash (against the canonicalize
// package), pseudonyms and their secret, and the outbox payload (schema, ledger key, no PHI).
import { keccak256, toUtf8Bytes } from 'ethers';
import canonicalize from 'canonicalize';
import fc from 'fast-check';
import fs from 'node:fs';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { canonicalTerms, documentHashOf, normalizeDocumentHash, termsObject, type ConsentTerms } from './canonical';
import { CATEGORIES, categoryOf, PURPOSES, purposeOf } from './codes';
import { consentChangeJson, consentChangePayload, granteeHashOf, PURPOSE_HASHES, CATEGORY_HASHES } from './outbox-events';
import { formatEnd, formatStart, parseBound, parseCalendarDate, periodsOverlap } from './period';
import { facilitySecretPath, loadOrCreateFacilitySecret, Pseudonymizer } from './pseudonym';
import { tempDir } from './test-support';

const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) fs.rmSync(d, { recursive: true, force: true });
});

describe('codes', () => {
  it('look purposes and categories up case-insensitively and refuse unknown codes', () => {
    expect(purposeOf('treat')).toBe('TREAT');
    expect(purposeOf('HMARKT')).toBe('HMARKT');
    expect(purposeOf('TREATMENT')).toBeUndefined();
    expect(categoryOf('hiv')).toBe('HIV');
    expect(categoryOf('Mental-Health')).toBe('mental-health');
    expect(categoryOf('dental')).toBeUndefined();
    expect(PURPOSES).toHaveLength(7);
    expect(CATEGORIES).toHaveLength(6);
  });
});

describe('periods', () => {
  const day = (y: number, m: number, d: number) => Date.UTC(y, m - 1, d) / 1000;
  it.each([
    ['2024-02-29', 'start', day(2024, 2, 29)],
    ['2024-02-29', 'end', day(2024, 3, 1)],
    ['2024-12-31', 'end', day(2025, 1, 1)],
    ['2024-03-01T10:00:00Z', 'start', day(2024, 3, 1) + 36_000],
    ['2024-03-01T10:00:00Z', 'end', day(2024, 3, 1) + 36_001],
    ['2024-03-01T10:00:00+02:00', 'start', day(2024, 3, 1) + 28_800],
    ['2024-03-01T10:00:00.123-05:30', 'start', day(2024, 3, 1) + 36_000 + 19_800],
  ] as const)('%s as %s bound is %d', (text, edge, expected) => {
    expect(parseBound(text, edge)).toEqual({ ok: true, value: expected });
  });

  it.each([
    ['2024-02-30', /no such date/],
    ['2023-02-29', /no such date/],
    ['2024-13-01', /no such month/],
    ['2024-04-31', /no such date/],
    ['1899-12-31', /year out of range/],
    ['2024-03-01T10:00:00', /time zone/],
    ['2024-03-01T25:00:00Z', /no such time/],
    ['01/02/2024', /expected YYYY-MM-DD/],
    ['', /expected/],
  ])('refuses %j', (text, reason) => {
    const parsed = parseBound(text, 'start');
    expect(parsed.ok).toBe(false);
    if (!parsed.ok) expect(parsed.reason).toMatch(reason);
  });

  it('round-trips bounds through their text form', () => {
    fc.assert(
      fc.property(fc.integer({ min: -2_000_000_000, max: 4_000_000_000 }), (s) => {
        const start = parseBound(formatStart(s), 'start');
        const end = parseBound(formatEnd(s), 'end');
        return start.ok && start.value === s && end.ok && end.value === s;
      }),
    );
  });

  it('checks calendar dates and overlaps', () => {
    expect(parseCalendarDate('2000-02-29')).toEqual({ ok: true, value: '2000-02-29' });
    expect(parseCalendarDate('1900-02-29').ok).toBe(false);
    expect(periodsOverlap(0, 10, 10, 20)).toBe(false);
    expect(periodsOverlap(0, 11, 10, 20)).toBe(true);
    expect(periodsOverlap(0, null, 100, 200)).toBe(true);
    expect(periodsOverlap(300, null, 100, 200)).toBe(false);
  });
});

describe('document hash', () => {
  const terms = fc.record({
    patient: fc.string({ unit: 'binary' }),
    grantee: fc.string({ unit: 'binary' }),
    granteeKind: fc.constantFrom('npi' as const, 'org' as const),
    decision: fc.constantFrom('permit' as const, 'deny' as const),
    purpose: fc.constantFrom(...PURPOSES),
    category: fc.constantFrom(...CATEGORIES),
    periodStart: fc.integer({ min: -1e10, max: 1e10 }),
    periodEnd: fc.option(fc.integer({ min: -1e10, max: 1e10 }), { nil: null }),
  });

  it('serializes exactly as RFC 8785 (the canonicalize package) for any terms', () => {
    fc.assert(fc.property(terms, (t: ConsentTerms) => canonicalTerms(t) === canonicalize(termsObject(t))), { numRuns: 2000 });
  });

  it('is SHA-256 of the canonical form and normalizes given hashes', () => {
    const t: ConsentTerms = { patient: '0xabc', grantee: '1234567893', granteeKind: 'npi', decision: 'permit', purpose: 'TREAT', category: 'HIV', periodStart: 1, periodEnd: null };
    expect(documentHashOf(t)).toMatch(/^0x[0-9a-f]{64}$/);
    expect(documentHashOf(t)).toBe(documentHashOf({ ...t }));
    expect(documentHashOf(t)).not.toBe(documentHashOf({ ...t, category: 'genetic' }));
    expect(normalizeDocumentHash('AB'.repeat(32))).toBe(`0x${'ab'.repeat(32)}`);
    expect(normalizeDocumentHash(`0x${'ab'.repeat(32)}`)).toBe(`0x${'ab'.repeat(32)}`);
    expect(normalizeDocumentHash('ab'.repeat(31))).toBeNull();
  });
});

describe('pseudonyms', () => {
  it('creates the facility secret once, outside the database, readable only by its owner', () => {
    const dir = tempDir();
    dirs.push(dir);
    const first = loadOrCreateFacilitySecret(dir);
    const again = loadOrCreateFacilitySecret(dir);
    expect(first.equals(again)).toBe(true);
    expect(first).toHaveLength(32);
    const file = facilitySecretPath(dir);
    expect(path.relative(dir, file)).toBe(path.join('secrets', 'facility-secret'));
    if (process.platform !== 'win32') expect(fs.statSync(file).mode & 0o777).toBe(0o600);
    expect(fs.readdirSync(path.dirname(file))).toEqual(['facility-secret']);
  });

  it('refuses a damaged secret instead of silently changing every pseudonym', () => {
    const dir = tempDir();
    dirs.push(dir);
    fs.mkdirSync(path.join(dir, 'secrets'));
    fs.writeFileSync(facilitySecretPath(dir), 'not hex');
    expect(() => loadOrCreateFacilitySecret(dir)).toThrow(/FACILITY_SECRET_INVALID|not 32 bytes/);
  });

  it('is HMAC-SHA256(secret, facility 0x1f MRN): stable, keyed, and separated by facility', () => {
    const a = new Pseudonymizer(Buffer.alloc(32, 1));
    const b = new Pseudonymizer(Buffer.alloc(32, 2));
    expect(a.pseudonym('GH01', 'MRN1')).toMatch(/^0x[0-9a-f]{64}$/);
    expect(a.pseudonym('GH01', 'MRN1')).toBe(a.pseudonym('GH01', 'MRN1'));
    expect(a.pseudonym('GH01', 'MRN1')).not.toBe(b.pseudonym('GH01', 'MRN1'));
    expect(a.pseudonym('GH0', '1MRN1')).not.toBe(a.pseudonym('GH01', 'MRN1'));
  });
});

describe('outbox payload', () => {
  const source = {
    change: 'create' as const,
    consentId: 7,
    pseudonym: `0x${'ab'.repeat(32)}`,
    grantee: '1234567893',
    granteeKind: 'npi' as const,
    purpose: 'TREAT' as const,
    category: 'HIV' as const,
    hlc: '0000000000030001',
    decision: 'permit' as const,
    periodStart: 1_700_000_000,
    periodEnd: null,
    revoked: false,
    documentHash: `0x${'cd'.repeat(32)}`,
  };

  it('matches the exported schema and carries hashes only', () => {
    const payload = consentChangePayload.parse(JSON.parse(consentChangeJson(source)));
    expect(payload).toMatchObject({ v: 2, hlc: '0000000000030001', decision: 'permit', validFrom: 1_700_000_000, validUntil: 0, revoked: false, granteeKind: 'npi', grantee: '1234567893' });
    expect(payload.granteeHash).toBe(keccak256(toUtf8Bytes('npi:1234567893')));
    expect(payload.purposeHash).toBe(PURPOSE_HASHES.TREAT);
    expect(payload.categoryHash).toBe(CATEGORY_HASHES.HIV);
    expect(granteeHashOf('org', 'ACME')).toBe(keccak256(toUtf8Bytes('org:ACME')));
  });

  it('clamps periods before 1970 to what the ledger can hold', () => {
    const payload = JSON.parse(consentChangeJson({ ...source, periodStart: -100, periodEnd: -50 }));
    expect(payload).toMatchObject({ validFrom: 0, validUntil: 1 });
  });
});
