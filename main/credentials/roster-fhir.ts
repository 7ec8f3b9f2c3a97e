// Provider rosters from FHIR R4: Practitioner (NPI, name) and PractitionerRole (its practitioner, organization,
// specialty, period) read into the roster row the CSV adapter produces. Pure: an index of the file built in a first
// pass (references are resolved within the file), then each resource mapped to a row or to named problems.
import type { CodeableConcept, HumanName, Identifier, Organization, Practitioner, PractitionerRole, Reference } from '@medplum/fhirtypes';
import { npiProblem } from '../api/npi';
import type { FhirRecord } from '../imports/fhir-source';
import { optionalText, type RosterProblem } from './roster';
import type { NewProvider } from './store';

export const NPI_SYSTEM = 'http://hl7.org/fhir/sid/us-npi';

/** A Practitioner as the first pass saw it: enough to resolve a role's reference to it. */
interface IndexedPractitioner {
  row: number;
  npi: string | null;
  name: string | null;
  problems: RosterProblem[];
}

/** What the first pass keeps of the file: Practitioners and Organizations by every name a reference may use. */
export class RosterIndex {
  private readonly practitioners = new Map<string, IndexedPractitioner | 'ambiguous'>();
  private readonly organizations = new Map<string, { row: number; name: string | null } | 'ambiguous'>();
  private readonly byNpi = new Map<string, IndexedPractitioner | 'ambiguous'>();
  /** Names of Practitioners some PractitionerRole refers to (resolved or not). */
  private readonly referenced = new Set<string>();

  add(rec: FhirRecord): void {
    const r = rec.value as { resourceType?: unknown; id?: unknown } | null | undefined;
    if (rec.error || typeof r !== 'object' || r === null) return;
    const keys = keysOf(rec);
    if (r.resourceType === 'Practitioner') {
      const p = readPractitioner(r as Practitioner);
      const entry: IndexedPractitioner = { row: rec.row, ...p };
      for (const k of keys) this.practitioners.set(k, this.practitioners.has(k) ? 'ambiguous' : entry);
      if (p.npi) this.byNpi.set(p.npi, this.byNpi.has(p.npi) ? 'ambiguous' : entry);
    } else if (r.resourceType === 'Organization') {
      const name = typeof (r as Organization).name === 'string' ? (r as Organization).name!.trim() || null : null;
      for (const k of keys) this.organizations.set(k, this.organizations.has(k) ? 'ambiguous' : { row: rec.row, name });
    } else if (r.resourceType === 'PractitionerRole') {
      const ref = (r as PractitionerRole).practitioner;
      if (typeof ref?.reference === 'string') this.referenced.add(ref.reference.replace(/\/_history\/[^/]+$/, ''));
      const npi = logicalNpi(ref);
      if (npi) this.referenced.add(`npi|${npi}`);
    }
  }

  /** Whether a PractitionerRole of the file refers to this Practitioner (then it is stored through its roles). */
  hasRoles(rec: FhirRecord, npi: string | null): boolean {
    return keysOf(rec).some((k) => this.referenced.has(k)) || (npi !== null && this.referenced.has(`npi|${npi}`));
  }

  practitioner(key: string): IndexedPractitioner | 'ambiguous' | undefined {
    return this.practitioners.get(key);
  }

  practitionerByNpi(npi: string): IndexedPractitioner | 'ambiguous' | undefined {
    return this.byNpi.get(npi);
  }

  organization(key: string): { row: number; name: string | null } | 'ambiguous' | undefined {
    return this.organizations.get(key);
  }
}

/** The names a reference may use for a resource: the entry's fullUrl (Bundle) and Type/id. */
function keysOf(rec: FhirRecord): string[] {
  const r = rec.value as { resourceType?: unknown; id?: unknown };
  const keys: string[] = [];
  if (rec.fullUrl) keys.push(rec.fullUrl);
  if (typeof r.resourceType === 'string' && typeof r.id === 'string' && r.id !== '') keys.push(`${r.resourceType}/${r.id}`);
  return keys;
}

/** A logical reference by NPI (Reference.identifier with the NPI system). */
function logicalNpi(ref: Reference | undefined): string | null {
  const id = ref?.identifier;
  return id && id.system === NPI_SYSTEM && typeof id.value === 'string' ? id.value.trim() : null;
}

/** `[prefix] given… family[, suffix]`, or the name's text; the official or usual name first, never an old one. */
function formatName(names: HumanName[] | undefined): string | null {
  const usable = (names ?? []).filter((n) => n && n.use !== 'old' && n.use !== 'maiden');
  const chosen = usable.find((n) => n.use === 'official') ?? usable.find((n) => n.use === 'usual') ?? usable[0];
  if (!chosen) return null;
  if (typeof chosen.text === 'string' && chosen.text.trim() !== '') return chosen.text.trim();
  const parts = [...(chosen.prefix ?? []), ...(chosen.given ?? []), ...(chosen.family ? [chosen.family] : [])].map((s) => String(s).trim()).filter(Boolean);
  if (!parts.length) return null;
  const suffix = (chosen.suffix ?? []).map((s) => String(s).trim()).filter(Boolean);
  return suffix.length ? `${parts.join(' ')}, ${suffix.join(' ')}` : parts.join(' ');
}

