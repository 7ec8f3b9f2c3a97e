// Roster header and row validation, table-driven: each bad cell refused with its column and reason, the signature
// checked against the issuer, and a credential signed for another chain or registry refused as a replay.
import { Wallet } from 'ethers';
import { beforeAll, describe, expect, it } from 'vitest';
import { AppError } from '../api/errors';
import type { SignedCredential } from './document';
import { credentialDomain } from './eip712';
import { mapRosterHeader, ROSTER_COLUMNS, validateRosterRow, type RosterHeader } from './roster';
import { signTestCredential } from './test-support';

const issuer = new Wallet('0x59c6995e998f97a5a0044966f0945389dc9e86dae88c7a8412f4603b6b78690d');
const ours = credentialDomain(31337, '0x5FbDB2315678afecb367f032d93F642f64180aa3');
let signed: SignedCredential;
const header: RosterHeader = mapRosterHeader([...ROSTER_COLUMNS]);

beforeAll(async () => {
  signed = await signTestCredential(issuer, ours, { number: 'MD-1', validFrom: '2024-01-01', validUntil: '2027-01-31' });
});

type Row = Partial<Record<(typeof ROSTER_COLUMNS)[number], string>>;
function cells(row: Row): string[] {
  const f = signed.fields;
  const base: Row = {
    npi: f.npi,
    name: 'Dr Ada Example',
    organization: 'General Hospital',
    specialty: 'Cardiology',
    credential_type: f.credentialType,
    jurisdiction: f.jurisdiction,
    number: f.number,
    valid_from: f.validFrom,
    valid_until: f.validUntil,
    issuer: f.issuer,
    signature: signed.signature,
    chain_id: '',
    registry: '',
  };
  const merged = { ...base, ...row };
  return ROSTER_COLUMNS.map((c) => merged[c] ?? '');
}

describe('mapRosterHeader', () => {
  it('maps the documented columns in any order and case, ignoring extras', () => {
    const h = mapRosterHeader(['NPI', 'Name', 'Credential Type', 'jurisdiction', 'number', 'valid-from', 'valid_until', 'issuer', 'signature', 'notes']);
    expect(h.index).toMatchObject({ npi: 0, name: 1, credential_type: 2, valid_from: 5 });
    expect(h.ignored).toEqual(['notes']);
    expect(h.hasCredentials).toBe(true);
  });

  it('accepts a providers-only roster', () => {
    expect(mapRosterHeader(['npi', 'name', 'specialty']).hasCredentials).toBe(false);
  });

  it.each([
    [['name', 'organization'], 'ROSTER_HEADER_MISSING', /missing column npi/],
    [['npi', 'name', 'signature'], 'ROSTER_HEADER_MISSING', /missing columns credential_type, jurisdiction, number, valid_from, valid_until, issuer/],
    [['npi', 'name', 'NPI'], 'ROSTER_HEADER_DUPLICATE', /names column npi twice \(columns 1 and 3\)/],
    [[], 'IMPORT_FILE_EMPTY', /empty/],
  ])('refuses %j', (fields, code, message) => {
    try {
      mapRosterHeader(fields);
      throw new Error('expected an error');
    } catch (err) {
      expect((err as AppError).code).toBe(code);
      expect((err as AppError).message).toMatch(message);
    }
  });
});

describe('validateRosterRow', () => {
  it('accepts a provider with a signed credential, taking the workstation registry as its domain', () => {
    const r = validateRosterRow(cells({}), header, ours);
    expect(r).toEqual({
      ok: true,
      provider: { npi: signed.fields.npi, name: 'Dr Ada Example', organization: 'General Hospital', specialty: 'Cardiology' },
      credential: { fields: signed.fields, domain: ours, signature: signed.signature, hash: signed.hash },
    });
  });

  it('accepts a provider row with no credential cells', () => {
    const r = validateRosterRow(cells({ credential_type: '', jurisdiction: '', number: '', valid_from: '', valid_until: '', issuer: '', signature: '' }), header, ours);
    expect(r).toMatchObject({ ok: true, credential: null });
  });

  it('accepts explicit chain_id and registry that match', () => {
    expect(validateRosterRow(cells({ chain_id: '31337', registry: ours.verifyingContract.toLowerCase() }), header, ours).ok).toBe(true);
  });

  it.each<[string, Row, string, RegExp]>([
    ['an invalid NPI', { npi: '1234567890' }, 'npi', /check digit is wrong/],
    ['a missing NPI', { npi: '' }, 'npi', /is missing/],
    ['a missing name', { name: ' ' }, 'name', /is missing/],
    ['a date in the wrong format', { valid_until: '31/01/2027' }, 'valid_until', /YYYY-MM-DD, got "31\/01\/2027"/],
    ['a credential missing its number', { number: '' }, 'number', /is missing \(a credential needs all of/],
    ['an unknown credential type', { credential_type: 'diploma' }, 'credential_type', /must be one of/],
    ['a tampered valid-until', { valid_until: '2099-01-31' }, 'signature', /does not recover to the issuer: a field was changed after signing/],
    ['a tampered number', { number: 'MD-2' }, 'signature', /does not recover to the issuer/],
    ['a signature of the wrong shape', { signature: '0xdeadbeef' }, 'signature', /65-byte hex/],
    ['another chain id (replay)', { chain_id: '1', registry: ours.verifyingContract }, 'chain_id', /signed for chain id 1, not this workstation's \(chain id 31337\): refused as a replay/],
    ['another registry (replay)', { chain_id: '31337', registry: '0xe7f1725E7734CE288F8367e1Bb143E90bb3F0512' }, 'registry', /signed for registry 0xe7f1725E7734CE288F8367e1Bb143E90bb3F0512/],
    ['a chain id that is not a number', { chain_id: 'main' }, 'chain_id', /positive whole number/],
    ['a control character in the name', { name: 'Dr\u0007X' }, 'name', /control characters/],
    ['a right-to-left override in the name (display spoofing)', { name: 'Dr Ada \u202Egnp.exe' }, 'name', /bidirectional control character \(U\+202E\)/],
    ['an isolate in the organization', { organization: 'General \u2067Hospital' }, 'organization', /bidirectional control character \(U\+2067\)/],
  ])('refuses %s', (_what, row, column, reason) => {
    const r = validateRosterRow(cells(row), header, ours);
    expect(r.ok).toBe(false);
    if (r.ok) return;
    expect(r.problems.find((p) => p.column === column)?.reason).toMatch(reason);
  });

  it('without a known registry, needs chain_id and registry on the row', () => {
    const r = validateRosterRow(cells({}), header, null);
    expect(r).toMatchObject({ ok: false, problems: [{ column: 'chain_id', reason: expect.stringMatching(/no chain has been reached/) }] });
    expect(validateRosterRow(cells({ chain_id: '31337', registry: ours.verifyingContract }), header, null).ok).toBe(true);
  });
});
