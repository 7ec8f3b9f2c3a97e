// The signed credential document (JSON) an issuer hands out and `credentials verify FILE` reads, and the field
// rules shared with the roster import: each problem names the field and the reason, never echoing a key.
import { getAddress } from 'ethers';
import { z } from 'zod';
import { CREDENTIAL_TYPES, type CredentialType } from '../api/credentials';
import { AppError } from '../api/errors';
import { CREDENTIAL_DOMAIN_NAME, CREDENTIAL_DOMAIN_VERSION, credentialDigest, type CredentialDomain, type CredentialFields } from './eip712';

export const CREDENTIAL_DOCUMENT_FORMAT = 'custodian-credential/1';

export interface SignedCredential {
  domain: CredentialDomain;
  fields: CredentialFields;
  signature: string;
  /** The EIP-712 digest under `domain`. */
  hash: string;
}

export interface CredentialDocument {
  format: typeof CREDENTIAL_DOCUMENT_FORMAT;
  domain: CredentialDomain;
  credential: CredentialFields;
  signature: string;
  /** Informational: recomputed on every read, never trusted. */
  hash: string;
}

export interface FieldProblem {
  field: string;
  reason: string;
}

const ISO_DATE = /^(\d{4})-(\d{2})-(\d{2})$/;

/** Why `value` is not a calendar date written YYYY-MM-DD, or null when it is one. */
export function isoDateProblem(value: string): string | null {
  const m = ISO_DATE.exec(value);
  if (!m) return `must be a date written YYYY-MM-DD, got ${JSON.stringify(value.slice(0, 30))}`;
  const [y, mo, d] = [Number(m[1]), Number(m[2]), Number(m[3])];
  const date = new Date(Date.UTC(y, mo - 1, d));
  if (date.getUTCFullYear() !== y || date.getUTCMonth() !== mo - 1 || date.getUTCDate() !== d) return `${value} is not a calendar date`;
  if (y < 1900 || y > 2200) return `${value} is outside 1900-2200`;
  return null;
}

/** A type code from "license", "Board-Certification", "board certification"; undefined when unknown. */
export function credentialTypeOf(text: string): CredentialType | undefined {
  const code = text.trim().toLowerCase().replace(/[\s-]+/g, '_');
  return (CREDENTIAL_TYPES as readonly string[]).includes(code) ? (code as CredentialType) : undefined;
}

const TEXT_FIELD = /^[A-Za-z0-9][A-Za-z0-9 .\/-]*$/;

function textProblem(value: string, max: number): string | null {
  if (value.length === 0) return 'is required';
  if (value.length > max) return `is longer than ${max} characters`;
  if (value !== value.trim()) return 'has leading or trailing spaces';
  if (!TEXT_FIELD.test(value)) return 'may hold letters, digits, spaces, dot, slash and dash only';
  return null;
}

export type RawFields = Partial<Record<keyof CredentialFields, unknown>>;

/**
 * Checks the signed fields one by one (shape only: the NPI check digit is a verdict, not a format error).
 * Returns the fields with the type code and issuer address normalised, or the problems found.
 */
export function checkCredentialFields(raw: RawFields): { ok: true; fields: CredentialFields } | { ok: false; problems: FieldProblem[] } {
  const problems: FieldProblem[] = [];
  const str = (field: keyof CredentialFields): string | null => {
    const v = raw[field];
    if (v === undefined || v === null || v === '') {
      problems.push({ field, reason: 'is missing' });
      return null;
    }
    if (typeof v !== 'string') {
      problems.push({ field, reason: `must be a string, got ${typeof v}` });
      return null;
    }
    return v;
  };
  const npi = str('npi');
  if (npi !== null && !/^\d{10}$/.test(npi)) problems.push({ field: 'npi', reason: 'must be 10 digits' });
  const typeText = str('credentialType');
  const credentialType = typeText === null ? undefined : credentialTypeOf(typeText);
  if (typeText !== null && !credentialType) problems.push({ field: 'credentialType', reason: `must be one of ${CREDENTIAL_TYPES.join(', ')}` });
  const jurisdiction = str('jurisdiction');
  const jp = jurisdiction === null ? null : textProblem(jurisdiction, 32);
  if (jp) problems.push({ field: 'jurisdiction', reason: jp });
  const number = str('number');
  const np = number === null ? null : textProblem(number, 64);
  if (np) problems.push({ field: 'number', reason: np });
  const validFrom = str('validFrom');
  const vf = validFrom === null ? null : isoDateProblem(validFrom);
  if (vf) problems.push({ field: 'validFrom', reason: vf });
  const validUntil = str('validUntil');
  const vu = validUntil === null ? null : isoDateProblem(validUntil);
  if (vu) problems.push({ field: 'validUntil', reason: vu });
  if (validFrom && validUntil && !vf && !vu && validUntil < validFrom) problems.push({ field: 'validUntil', reason: `${validUntil} is before validFrom ${validFrom}` });
  const issuerText = str('issuer');
  let issuer: string | null = null;
  if (issuerText !== null) {
    if (!/^0x[0-9a-fA-F]{40}$/.test(issuerText)) problems.push({ field: 'issuer', reason: 'must be a 0x-prefixed 20-byte address' });
    else {
      try {
        issuer = getAddress(issuerText);
      } catch {
        problems.push({ field: 'issuer', reason: 'has a wrong mixed-case checksum (EIP-55)' });
      }
    }
  }
  if (problems.length) return { ok: false, problems };
  return { ok: true, fields: { npi: npi!, credentialType: credentialType!, jurisdiction: jurisdiction!, number: number!, validFrom: validFrom!, validUntil: validUntil!, issuer: issuer! } };
}

