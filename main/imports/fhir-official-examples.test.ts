// The twelve official HL7 FHIR R4 (4.0.1) Consent examples, as published in the npm package hl7.fhir.r4.examples@4.0.1
// (fixtures/fhir-r4-consent-examples, unchanged): what each imports as, or why it is refused (the table in README.md).
// "Adapted" is what a facility would send: the same resource with its patient and actors given identifiers.
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { FHIR_SYSTEMS } from '../consents/codes';
import { consentToDrafts, type FhirMapping } from '../consents/fhir';

const dir = new URL('./fixtures/fhir-r4-consent-examples/', import.meta.url).pathname;
const load = (name: string): Record<string, unknown> => JSON.parse(fs.readFileSync(path.join(dir, `Consent-consent-example-${name}.json`), 'utf8')) as Record<string, unknown>;

/** Every literal reference gains an identifier: the patient's as an MRN of facility GH01, any other as an organization id. */
function adapt(resource: Record<string, unknown>): Record<string, unknown> {
  return JSON.parse(JSON.stringify(resource), (_k, v: unknown) => {
    if (!v || typeof v !== 'object' || Array.isArray(v)) return v;
    const ref = v as { reference?: unknown; identifier?: unknown };
    if (typeof ref.reference !== 'string' || ref.identifier) return v;
    const identifier = ref.reference.startsWith('Patient/') ? { system: `${FHIR_SYSTEMS.facilityPrefix}GH01`, value: ref.reference.slice(8) } : { system: FHIR_SYSTEMS.organization, value: ref.reference };
    return { ...ref, identifier };
  }) as Record<string, unknown>;
}

const summary = (m: FhirMapping) => (m.ok ? m.drafts.map((d) => `${d.decision} ${d.grantee} ${d.purpose}/${d.category}`) : m.reason);

const PATIENT_BY_REFERENCE = /^patient must carry an identifier/;
const cases: [name: string, published: RegExp, adapted: RegExp | string[]][] = [
  ['basic', PATIENT_BY_REFERENCE, /^provision has no actor/],
  ['Emergency', PATIENT_BY_REFERENCE, /provision\.actor\[0\] \(role CST\) is not a recipient/],
  ['grantor', PATIENT_BY_REFERENCE, ['TREAT', 'HPAYMT', 'HOPERAT', 'HRESCH', 'PUBHLTH', 'HMARKT'].map((p) => `deny urn:custodian:facility:GH01|example ${p}/general`)],
  ['notAuthor', PATIENT_BY_REFERENCE, /provision\.actor\[0\] \(role CST\) is not a recipient/],
  ['notOrg', /provision\.type is not permitted on the root provision/, /provision\.type is not permitted on the root provision/],
  ['notThem', PATIENT_BY_REFERENCE, ['TREAT', 'HPAYMT', 'HOPERAT', 'HRESCH', 'PUBHLTH', 'HMARKT'].map((p) => `permit Practitioner/f204 ${p}/general`)],
  ['notThis', PATIENT_BY_REFERENCE, /^provision has no actor/],
  ['notTime', PATIENT_BY_REFERENCE, /^provision has no actor/],
  ['Out', PATIENT_BY_REFERENCE, /provision\.actor\[0\] \(role CST\) is not a recipient/],
  ['pkb', PATIENT_BY_REFERENCE, /provision\.provision\[0\]\.type is required/],
  ['signature', PATIENT_BY_REFERENCE, /provision\.provision\[0\]\.actor\[0\] \(role AUT\) is not a recipient/],
  ['smartonfhir', PATIENT_BY_REFERENCE, /MedicationRequest is not a data category/],
];

describe('the official R4 Consent examples', () => {
  it('are all twelve here, unchanged from the published package', () => {
    expect(fs.readdirSync(dir).filter((f) => f.endsWith('.json')).length).toBe(12);
    expect(cases.length).toBe(12);
  });

  it.each(cases)('%s: as published, and as a facility would send it', (name, published, adapted) => {
    const resource = load(name);
    const asPublished = consentToDrafts(resource);
    expect(asPublished.ok).toBe(false);
    expect(summary(asPublished)).toMatch(published);
    const result = summary(consentToDrafts(adapt(resource)));
    if (Array.isArray(adapted)) expect(result).toEqual(adapted);
    else expect(result).toMatch(adapted);
  });

  it('"Out": the custodian organization is never read as a grantee (it used to become denies against itself)', () => {
    const out = consentToDrafts(adapt(load('Out')));
    expect(out.ok).toBe(false);
    expect(JSON.stringify(out)).not.toMatch(/"decision":"deny"/);
  });
});
