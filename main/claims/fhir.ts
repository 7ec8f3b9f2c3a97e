// Claims from FHIR R4 Claim resources, read into the fields of the claims CSV row (claim id, facility and MRN,
// rendering NPI, payer, service date, codes, amount) and then through the same row rules. Pure: references are
// resolved within the file (an index from the engine's first pass), each problem names its FHIR path.
import type { Claim, CodeableConcept, Identifier, Organization, Patient, Practitioner, Reference } from '@medplum/fhirtypes';
import { facilityFromSystem } from '../consents/fhir';
import type { FhirRecord } from '../imports/fhir-source';
import { parseClaimFields, type ClaimColumn, type ClaimFieldValues, type ParsedClaim } from './fields';

export const NPI_SYSTEM = 'http://hl7.org/fhir/sid/us-npi';

/** Code systems a claim's codes are read from, and the prefix that names the system in a claim row. */
const CODE_SYSTEMS: Record<string, 'CPT' | 'HCPCS' | 'ICD10'> = {
  'http://www.ama-assn.org/go/cpt': 'CPT',
  'urn:oid:2.16.840.1.113883.6.12': 'CPT',
  'https://www.cms.gov/Medicare/Coding/HCPCSReleaseCodeSets': 'HCPCS',
  'http://www.cms.gov/Medicare/Coding/HCPCSReleaseCodeSets': 'HCPCS',
  'urn:oid:2.16.840.1.113883.6.285': 'HCPCS',
  'http://hl7.org/fhir/sid/icd-10-cm': 'ICD10',
  'http://hl7.org/fhir/sid/icd-10': 'ICD10',
};

/** Where a claim row's column comes from in a Claim (names a problem the row rules find). */
const PATH_OF: Record<ClaimColumn, string> = {
  claim_id: 'Claim.identifier',
  facility: 'Claim.patient.identifier.system',
  mrn: 'Claim.patient.identifier.value',
  rendering_npi: 'Claim.careTeam.provider',
  payer_id: 'Claim.insurer',
  service_date: 'Claim.billablePeriod.start',
  codes: 'Claim.item.productOrService',
  amount: 'Claim.total',
};

export interface ClaimProblem {
  column: string;
  reason: string;
}
export type FhirParsedClaim = ParsedClaim | { ok: false; problems: ClaimProblem[] };

/** Patients, Practitioners, PractitionerRoles and Organizations of the file, by fullUrl and Type/id. */
export class ClaimIndex {
  private readonly byKey = new Map<string, unknown>();
  add(rec: FhirRecord): void {
    const r = rec.value as { resourceType?: unknown; id?: unknown } | null;
    if (rec.error || typeof r !== 'object' || r === null || r.resourceType === 'Claim') return;
    const keys = [...(rec.fullUrl ? [rec.fullUrl] : []), ...(typeof r.resourceType === 'string' && typeof r.id === 'string' ? [`${r.resourceType}/${r.id}`] : [])];
    for (const k of keys) this.byKey.set(k, this.byKey.has(k) ? 'ambiguous' : r);
  }
  get(key: string): unknown {
    return this.byKey.get(key);
  }
}

class Refused extends Error {
  constructor(
    readonly column: string,
    readonly reason: string,
  ) {
    super(reason);
  }
}

/** The resource a reference names: contained (#id), or an entry of the file; a dangling one is refused by path. */
function resolve<T>(claim: Claim, ref: Reference, path: string, types: string[], index: ClaimIndex): T {
  const r = ref.reference!;
  if (typeof ref.type === 'string' && !types.includes(ref.type)) throw new Refused(`${path}.type`, `is ${ref.type.slice(0, 64)}, not ${types.join(' or ')}`);
  let found: unknown;
  if (r.startsWith('#')) found = (claim.contained ?? []).find((c) => (c as { id?: string }).id === r.slice(1));
  else found = index.get(r) ?? index.get(r.replace(/\/_history\/[^/]+$/, ''));
  if (found === 'ambiguous') throw new Refused(`${path}.reference`, `${r} names more than one resource of the file`);
  if (found === undefined) throw new Refused(`${path}.reference`, `${r} is not in this file (references are resolved within the file)`);
  const type = (found as { resourceType?: string }).resourceType ?? '';
  if (!types.includes(type)) throw new Refused(`${path}.reference`, `${r} is a ${type || 'resource without resourceType'}, not a ${types.join(' or ')}`);
  return found as T;
}