/** NPI and name of a Practitioner, with every problem named by its path. */
export function readPractitioner(p: Practitioner): { npi: string | null; name: string | null; problems: RosterProblem[] } {
  const problems: RosterProblem[] = [];
  const ids: { value: string; at: number }[] = [];
  const others: string[] = [];
  (Array.isArray(p.identifier) ? p.identifier : []).forEach((id: Identifier, i) => {
    if (id?.system !== NPI_SYSTEM) {
      if (typeof id?.system === 'string') others.push(id.system);
      return;
    }
    if (id.use === 'old') return;
    ids.push({ value: typeof id.value === 'string' ? id.value.trim() : '', at: i });
  });
  let npi: string | null = null;
  const distinct = [...new Set(ids.map((x) => x.value))];
  if (distinct.length === 0) {
    problems.push({
      column: 'Practitioner.identifier',
      reason: `holds no NPI (an identifier with system ${NPI_SYSTEM})${others.length ? `; ${others.length === 1 ? 'the identifier with system' : 'identifiers with systems'} ${others.slice(0, 3).join(', ')} ${others.length === 1 ? 'is' : 'are'} not an NPI` : ''}`,
    });
  } else if (distinct.length > 1) {
    problems.push({ column: 'Practitioner.identifier', reason: `holds ${distinct.length} different NPIs; a provider has one` });
  } else {
    const bad = npiProblem(distinct[0]!);
    if (bad) problems.push({ column: `Practitioner.identifier[${ids[0]!.at}].value`, reason: bad });
    else npi = distinct[0]!;
  }
  const formatted = formatName(Array.isArray(p.name) ? p.name : undefined);
  const name = optionalText(formatted ?? undefined, 'Practitioner.name', 200, problems);
  if (name === null) problems.push({ column: 'Practitioner.name', reason: 'is missing (a family or given name, or text)' });
  if (p.active === false) {
    problems.push({ column: 'Practitioner.active', reason: 'is false: the roster holds practising providers, and the CSV roster has no inactive row to map it to' });
  }
  return { npi, name, problems };
}

/** A Practitioner with no PractitionerRole in the file: the CSV row with organization and specialty empty. */
export function practitionerRow(rec: FhirRecord): { ok: true; provider: NewProvider } | { ok: false; problems: RosterProblem[] } {
  const p = readPractitioner(rec.value as Practitioner);
  if (p.problems.length) return { ok: false, problems: p.problems };
  return { ok: true, provider: { npi: p.npi!, name: p.name!, organization: null, specialty: null } };
}

function conceptText(c: CodeableConcept): string | null {
  if (typeof c?.text === 'string' && c.text.trim() !== '') return c.text.trim();
  const coding = (c?.coding ?? []).find((x) => x && (x.display || x.code));
  return coding ? String(coding.display ?? coding.code).trim() : null;
}

/** A YYYY, YYYY-MM, YYYY-MM-DD or date-time as the instant it starts (start) or ends (end). */
function periodInstant(value: string, edge: 'start' | 'end'): number | null {
  const m = /^(\d{4})(?:-(\d{2})(?:-(\d{2}))?)?$/.exec(value);
  if (m) {
    const y = Number(m[1]);
    const mo = m[2] ? Number(m[2]) - 1 : edge === 'start' ? 0 : 11;
    const d = m[3] ? Number(m[3]) : edge === 'start' ? 1 : new Date(Date.UTC(y, mo + 1, 0)).getUTCDate();
    const t = Date.UTC(y, mo, d);
    return edge === 'start' ? t : t + 86_399_999;
  }
  const t = Date.parse(value);
  return /T.*(Z|[+-]\d{2}:\d{2})$/.test(value) && !Number.isNaN(t) ? t : null;
}

