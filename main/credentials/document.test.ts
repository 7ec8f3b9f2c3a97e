// The credential document and field rules: malformed JSON, missing and unknown fields, wrong date formats, bad
// addresses; each refused with CREDENTIAL_MALFORMED naming the field and the reason.
import { Wallet } from 'ethers';
import { beforeAll, describe, expect, it } from 'vitest';
import { AppError } from '../api/errors';
import { checkCredentialFields, credentialTypeOf, isoDateProblem, parseCredentialDocument, toCredentialDocument, type SignedCredential } from './document';
import { credentialDomain } from './eip712';
import { signTestCredential } from './test-support';

const issuer = new Wallet('0x59c6995e998f97a5a0044966f0945389dc9e86dae88c7a8412f4603b6b78690d');
const domain = credentialDomain(31337, '0x5FbDB2315678afecb367f032d93F642f64180aa3');
let signed: SignedCredential;
let doc: Record<string, unknown>;

beforeAll(async () => {
  signed = await signTestCredential(issuer, domain, { number: 'A-12345', validFrom: '2024-01-01', validUntil: '2026-12-31' });
  doc = toCredentialDocument(signed) as unknown as Record<string, unknown>;
});

function malformed(text: string): { field: string; reason: string }[] {
  try {
    parseCredentialDocument(text);
  } catch (err) {
    expect(err).toBeInstanceOf(AppError);
    expect((err as AppError).code).toBe('CREDENTIAL_MALFORMED');
    return ((err as AppError).details as { problems: { field: string; reason: string }[] }).problems;
  }
  throw new Error('expected CREDENTIAL_MALFORMED');
}

const withCredential = (patch: Record<string, unknown>) => JSON.stringify({ ...doc, credential: { ...(doc.credential as object), ...patch } });

describe('parseCredentialDocument', () => {
  it('reads back what the issuer tool wrote, recomputing the hash', () => {
    const parsed = parseCredentialDocument(JSON.stringify(doc));
    expect(parsed).toEqual(signed);
    expect(parseCredentialDocument(JSON.stringify({ ...doc, hash: '0xnot-trusted' })).hash).toBe(signed.hash);
  });

  it('refuses text that is not JSON', () => {
    expect(malformed('{"format": "custodian-credential/1",')).toEqual([{ field: '(document)', reason: 'is not valid JSON' }]);
  });

  it.each([
    ['a missing signature', () => JSON.stringify({ ...doc, signature: undefined }), 'signature', 'is missing'],
    ['a missing domain', () => JSON.stringify({ ...doc, domain: undefined }), 'domain', 'is missing'],
    ['a missing chain id', () => JSON.stringify({ ...doc, domain: { ...(doc.domain as object), chainId: undefined } }), 'domain.chainId', 'is missing'],
    ['a missing NPI', () => withCredential({ npi: undefined }), 'credential.npi', 'is missing'],
    ['a missing valid-until', () => withCredential({ validUntil: undefined }), 'credential.validUntil', 'is missing'],
    ['a date written 12/31/2026', () => withCredential({ validUntil: '12/31/2026' }), 'credential.validUntil', 'must be a date written YYYY-MM-DD, got "12/31/2026"'],
    ['a date that does not exist', () => withCredential({ validFrom: '2024-02-30' }), 'credential.validFrom', '2024-02-30 is not a calendar date'],
    ['dates in the wrong order', () => withCredential({ validFrom: '2027-01-01' }), 'credential.validUntil', '2026-12-31 is before validFrom 2027-01-01'],
    ['an unknown credential type', () => withCredential({ credentialType: 'diploma' }), 'credential.credentialType', 'must be one of'],
    ['a short issuer address', () => withCredential({ issuer: '0x1234' }), 'credential.issuer', 'must be a 0x-prefixed 20-byte address'],
    ['a wrong EIP-55 checksum', () => withCredential({ issuer: issuer.address.replace(/[a-f]/, (c) => c.toUpperCase()) }), 'credential.issuer', 'EIP-55'],
    ['a number field as a number', () => withCredential({ number: 12345 }), 'credential.number', 'must be a string, got number'],
    ['an unsigned extra field', () => withCredential({ holderName: 'Dr X' }), 'credential.holderName', 'not a credential field'],
    ['a truncated signature', () => JSON.stringify({ ...doc, signature: signed.signature.slice(0, 100) }), 'signature', '65-byte hex signature'],
    ['another document format', () => JSON.stringify({ ...doc, format: 'vc/2' }), 'format', 'custodian-credential/1'],
    ['another domain name', () => JSON.stringify({ ...doc, domain: { ...(doc.domain as object), name: 'Other' } }), 'domain.name', 'Custodian Credential'],
  ])('refuses %s', (_what, make, field, reason) => {
    const problems = malformed(make());
    expect(problems.find((p) => p.field === field)?.reason).toContain(reason);
  });

  it('names every problem at once', () => {
    const problems = malformed(withCredential({ npi: '12', validFrom: '2024-1-1', jurisdiction: '' }));
    expect(problems.map((p) => p.field).sort()).toEqual(['credential.jurisdiction', 'credential.npi', 'credential.validFrom']);
  });
});

describe('field rules', () => {
  it.each([
    ['2024-01-01', null],
    ['2024-02-29', null],
    ['2023-02-29', '2023-02-29 is not a calendar date'],
    ['2024-13-01', '2024-13-01 is not a calendar date'],
    ['20240101', 'must be a date written YYYY-MM-DD, got "20240101"'],
    ['2024-01-01T00:00:00Z', 'must be a date written YYYY-MM-DD, got "2024-01-01T00:00:00Z"'],
    ['1850-01-01', '1850-01-01 is outside 1900-2200'],
  ])('date %s', (value, problem) => expect(isoDateProblem(value)).toBe(problem));

  it.each([
    ['license', 'license'],
    ['Board-Certification', 'board_certification'],
    ['dea registration', 'dea_registration'],
    ['diploma', undefined],
  ])('type %s', (text, code) => expect(credentialTypeOf(text)).toBe(code));

  it('normalises the issuer to its checksummed form and keeps the other values as signed', () => {
    const r = checkCredentialFields({ ...signed.fields, issuer: issuer.address.toLowerCase() });
    expect(r).toEqual({ ok: true, fields: signed.fields });
    expect(checkCredentialFields({ ...signed.fields, jurisdiction: ' US-CA' })).toMatchObject({ ok: false, problems: [{ field: 'jurisdiction', reason: 'has leading or trailing spaces' }] });
  });
});
