// The provider roster CSV: its columns, the header check, and the validation of one row into a provider and
// (optionally) one signed credential, each problem naming the column and the reason. Pure, table-tested.
import { bidiProblem } from '../api/display-text';
import { getAddress } from 'ethers';
import { AppError } from '../api/errors';
import { normalizeHeaderName } from '../imports/csv-header';
import { MAX_COLUMNS } from '../imports/csv-source';
import { checkCredentialFields, SIGNATURE_PATTERN, type RawFields } from './document';
import { credentialDigest, credentialDomain, recoverSigner, sameDomain, type CredentialDomain, type CredentialFields } from './eip712';
import { npiProblem } from '../api/npi';
import type { NewProvider } from './store';

/** One row per credential; a provider with no credential has its credential cells empty. */
export const ROSTER_COLUMNS = [
  'npi',
  'name',
  'organization',
  'specialty',
  'credential_type',
  'jurisdiction',
  'number',
  'valid_from',
  'valid_until',
  'issuer',
  'signature',
  'chain_id',
  'registry',
] as const;
export type RosterColumn = (typeof ROSTER_COLUMNS)[number];

const PROVIDER_REQUIRED: RosterColumn[] = ['npi', 'name'];
const CREDENTIAL_REQUIRED: RosterColumn[] = ['credential_type', 'jurisdiction', 'number', 'valid_from', 'valid_until', 'issuer', 'signature'];

const COLUMN_OF_FIELD: Record<keyof CredentialFields, RosterColumn> = {
  npi: 'npi',
  credentialType: 'credential_type',
  jurisdiction: 'jurisdiction',
  number: 'number',
  validFrom: 'valid_from',
  validUntil: 'valid_until',
  issuer: 'issuer',
};

export interface RosterHeader {
  names: string[];
  index: Partial<Record<RosterColumn, number>>;
  ignored: string[];
  hasCredentials: boolean;
}

/** Maps the header; throws ROSTER_HEADER_MISSING / ROSTER_HEADER_DUPLICATE / ROSTER_HEADER_TOO_WIDE naming the column. */
export function mapRosterHeader(fields: string[]): RosterHeader {
  if (fields.length === 0) throw new AppError('IMPORT_FILE_EMPTY', 'The roster is empty: expected a header line and provider rows.');
  if (fields.length > MAX_COLUMNS) throw new AppError('ROSTER_HEADER_TOO_WIDE', `The header has ${fields.length} columns; at most ${MAX_COLUMNS} are allowed.`);
  const index: Partial<Record<RosterColumn, number>> = {};
  const ignored: string[] = [];
  fields.forEach((raw, i) => {
    const name = normalizeHeaderName(raw) as RosterColumn;
    if (!(ROSTER_COLUMNS as readonly string[]).includes(name)) {
      ignored.push(raw);
      return;
    }
    if (index[name] !== undefined) throw new AppError('ROSTER_HEADER_DUPLICATE', `The header names column ${name} twice (columns ${index[name]! + 1} and ${i + 1}).`, { column: name });
    index[name] = i;
  });
  const hasCredentials = CREDENTIAL_REQUIRED.some((c) => index[c] !== undefined);
  const missing = [...PROVIDER_REQUIRED, ...(hasCredentials ? CREDENTIAL_REQUIRED : [])].filter((c) => index[c] === undefined);
  if (missing.length) {
    throw new AppError('ROSTER_HEADER_MISSING', `The roster header is missing column${missing.length > 1 ? 's' : ''} ${missing.join(', ')}. Expected: ${ROSTER_COLUMNS.join(', ')}.`, {
      missing,
      expected: [...ROSTER_COLUMNS],
    });
  }
  return { names: fields, index, ignored, hasCredentials };
}

export interface RosterProblem {
  column: string;
  reason: string;
}

export interface RosterCredential {
  fields: CredentialFields;
  domain: CredentialDomain;
  signature: string;
  hash: string;
}

export type RosterRowResult = { ok: true; provider: NewProvider; credential: RosterCredential | null } | { ok: false; problems: RosterProblem[] };

const PLAIN_TEXT = /^[^\u0000-\u001f\u007f]*$/;

export function optionalText(value: string | undefined, column: string, max: number, problems: RosterProblem[]): string | null {
  const v = value?.trim() ?? '';
  if (v === '') return null;
  if (v.length > max) problems.push({ column, reason: `is longer than ${max} characters` });
  else if (!PLAIN_TEXT.test(v)) problems.push({ column, reason: 'holds control characters' });
  else {
    const bidi = bidiProblem(v);
    if (bidi) problems.push({ column, reason: bidi });
  }
  return v;
}

/**
 * Validates one roster row. `expected` is this workstation's registry domain when known: a credential signed for
 * another one is refused, and a row without chain_id/registry is taken to be signed for it.
 */