/** A reference resolved within the file, or a named problem: dangling, ambiguous, or of another type. */
function resolve<T>(ref: Reference, path: string, type: string, lookup: (key: string) => T | 'ambiguous' | undefined, problems: RosterProblem[]): T | null | undefined {
  const r = ref.reference!;
  // Reference.type says what the author meant the reference to be; another type is not this reference.
  if (typeof ref.type === 'string' && ref.type !== type) {
    problems.push({ column: `${path}.type`, reason: `is ${ref.type.slice(0, 64)}, not ${type}` });
    return undefined;
  }
  if (r.startsWith('#')) {
    problems.push({ column: `${path}.reference`, reason: `${r} names a contained resource; a roster's ${type} must be an entry of the file` });
    return undefined;
  }
  const tail = /(?:^|\/)([A-Za-z]+)\/[A-Za-z0-9\-.]{1,64}(?:\/_history\/[^/]+)?$/.exec(r);
  if (tail && tail[1] !== type) {
    problems.push({ column: `${path}.reference`, reason: `${r} is a ${tail[1]}, not a ${type}` });
    return undefined;
  }
  const found = lookup(r) ?? lookup(r.replace(/\/_history\/[^/]+$/, ''));
  if (found === 'ambiguous') {
    problems.push({ column: `${path}.reference`, reason: `${r} names more than one ${type} of the file` });
    return undefined;
  }
  if (found === undefined) {
    problems.push({ column: `${path}.reference`, reason: `${r} is not in this file (references are resolved within the file)` });
    return undefined;
  }
  return found;
}

/** A PractitionerRole read into the CSV row: its practitioner's NPI and name, the organization and the specialty. */
export function practitionerRoleRow(rec: FhirRecord, index: RosterIndex, now: Date): { ok: true; provider: NewProvider; practitionerRow: number } | { ok: false; problems: RosterProblem[] } {
  const role = rec.value as PractitionerRole;
  const problems: RosterProblem[] = [];
  let practitioner: IndexedPractitioner | null | undefined;
  const ref = role.practitioner;
  if (!ref || (typeof ref.reference !== 'string' && !logicalNpi(ref))) {
    problems.push({ column: 'PractitionerRole.practitioner', reason: 'is missing: a role names its Practitioner (a reference to an entry of the file, or an NPI identifier)' });
  } else if (typeof ref.reference === 'string') {
    practitioner = resolve(ref, 'PractitionerRole.practitioner', 'Practitioner', (k) => index.practitioner(k), problems);
  } else {
    const npi = logicalNpi(ref)!;
    const found = index.practitionerByNpi(npi);
    if (found === 'ambiguous') problems.push({ column: 'PractitionerRole.practitioner.identifier', reason: `NPI ${npi} is held by more than one Practitioner of the file` });
    else if (!found) problems.push({ column: 'PractitionerRole.practitioner.identifier', reason: `NPI ${npi} is not the NPI of a Practitioner in this file (references are resolved within the file)` });
    else practitioner = found;
  }
  if (practitioner && practitioner.problems.length) {
    problems.push({ column: 'PractitionerRole.practitioner', reason: `is the Practitioner of row ${practitioner.row}, which is refused (${practitioner.problems.map((p) => `${p.column} ${p.reason}`).join(', ')})` });
  }
  if (role.active === false) problems.push({ column: 'PractitionerRole.active', reason: 'is false: the roster holds current roles, and the CSV roster has no inactive row to map it to' });
  const period = role.period;
  if (period?.end !== undefined) {
    const end = typeof period.end === 'string' ? periodInstant(period.end, 'end') : null;
    if (end === null) problems.push({ column: 'PractitionerRole.period.end', reason: 'is not a FHIR date or date-time with a zone' });
    else if (end < now.getTime()) problems.push({ column: 'PractitionerRole.period.end', reason: `is ${period.end}: the role has ended, and the roster holds current roles` });
  }
  if (period?.start !== undefined) {
    const start = typeof period.start === 'string' ? periodInstant(period.start, 'start') : null;
    if (start === null) problems.push({ column: 'PractitionerRole.period.start', reason: 'is not a FHIR date or date-time with a zone' });
    else if (start > now.getTime()) problems.push({ column: 'PractitionerRole.period.start', reason: `is ${period.start}: the role has not begun, and the roster holds current roles` });
  }
  let organization: string | null = null;
  const org = role.organization;
  if (org) {
    if (typeof org.reference === 'string') {
      const found = resolve(org, 'PractitionerRole.organization', 'Organization', (k) => index.organization(k), problems);
      if (found) {
        if (found.name === null) problems.push({ column: 'PractitionerRole.organization', reason: `is the Organization of row ${found.row}, which has no name` });
        else organization = optionalText(found.name, 'PractitionerRole.organization', 200, problems);
      }
    } else if (typeof org.display === 'string' && org.display.trim() !== '') {
      organization = optionalText(org.display, 'PractitionerRole.organization.display', 200, problems);
    } else {
      problems.push({ column: 'PractitionerRole.organization', reason: 'names no organization: give a reference to an Organization of the file, or a display' });
    }
  }
  const specialties = (Array.isArray(role.specialty) ? role.specialty : []).map(conceptText).filter((s): s is string => s !== null);
  const specialty = optionalText(specialties.length ? [...new Set(specialties)].join('; ') : undefined, 'PractitionerRole.specialty', 200, problems);
  if (problems.length || !practitioner) return { ok: false, problems };
  return { ok: true, provider: { npi: practitioner.npi!, name: practitioner.name!, organization, specialty }, practitionerRow: practitioner.row };
}
