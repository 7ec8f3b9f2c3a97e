// Service-code well-formedness for claim pre-checks: CPT, HCPCS Level II and ICD-10-CM shapes, with the reason a
// code is not well-formed. Pure; precheck.ts reports each problem as MALFORMED_CODE naming the code.

export const CODE_SYSTEMS = ['CPT', 'HCPCS', 'ICD10'] as const;
export type CodeSystem = (typeof CODE_SYSTEMS)[number];

/** CPT: five digits (Category I), or four digits and F (Category II) or T (Category III). */
const CPT = /^(?:\d{5}|\d{4}[FT])$/;
/** HCPCS Level II: a letter and four digits. */
const HCPCS = /^[A-Z]\d{4}$/;
/** ICD-10-CM: letter, digit, alphanumeric, then an optional dot and up to four alphanumerics. */
const ICD10 = /^[A-Z]\d[A-Z0-9](?:\.?[A-Z0-9]{1,4})?$/;

const PATTERNS: Record<CodeSystem, RegExp> = { CPT, HCPCS, ICD10 };
const SHAPES: Record<CodeSystem, string> = {
  CPT: 'CPT is 5 digits, or 4 digits and F or T',
  HCPCS: 'HCPCS Level II is a letter and 4 digits',
  ICD10: 'ICD-10-CM is a letter, a digit, a letter or digit, then optionally a dot and up to 4 letters or digits',
};

/** A code as written in a claim: upper-cased and trimmed; an optional "CPT:", "HCPCS:" or "ICD10:" prefix names its system. */
export function normalizeCode(raw: string): string {
  return raw.trim().toUpperCase();
}

/** Why `code` is not well-formed, or null. Without a system prefix it must have the shape of one of the three. */
export function codeProblem(code: string): string | null {
  if (code.length === 0) return 'empty code';
  const colon = code.indexOf(':');
  if (colon >= 0) {
    const system = code.slice(0, colon) as CodeSystem;
    const body = code.slice(colon + 1);
    if (!(CODE_SYSTEMS as readonly string[]).includes(system)) return `unknown code system ${JSON.stringify(code.slice(0, colon))} (use CPT, HCPCS or ICD10)`;
    return PATTERNS[system].test(body) ? null : `${SHAPES[system]}`;
  }
  if (CPT.test(code) || HCPCS.test(code) || ICD10.test(code)) return null;
  if (/^\d+[A-Z]?$/.test(code)) return SHAPES.CPT;
  if (/^[A-Z]\d+$/.test(code)) return `${SHAPES.HCPCS}; ${SHAPES.ICD10}`;
  return `not a CPT, HCPCS Level II or ICD-10-CM code (${SHAPES.CPT}; ${SHAPES.HCPCS}; ${SHAPES.ICD10})`;
}