function npiOf(ids: Identifier[] | undefined): string | null {
  const values = [...new Set((ids ?? []).filter((i) => i?.system === NPI_SYSTEM && i.use !== 'old' && typeof i.value === 'string').map((i) => i.value!.trim()))];
  return values.length === 1 ? values[0]! : null;
}

/** The patient's facility and MRN: a logical identifier, a contained Patient or a Patient entry of the file. */
function patientOf(claim: Claim, index: ClaimIndex): { facility: string; mrn: string } {
  const ref = claim.patient;
  if (!ref) throw new Refused('Claim.patient', 'is missing');
  let id = ref.identifier;
  if (!id && typeof ref.reference === 'string') {
    const p = resolve<Patient>(claim, ref, 'Claim.patient', ['Patient'], index);
    id = (p.identifier ?? []).find((i) => i.use === 'usual' || i.use === 'official') ?? (p.identifier ?? [])[0];
    if (!id) throw new Refused('Claim.patient', `${ref.reference} has no identifier (system: the facility, value: the MRN)`);
  }
  if (!id?.system || !id.value) throw new Refused('Claim.patient.identifier', 'must carry system (the facility) and value (the MRN)');
  return { facility: facilityFromSystem(id.system), mrn: id.value };
}

const codes = (c: CodeableConcept | undefined) => (c?.coding ?? []).filter((x) => x && typeof x.code === 'string' && x.system && CODE_SYSTEMS[x.system]).map((x) => `${CODE_SYSTEMS[x.system!]}:${x.code!.trim()}`);

/** The provider who rendered the service: the care team's rendering (or primary) member, else Claim.provider. */
function renderingNpi(claim: Claim, index: ClaimIndex): string {
  const team = claim.careTeam ?? [];
  const at = team.findIndex((m) => (m.role?.coding ?? []).some((c) => c.code === 'rendering')) ?? -1;
  const i = at >= 0 ? at : team.findIndex((m) => (m.role?.coding ?? []).some((c) => c.code === 'primary'));
  const path = i >= 0 ? `Claim.careTeam[${i}].provider` : 'Claim.provider';
  const ref = i >= 0 ? team[i]!.provider : claim.provider;
  if (!ref) throw new Refused(path, 'is missing: a claim names its rendering provider');
  if (ref.identifier) {
    if (ref.identifier.system !== NPI_SYSTEM) throw new Refused(`${path}.identifier.system`, `is ${String(ref.identifier.system)}, not the NPI system ${NPI_SYSTEM}`);
    return String(ref.identifier.value ?? '');
  }
  if (typeof ref.reference !== 'string') throw new Refused(path, 'names no provider: give a reference or an NPI identifier');
  const found = resolve<Practitioner | Organization | { resourceType: 'PractitionerRole'; practitioner?: Reference }>(claim, ref, path, ['Practitioner', 'PractitionerRole', 'Organization'], index);
  const target = found.resourceType === 'PractitionerRole' && found.practitioner?.reference ? resolve<Practitioner>(claim, found.practitioner, `${path} (PractitionerRole.practitioner)`, ['Practitioner'], index) : found;
  const npi = npiOf((target as Practitioner).identifier);
  if (!npi) throw new Refused(path, `${ref.reference} holds no single NPI (an identifier with system ${NPI_SYSTEM})`);
  return npi;
}

function payerOf(claim: Claim, index: ClaimIndex): string {
  const ref = claim.insurer;
  if (!ref) throw new Refused('Claim.insurer', 'is missing: a claim names its payer');
  if (ref.identifier?.value) return ref.identifier.value;
  if (typeof ref.reference !== 'string') throw new Refused('Claim.insurer', 'names no payer: give an identifier or a reference to an Organization of the file');
  const org = resolve<Organization>(claim, ref, 'Claim.insurer', ['Organization'], index);
  const id = (org.identifier ?? []).find((x) => x?.value);
  if (!id) throw new Refused('Claim.insurer', `${ref.reference} has no identifier to be the payer id`);
  return id.value!;
}