export const SIGNATURE_PATTERN = /^0x[0-9a-fA-F]{130}$/;

const domainSchema = z
  .object({
    name: z.literal(CREDENTIAL_DOMAIN_NAME, { message: `must be "${CREDENTIAL_DOMAIN_NAME}"` }),
    version: z.literal(CREDENTIAL_DOMAIN_VERSION, { message: `must be "${CREDENTIAL_DOMAIN_VERSION}"` }),
    chainId: z.number().int().positive().max(Number.MAX_SAFE_INTEGER),
    verifyingContract: z.string().regex(/^0x[0-9a-fA-F]{40}$/, 'must be a 0x-prefixed 20-byte address'),
  })
  .strict();

const documentShape = z
  .object({
    format: z.literal(CREDENTIAL_DOCUMENT_FORMAT, { message: `must be "${CREDENTIAL_DOCUMENT_FORMAT}"` }),
    domain: domainSchema,
    credential: z.record(z.string(), z.unknown()),
    signature: z.string().regex(SIGNATURE_PATTERN, 'must be a 0x-prefixed 65-byte hex signature'),
    hash: z.string().optional(),
  })
  .strict();

const KNOWN_FIELDS = new Set(['npi', 'credentialType', 'jurisdiction', 'number', 'validFrom', 'validUntil', 'issuer']);

function valueAt(root: unknown, path: PropertyKey[]): unknown {
  let cur = root;
  for (const key of path) cur = typeof cur === 'object' && cur !== null ? (cur as Record<PropertyKey, unknown>)[key] : undefined;
  return cur;
}

function zodReason(issue: z.core.$ZodIssue, root: unknown): string {
  if (issue.code === 'unrecognized_keys') return `has unexpected field(s) ${issue.keys.join(', ')}`;
  if (valueAt(root, issue.path) === undefined) return 'is missing';
  return issue.message;
}

function malformed(problems: FieldProblem[]): AppError {
  const text = problems.map((p) => `${p.field} ${p.reason}`).join('; ');
  return new AppError('CREDENTIAL_MALFORMED', `The credential is malformed: ${text}.`, { problems });
}

/** Parses a credential document; throws CREDENTIAL_MALFORMED naming every bad field. */
export function parseCredentialDocument(text: string): SignedCredential {
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (err) {
    throw new AppError('CREDENTIAL_MALFORMED', `The credential is not valid JSON: ${(err as Error).message}.`, { problems: [{ field: '(document)', reason: 'is not valid JSON' }] });
  }
  const shape = documentShape.safeParse(raw);
  if (!shape.success) {
    throw malformed(
      shape.error.issues.map((i) => ({
        field: i.path.map(String).join('.') || '(document)',
        reason: zodReason(i, raw),
      })),
    );
  }
  const doc = shape.data;
  const extra = Object.keys(doc.credential).filter((k) => !KNOWN_FIELDS.has(k));
  const checked = checkCredentialFields(doc.credential as RawFields);
  const problems = [
    ...(checked.ok ? [] : checked.problems.map((p) => ({ field: `credential.${p.field}`, reason: p.reason }))),
    ...extra.map((k) => ({ field: `credential.${k.slice(0, 40)}`, reason: 'is not a credential field (it would not be covered by the signature)' })),
  ];
  if (!checked.ok || problems.length) throw malformed(problems);
  let verifyingContract: string;
  try {
    verifyingContract = getAddress(doc.domain.verifyingContract);
  } catch {
    throw malformed([{ field: 'domain.verifyingContract', reason: 'has a wrong mixed-case checksum (EIP-55)' }]);
  }
  const domain: CredentialDomain = { name: CREDENTIAL_DOMAIN_NAME, version: CREDENTIAL_DOMAIN_VERSION, chainId: doc.domain.chainId, verifyingContract };
  return { domain, fields: checked.fields, signature: doc.signature.toLowerCase(), hash: credentialDigest(domain, checked.fields) };
}

export function toCredentialDocument(c: SignedCredential): CredentialDocument {
  return { format: CREDENTIAL_DOCUMENT_FORMAT, domain: c.domain, credential: c.fields, signature: c.signature, hash: c.hash };
}
