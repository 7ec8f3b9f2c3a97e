// Consent rows -> FHIR R4 Consent resources (one per row), in the shape the importer reads back to the same row:
// the row's external id as a urn:custodian:consent-row identifier, the decision as policyRule OPTIN/OPTOUT.
import type { Coding, Consent, Identifier, Patient, Period } from '@medplum/fhirtypes';
import { CATEGORY_TO_V3, FHIR_SYSTEMS } from './codes';
import { formatEnd, formatStart } from './period';
import type { ConsentRow } from './store';

export interface ExportRow extends ConsentRow {
  facility: string;
  mrn: string;
  patient_name: string | null;
  birth_date: string | null;
}

function facilitySystem(facility: string): string {
  return facility.includes(':') ? facility : `${FHIR_SYSTEMS.facilityPrefix}${facility}`;
}

function granteeIdentifier(row: ExportRow): Identifier & { system: string; value: string } {
  if (row.grantee_kind === 'npi') return { system: FHIR_SYSTEMS.npi, value: row.grantee };
  const bar = row.grantee.indexOf('|');
  // Organisation ids imported from another system were stored as "system|value".
  return bar > 0 && row.grantee.slice(0, bar).includes(':')
    ? { system: row.grantee.slice(0, bar), value: row.grantee.slice(bar + 1) }
    : { system: FHIR_SYSTEMS.organization, value: row.grantee };
}

function fhirStatus(row: ExportRow): Consent['status'] {
  if (row.status === 'active') return 'active';
  return row.revoked_reason === 'FHIR status entered-in-error' ? 'entered-in-error' : 'inactive';
}

/** The row as an R4 Consent (types from @medplum/fhirtypes: the compiler checks the shape against R4). */
export function consentRowToFhir(row: ExportRow): Consent {
  const category: Coding = row.category === 'general' ? { system: FHIR_SYSTEMS.category, code: 'general' } : { system: FHIR_SYSTEMS.actCode, code: CATEGORY_TO_V3[row.category]! };
  const patient: Patient = {
    resourceType: 'Patient',
    id: 'patient',
    identifier: [{ system: facilitySystem(row.facility), value: row.mrn }],
  };
  if (row.patient_name) patient.name = [{ text: row.patient_name }];
  if (row.birth_date) patient.birthDate = row.birth_date;
  const period: Period = { start: formatStart(row.period_start) };
  if (row.period_end !== null) period.end = formatEnd(row.period_end);
  return {
    resourceType: 'Consent',
    ...(row.external_id ? { identifier: [{ system: FHIR_SYSTEMS.consentRow, value: row.external_id }] } : {}),
    extension: [{ url: FHIR_SYSTEMS.documentHashExtension, valueString: row.document_hash }],
    contained: [patient],
    status: fhirStatus(row),
    scope: { coding: [{ system: FHIR_SYSTEMS.consentScope, code: 'patient-privacy' }] },
    category: [{ coding: [{ system: FHIR_SYSTEMS.loinc, code: '59284-0', display: 'Patient Consent' }] }],
    patient: { reference: '#patient' },
    dateTime: row.created_at,
    policyRule: { coding: [{ system: FHIR_SYSTEMS.actCode, code: row.decision === 'permit' ? 'OPTIN' : 'OPTOUT' }] },
    provision: {
      period,
      actor: [
        {
          role: { coding: [{ system: FHIR_SYSTEMS.participationType, code: 'IRCP' }] },
          reference: { identifier: granteeIdentifier(row) },
        },
      ],
      purpose: [{ system: FHIR_SYSTEMS.actReason, code: row.purpose }],
      securityLabel: [category],
    },
  };
}