function serviceDate(claim: Claim): string {
  const candidates: [string, unknown][] = [['Claim.billablePeriod.start', claim.billablePeriod?.start]];
  (claim.item ?? []).forEach((it, i) => candidates.push([`Claim.item[${i}].servicedDate`, it.servicedDate], [`Claim.item[${i}].servicedPeriod.start`, it.servicedPeriod?.start]));
  const given = candidates.filter(([, v]) => v !== undefined);
  if (!given.length) throw new Refused('Claim.billablePeriod.start', 'is missing, and no item has a servicedDate');
  // The earliest day of service, as the CSV row holds one.
  const days = given.map(([path, v]) => {
    const m = typeof v === 'string' ? /^(\d{4}-\d{2}-\d{2})(T.*)?$/.exec(v) : null;
    if (!m) throw new Refused(path, 'must be a date as YYYY-MM-DD (or a date-time)');
    return m[1]!;
  });
  return days.sort()[0]!;
}

function amountOf(claim: Claim): string {
  const money = claim.total;
  if (!money || money.value === undefined) throw new Refused('Claim.total', 'is missing: a claim states its total');
  if (money.currency !== undefined && money.currency !== 'USD') throw new Refused('Claim.total.currency', `is ${String(money.currency)}; claims are in USD`);
  const v = money.value;
  if (typeof v !== 'number' || !Number.isFinite(v) || Math.round(v * 100) / 100 !== v) throw new Refused('Claim.total.value', 'must be an amount in dollars with at most two decimals');
  return v.toFixed(2);
}

/** A Claim read into the claims CSV row's fields and checked by the same rules; problems name FHIR paths. */
export function claimOfFhir(rec: FhirRecord, index: ClaimIndex): FhirParsedClaim {
  const claim = rec.value as Claim;
  try {
    if (claim.status !== 'active') {
      throw new Refused('Claim.status', `is ${String(claim.status)}: only an active claim is imported (a cancelled, draft or entered-in-error claim has no claims CSV row)`);
    }
    if (claim.use !== undefined && claim.use !== 'claim') throw new Refused('Claim.use', `is ${String(claim.use)}: a ${String(claim.use)} is not a claim for services rendered`);
    const business = (claim.identifier ?? []).filter((i) => i?.value);
    const id = business.find((i) => i.use === 'official') ?? business[0];
    if (!id) throw new Refused('Claim.identifier', 'is missing: a claim carries its claim number as an identifier (the resource id is not one)');
    const patient = patientOf(claim, index);
    const all: string[] = [];
    (claim.diagnosis ?? []).forEach((d, i) => {
      if (!d.diagnosisCodeableConcept) throw new Refused(`Claim.diagnosis[${i}]`, 'gives no diagnosisCodeableConcept (a diagnosisReference is not read)');
      const found = codes(d.diagnosisCodeableConcept);
      if (!found.length) throw new Refused(`Claim.diagnosis[${i}].diagnosisCodeableConcept`, 'has no ICD-10 coding');
      all.push(...found);
    });
    (claim.item ?? []).forEach((it, i) => {
      const found = codes(it.productOrService);
      if (!found.length) throw new Refused(`Claim.item[${i}].productOrService`, 'has no CPT or HCPCS coding');
      all.push(...found);
    });
    const values: ClaimFieldValues = {
      claim_id: id.value!,
      facility: patient.facility,
      mrn: patient.mrn,
      rendering_npi: renderingNpi(claim, index),
      payer_id: payerOf(claim, index),
      service_date: serviceDate(claim),
      codes: [...new Set(all)].join(';'),
      amount: amountOf(claim),
    };
    const parsed = parseClaimFields(values);
    return parsed.ok ? parsed : { ok: false, problems: parsed.problems.map((p) => ({ column: PATH_OF[p.column], reason: p.reason })) };
  } catch (err) {
    if (err instanceof Refused) return { ok: false, problems: [{ column: err.column, reason: err.reason }] };
    throw err;
  }
}