export function validateRosterRow(cells: readonly string[], header: RosterHeader, expected: CredentialDomain | null): RosterRowResult {
  const cell = (c: RosterColumn): string | undefined => (header.index[c] === undefined ? undefined : cells[header.index[c]!]);
  const problems: RosterProblem[] = [];
  const npi = cell('npi')?.trim() ?? '';
  if (npi === '') problems.push({ column: 'npi', reason: 'is missing' });
  else {
    const p = npiProblem(npi);
    if (p) problems.push({ column: 'npi', reason: p });
  }
  const name = optionalText(cell('name'), 'name', 200, problems);
  if (name === null) problems.push({ column: 'name', reason: 'is missing' });
  const organization = optionalText(cell('organization'), 'organization', 200, problems);
  const specialty = optionalText(cell('specialty'), 'specialty', 200, problems);

  let credential: RosterCredential | null = null;
  const filled = CREDENTIAL_REQUIRED.filter((c) => (cell(c)?.trim() ?? '') !== '');
  if (header.hasCredentials && filled.length > 0) {
    for (const c of CREDENTIAL_REQUIRED) if (!filled.includes(c)) problems.push({ column: c, reason: 'is missing (a credential needs all of credential_type, jurisdiction, number, valid_from, valid_until, issuer, signature)' });
    const raw: RawFields = {
      npi,
      credentialType: cell('credential_type')?.trim(),
      jurisdiction: cell('jurisdiction'),
      number: cell('number'),
      validFrom: cell('valid_from')?.trim(),
      validUntil: cell('valid_until')?.trim(),
      issuer: cell('issuer')?.trim(),
    };
    const checked = checkCredentialFields(raw);
    if (!checked.ok) {
      // Missing cells and the NPI were reported above.
      for (const p of checked.problems) {
        const column = COLUMN_OF_FIELD[p.field as keyof CredentialFields];
        if (column !== 'npi' && p.reason !== 'is missing') problems.push({ column, reason: p.reason });
      }
    }
    const signature = cell('signature')?.trim() ?? '';
    if (signature !== '' && !SIGNATURE_PATTERN.test(signature)) problems.push({ column: 'signature', reason: 'must be a 0x-prefixed 65-byte hex signature' });
    const domain = rowDomain(cell('chain_id')?.trim() ?? '', cell('registry')?.trim() ?? '', expected, problems);
    if (checked.ok && domain && problems.length === 0) {
      if (expected && !sameDomain(domain, expected)) {
        const column = domain.chainId !== expected.chainId ? 'chain_id' : 'registry';
        problems.push({ column, reason: `the credential was signed for ${column === 'chain_id' ? `chain id ${domain.chainId}` : `registry ${domain.verifyingContract}`}, not this workstation's (${column === 'chain_id' ? `chain id ${expected.chainId}` : expected.verifyingContract}): refused as a replay` });
      } else {
        const hash = credentialDigest(domain, checked.fields);
        const signer = recoverSigner(hash, signature);
        if (signer === null) problems.push({ column: 'signature', reason: 'is not a valid secp256k1 signature' });
        else if (signer.toLowerCase() !== checked.fields.issuer.toLowerCase()) {
          problems.push({ column: 'signature', reason: 'does not recover to the issuer: a field was changed after signing, or another key signed it' });
        } else credential = { fields: checked.fields, domain, signature: signature.toLowerCase(), hash };
      }
    }
  }
  if (problems.length) return { ok: false, problems };
  return { ok: true, provider: { npi, name: name!, organization, specialty }, credential };
}

function rowDomain(chainIdText: string, registryText: string, expected: CredentialDomain | null, problems: RosterProblem[]): CredentialDomain | null {
  if (chainIdText === '' && registryText === '') {
    if (expected) return expected;
    problems.push({ column: 'chain_id', reason: 'is missing, and no chain has been reached to take the registry from: give chain_id and registry' });
    return null;
  }
  const chainId = chainIdText === '' ? expected?.chainId : Number(chainIdText);
  if (chainId === undefined || !Number.isSafeInteger(chainId) || chainId <= 0) {
    problems.push({ column: 'chain_id', reason: chainIdText === '' ? 'is missing (registry is given)' : 'must be a positive whole number' });
    return null;
  }
  let registry = expected?.verifyingContract;
  if (registryText !== '') {
    try {
      registry = /^0x[0-9a-fA-F]{40}$/.test(registryText) ? getAddress(registryText) : undefined;
    } catch {
      registry = undefined;
    }
    if (!registry) {
      problems.push({ column: 'registry', reason: 'must be a 0x-prefixed 20-byte address (EIP-55 checksum if mixed case)' });
      return null;
    }
  }
  if (!registry) {
    problems.push({ column: 'registry', reason: 'is missing (chain_id is given)' });
    return null;
  }
  return credentialDomain(chainId, registry);
}

export function describeRosterProblems(problems: readonly RosterProblem[]): string {
  return problems.map((p) => `${p.column}: ${p.reason}`).join('; ');
}
