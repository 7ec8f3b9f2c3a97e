// FHIR R4 Consent mapping: statuses, the R4 invariants as errors, actors, purposes, labels, nested provisions
// (a child overrides its parent where they meet), and the export shape that maps back to the same row.
import { describe, expect, it } from 'vitest';
import { FHIR_SYSTEMS } from './codes';
import { consentToDrafts, MAX_RULES_PER_CONSENT } from './fhir';
import { consentRowToFhir, type ExportRow } from './fhir-export';
import { fhirConsent, recipient, NPI } from './test-support';

const day = (y: number, m: number, d: number) => Date.UTC(y, m - 1, d) / 1000;

function drafts(value: unknown) {
  const m = consentToDrafts(value);
  if (!m.ok) throw new Error(m.reason);
  return m.drafts;
}
function refusal(value: unknown): string {
  const m = consentToDrafts(value);
  if (m.ok) throw new Error('expected a refusal');
  return m.reason;
}
const brief = (d: ReturnType<typeof drafts>[number]) => [d.decision, d.purpose, d.category, d.periodStart, d.periodEnd, d.externalId];

describe('FHIR Consent import mapping', () => {
  it('maps a simple consent: contained patient, actor NPI, purpose, period, default category general', () => {
    const [d, ...rest] = drafts(fhirConsent());
    expect(rest).toEqual([]);
    expect(d).toMatchObject({
      externalId: `Consent/c1#0/npi:${NPI.a}/TREAT/general`,
      facility: 'urn:oid:1.2.3',
      mrn: 'MRN77',
      patientName: 'Roe, Jane Q',
      birthDate: '1980-05-17',
      grantee: NPI.a,
      granteeKind: 'npi',
      decision: 'permit',
      purpose: 'TREAT',
      category: 'general',
      periodStart: day(2024, 1, 1),
      periodEnd: day(2027, 1, 1),
      status: 'active',
    });
  });

  it.each([
    ['active', 'permit', 'active', null],
    ['rejected', 'deny', 'active', null],
    ['inactive', 'permit', 'revoked', 'FHIR status inactive'],
    ['entered-in-error', 'permit', 'revoked', 'FHIR status entered-in-error'],
  ])('status %s imports as %s, %s', (status, decision, rowStatus, reason) => {
    expect(drafts(fhirConsent({ status }))[0]).toMatchObject({ decision, status: rowStatus, revokedReason: reason });
  });

  it.each([
    ['draft', fhirConsent({ status: 'draft' }), /status is draft: a consent not yet in force is not imported/],
    ['no patient', fhirConsent({ patient: undefined }), /^patient is missing \(.*ppc-2\.\.ppc-5\)/],
    ['no scope', fhirConsent({ scope: undefined }), /^scope is missing$/],
    ['no category', fhirConsent({ category: [] }), /^category is missing$/],
    ['no provision', fhirConsent({ provision: undefined }), /^provision is missing/],
    ['a type on the root provision', fhirConsent({}, { type: 'permit' }), /^provision\.type is not permitted on the root provision/],
    ['a nested provision without type', fhirConsent({}, { provision: [{ purpose: [{ code: 'HRESCH' }] }] }), /provision\.provision\[0\]\.type is required/],
    ['an actor without identifier', fhirConsent({}, { actor: [{ ...recipient({ value: 'x' }), reference: { reference: 'Practitioner/9' } }] }), /provision\.actor\[0\] must identify the grantee by identifier/],
    ['an actor without role (R4 1..1)', fhirConsent({}, { actor: [{ reference: { identifier: { system: FHIR_SYSTEMS.npi, value: NPI.a } } }] }), /provision\.actor\[0\]\.role is required/],
    ['only a custodian as actor (not a recipient)', fhirConsent({}, { actor: [{ role: { coding: [{ system: FHIR_SYSTEMS.participationType, code: 'CST' }] }, reference: { identifier: { system: FHIR_SYSTEMS.organization, value: 'GH' } } }] }), /role CST\) is not a recipient/],
    ['a treatment consent (scope)', fhirConsent({ scope: { coding: [{ system: FHIR_SYSTEMS.consentScope, code: 'treatment' }] } }), /scope is treatment: Custodian imports patient-privacy consents only/],
    ['an advance directive (scope)', fhirConsent({ scope: { coding: [{ system: FHIR_SYSTEMS.consentScope, code: 'adr' }] } }), /scope is adr/],
    ['no actor anywhere', fhirConsent({}, { actor: undefined }), /provision has no actor/],
    ['an unknown purpose', fhirConsent({}, { purpose: [{ system: FHIR_SYSTEMS.actReason, code: 'SHOPPING' }] }), /provision\.purpose SHOPPING is not a known purpose/],
    ['an unknown data category', fhirConsent({}, { securityLabel: [{ system: FHIR_SYSTEMS.actCode, code: 'DENTAL' }] }), /securityLabel .*DENTAL is not a data category/],
    ['a resource-type class', fhirConsent({}, { class: [{ system: 'http://hl7.org/fhir/resource-types', code: 'Observation' }] }), /provision\.class .*Observation is not a data category/],
    ['an end before the start', fhirConsent({}, { period: { start: '2025-01-01', end: '2024-01-01' } }), /^provision\.period ends before it starts/],
    ['an impossible date', fhirConsent({}, { period: { start: '2024-02-30' } }), /provision\.period\.start: no such date/],
    ['a failing NPI', fhirConsent({}, { actor: [recipient({ system: FHIR_SYSTEMS.npi, value: '1234567890' })] }), /grantee: NPI check digit is wrong/],
    ['a patient without identifier', fhirConsent({ patient: { display: 'Jane' }, contained: [] }), /patient must carry an identifier/],
    ['no start date', fhirConsent({ dateTime: undefined }, { period: undefined }), /no start/],
    ['a bad status', fhirConsent({ status: 'paused' }), /^status: /],
    ['a Patient', { resourceType: 'Patient', id: 'x' }, /^is a Patient, not a Consent$/],
    ['not an object', [1, 2], /not a FHIR resource/],
    ['no resourceType', { id: 'x' }, /no resourceType/],
  ])('refuses %s', (_name, value, reason) => {
    expect(refusal(value)).toMatch(reason);
  });

  it('maps security labels (v3 and Custodian codes), ignores confidentiality levels, expands missing purposes', () => {
    const labelled = drafts(
      fhirConsent({}, {
        securityLabel: [
          { system: FHIR_SYSTEMS.actCode, code: 'ETH' },
          { system: FHIR_SYSTEMS.actCode, code: 'PSY' },
          { system: FHIR_SYSTEMS.category, code: 'hiv' },
          { system: 'http://terminology.hl7.org/CodeSystem/v3-Confidentiality', code: 'R' },
        ],
      }),
    );
    expect(labelled.map((d) => d.category)).toEqual(['substance-use', 'mental-health', 'HIV']);
    const anyPurpose = drafts(fhirConsent({}, { purpose: undefined }));
    expect(anyPurpose.map((d) => d.purpose)).toEqual(['TREAT', 'HPAYMT', 'HOPERAT', 'HRESCH', 'PUBHLTH', 'HMARKT']);
    expect(drafts(fhirConsent({}, { actor: [recipient({ system: FHIR_SYSTEMS.organization, value: 'ACME' }), recipient({ system: 'urn:oid:9.9', value: 'X1' })] })).map((d) => [d.granteeKind, d.grantee])).toEqual([
      ['org', 'ACME'],
      ['org', 'urn:oid:9.9|X1'],
    ]);
  });

  it('flattens nested provisions: a child replaces its parent for the same key where their periods meet', () => {
    const nested = drafts(
      fhirConsent({}, {
        securityLabel: [{ system: FHIR_SYSTEMS.category, code: 'general' }, { system: FHIR_SYSTEMS.actCode, code: 'HIV' }],
        provision: [
          { type: 'deny', securityLabel: [{ system: FHIR_SYSTEMS.actCode, code: 'HIV' }] },
          { type: 'deny', period: { start: '2025-01-01', end: '2025-06-30' }, securityLabel: [{ system: FHIR_SYSTEMS.category, code: 'general' }] },
        ],
      }),
    );
    expect(nested.map(brief)).toEqual([
      ['permit', 'TREAT', 'general', day(2024, 1, 1), day(2025, 1, 1), `Consent/c1#0/npi:${NPI.a}/TREAT/general`],
      ['permit', 'TREAT', 'general', day(2025, 7, 1), day(2027, 1, 1), `Consent/c1#0/npi:${NPI.a}/TREAT/general@1`],
      ['deny', 'TREAT', 'HIV', day(2024, 1, 1), day(2027, 1, 1), `Consent/c1#0.0/npi:${NPI.a}/TREAT/HIV`],
      ['deny', 'TREAT', 'general', day(2025, 1, 1), day(2025, 7, 1), `Consent/c1#0.1/npi:${NPI.a}/TREAT/general`],
    ]);
  });

  it('reads an opt-out with a permitted exception (the exception is not lost to deny-overrides)', () => {
    const optOut = drafts(
      fhirConsent({ policyRule: { coding: [{ code: 'OPTOUT' }] } }, { purpose: [{ code: 'TREAT' }, { code: 'HRESCH' }], provision: [{ type: 'permit', purpose: [{ code: 'TREAT' }] }] }),
    );
    expect(optOut.map((d) => [d.decision, d.purpose])).toEqual([
      ['deny', 'HRESCH'],
      ['permit', 'TREAT'],
    ]);
  });

  it('refuses a consent that expands past the rule cap', () => {
    const actors = Array.from({ length: 200 }, () => (recipient({ system: FHIR_SYSTEMS.npi, value: NPI.a })));
    expect(refusal(fhirConsent({}, { actor: actors, purpose: undefined }))).toMatch(new RegExp(`more than ${MAX_RULES_PER_CONSENT} rules`));
  });

  it('uses the identifier when there is no id, and no external id when there is neither', () => {
    expect(drafts(fhirConsent({ id: undefined, identifier: [{ system: 'urn:x', value: 'A-9' }] }))[0]!.externalId).toBe(`urn:x|A-9#0/npi:${NPI.a}/TREAT/general`);
    expect(drafts(fhirConsent({ id: undefined }))[0]!.externalId).toBeNull();
  });
});

describe('FHIR Consent export', () => {
  const row: ExportRow = {
    id: 5,
    external_id: 'X-5',
    patient_id: 1,
    grantee: 'urn:oid:9.9|X1',
    grantee_kind: 'org',
    decision: 'deny',
    purpose: 'HRESCH',
    category: 'genetic',
    period_start: day(2024, 3, 1) + 3600,
    period_end: day(2025, 1, 1),
    status: 'revoked',
    document_hash: `0x${'ab'.repeat(32)}`,
    source: 'test',
    import_run_id: null,
    source_row: null,
    superseded_by: null,
    revoked_reason: 'FHIR status entered-in-error',
    seq: 2,
    hlc: '0000000000000002',
    hlc_writer: null,
    created_at: '2024-03-01T00:00:00.000Z',
    updated_at: '2024-03-01T00:00:00.000Z',
    facility: 'GH01',
    mrn: 'MRN5',
    patient_name: 'Roe, Jane',
    birth_date: '1980-05-17',
  };

  it('writes a valid R4 shape: no root type, decision in policyRule, contained patient, labels', () => {
    const r = consentRowToFhir(row);
    expect(r.status).toBe('entered-in-error');
    expect(r.provision?.type).toBeUndefined();
    expect(r.policyRule).toEqual({ coding: [{ system: FHIR_SYSTEMS.actCode, code: 'OPTOUT' }] });
    expect(r.provision?.period).toEqual({ start: '2024-03-01T01:00:00Z', end: '2024-12-31' });
    expect(r.provision?.securityLabel).toEqual([{ system: FHIR_SYSTEMS.actCode, code: 'GDIS' }]);
    expect(r.contained?.[0]).toMatchObject({ identifier: [{ system: 'urn:custodian:facility:GH01', value: 'MRN5' }] });
  });

  it('maps back to the same row', () => {
    for (const status of ['active', 'revoked'] as const) {
      const [d, ...rest] = drafts(consentRowToFhir({ ...row, status }));
      expect(rest).toEqual([]);
      expect(d).toMatchObject({
        externalId: 'X-5',
        facility: 'GH01',
        mrn: 'MRN5',
        patientName: 'Roe, Jane',
        birthDate: '1980-05-17',
        grantee: 'urn:oid:9.9|X1',
        granteeKind: 'org',
        decision: 'deny',
        purpose: 'HRESCH',
        category: 'genetic',
        periodStart: row.period_start,
        periodEnd: row.period_end,
        status,
        documentHash: row.document_hash,
      });
    }
  });
});
