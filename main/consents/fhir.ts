// FHIR R4 Consent -> consent drafts: status, patient, dateTime, policyRule, provision (type, period, actor,
// purpose, securityLabel/class) with nested provisions flattened, and R4's consent invariants enforced as errors.
import type { Coding, Consent, ConsentProvision, Identifier, Period, Reference } from '@medplum/fhirtypes';
import { z } from 'zod';
import { CATEGORIES, FHIR_SYSTEMS, ORDINARY_PURPOSES, V3_TO_CATEGORY, categoryOf, purposeOf, type Category, type Decision, type GranteeKind } from './codes';
import { describeProblems, validateConsentFields, type ConsentDraft } from './draft';
import { formatEnd, formatStart, parseBound } from './period';

// The trust boundary: only the fields read here, loosely (a Consent carries many more).
const coding = z.looseObject({ system: z.string().optional(), code: z.string().optional(), display: z.string().optional() });
const concept = z.looseObject({ coding: z.array(coding).optional(), text: z.string().optional() });
const identifier = z.looseObject({ system: z.string().optional(), value: z.string().optional() });
const reference = z.looseObject({ reference: z.string().optional(), identifier: identifier.optional(), display: z.string().optional() });
const period = z.looseObject({ start: z.string().optional(), end: z.string().optional() });
type Loose<T> = { [K in keyof T]?: T[K] | undefined };
/**
 * R4's ConsentProvision (@medplum/fhirtypes) as the schema reads it: the same fields and codes, each optional (the
 * importer reports a missing one itself, actor.role included: R4's 1..1), nested recursively.
 */
type Provision = Loose<Pick<ConsentProvision, 'type'>> & {
  period?: Loose<Pick<Period, 'start' | 'end'>> | undefined;
  actor?: {
    role?: { coding?: Loose<Pick<Coding, 'system' | 'code' | 'display'>>[] | undefined; text?: string | undefined } | undefined;
    reference: Loose<Pick<Reference, 'reference' | 'display'>> & { identifier?: Loose<Pick<Identifier, 'system' | 'value'>> | undefined };
  }[] | undefined;
  purpose?: Loose<Pick<Coding, 'system' | 'code' | 'display'>>[] | undefined;
  securityLabel?: Loose<Pick<Coding, 'system' | 'code' | 'display'>>[] | undefined;
  class?: Loose<Pick<Coding, 'system' | 'code' | 'display'>>[] | undefined;
  provision?: Provision[] | undefined;
};
const provision: z.ZodType<Provision> = z.lazy(() =>
  z.looseObject({
    type: z.enum(['deny', 'permit']).optional(),
    period: period.optional(),
    actor: z.array(z.looseObject({ role: concept.optional(), reference })).optional(),
    purpose: z.array(coding).optional(),
    securityLabel: z.array(coding).optional(),
    class: z.array(coding).optional(),
    provision: z.array(provision).optional(),
  }),
);
const patientResource = z.looseObject({
  resourceType: z.literal('Patient'),
  id: z.string().optional(),
  identifier: z.array(identifier).optional(),
  name: z.array(z.looseObject({ text: z.string().optional(), family: z.string().optional(), given: z.array(z.string()).optional() })).optional(),
  birthDate: z.string().optional(),
});
export const fhirConsentSchema = z.looseObject({
  resourceType: z.literal('Consent'),
  id: z.string().optional(),
  identifier: z.array(identifier).optional(),
  status: z.enum(['draft', 'proposed', 'active', 'rejected', 'inactive', 'entered-in-error']),
  scope: concept.optional(),
  category: z.array(concept).optional(),
  patient: reference.optional(),
  dateTime: z.string().optional(),
  policyRule: concept.optional(),
  contained: z.array(z.unknown()).optional(),
  extension: z.array(z.looseObject({ url: z.string(), valueString: z.string().optional() })).optional(),
  provision: provision.optional(),
});
export type FhirConsent = z.infer<typeof fhirConsentSchema>;
// The schema's status codes are R4's, both ways: a change to either side fails to compile.
const statusesMatchR4: [FhirConsent['status'], Consent['status']] extends [Consent['status'], FhirConsent['status']] ? true : never = true;
void statusesMatchR4;

export type FhirMapping = { ok: true; drafts: ConsentDraft[] } | { ok: false; reason: string };

/** A provision expanding to more rules than this is refused (actors x purposes x categories x nesting). */
export const MAX_RULES_PER_CONSENT = 1000;

interface Grantee {
  kind: GranteeKind;
  id: string;
}
interface Scope {
  grantees: Grantee[] | null;
  purposes: string[] | null;
  categories: Category[] | null;
  start: number;
  end: number | null;
}
interface Rule {
  path: string;
  decision: Decision;
  grantee: Grantee;
  purpose: string;
  category: Category;
  start: number;
  end: number | null;
}

class MappingError extends Error {}
const fail = (message: string): never => {
  throw new MappingError(message);
};

export function facilityFromSystem(system: string): string {
  return system.startsWith(FHIR_SYSTEMS.facilityPrefix) ? system.slice(FHIR_SYSTEMS.facilityPrefix.length) : system;
}

/**
 * Actor roles that make the actor a grantee: the recipient of the information (v3 ParticipationType PRCP "primary
 * information recipient" and IRCP "information recipient"). R4 makes actor.role mandatory; a custodian (CST), author
 * (AUT), informant, verifier or any other role is a party to the consent, not whom it permits or denies.
 */
export const GRANTEE_ROLES: readonly string[] = ['PRCP', 'IRCP'];
/** The only scope Custodian imports: rules about who may see records (consentscope#patient-privacy). */
export const PRIVACY_SCOPE = 'patient-privacy';

type Actor = NonNullable<Provision['actor']>[number];

function roleCodes(actor: Actor): string[] {
  return (actor.role?.coding ?? []).filter((c) => c.code && (!c.system || c.system === FHIR_SYSTEMS.participationType)).map((c) => c.code!);
}

/** The grantees among a provision's actors (by role); null when it names none (then a parent's apply). */
function granteesOf(actors: Actor[], where: string): Grantee[] | null {
  const grantees: Grantee[] = [];
  const others: string[] = [];
  actors.forEach((a, i) => {
    const codes = roleCodes(a);
    if (!a.role) fail(`${where}.actor[${i}].role is required (FHIR R4: 1..1); the recipient has role IRCP or PRCP (v3-ParticipationType)`);
    if (codes.some((c) => GRANTEE_ROLES.includes(c))) grantees.push(granteeOf(a.reference, `${where}.actor[${i}]`));
    else others.push(`${where}.actor[${i}] (role ${codes.join('/') || a.role?.text || 'without a code'})`);
  });
  if (!grantees.length && others.length) {
    fail(`${others.join(', ')} ${others.length > 1 ? 'are' : 'is'} not a recipient of the information: only actors with role IRCP or PRCP are grantees; a custodian, author or other party is not whom the consent permits or denies`);
  }
  return grantees.length ? grantees : null;
}

function granteeOf(ref: z.infer<typeof reference>, where: string): Grantee {
  const id = ref.identifier;
  if (!id?.value) return fail(`${where} must identify the grantee by identifier (an NPI or an organization id)`);
  if (id.system === FHIR_SYSTEMS.npi) return { kind: 'npi', id: id.value };
  if (id.system === FHIR_SYSTEMS.organization || !id.system) return { kind: 'org', id: id.value };
  return { kind: 'org', id: `${id.system}|${id.value}` };
}

function categoriesOf(p: Provision, where: string): Category[] | null {
  const out = new Set<Category>();
  for (const [field, codings] of [['securityLabel', p.securityLabel], ['class', p.class]] as const) {
    for (const c of codings ?? []) {
      if (c.system === 'http://terminology.hl7.org/CodeSystem/v3-Confidentiality') continue; // a level, not a category
      const category = c.system === FHIR_SYSTEMS.category ? categoryOf(c.code ?? '') : c.system === FHIR_SYSTEMS.actCode ? V3_TO_CATEGORY[c.code ?? ''] : undefined;
      if (!category) return fail(`${where}.${field} ${c.system ?? ''}|${c.code ?? ''} is not a data category Custodian knows (${CATEGORIES.join(', ')})`);
      out.add(category);
    }
  }
  return out.size ? [...out] : null;
}

function scopeOf(p: Provision, parent: Scope, where: string, isRoot: boolean): Scope {
  const own: Scope = { ...parent };
  if (p.actor?.length) own.grantees = granteesOf(p.actor, where) ?? parent.grantees;
  if (p.purpose?.length) {
    own.purposes = p.purpose.map((c) => {
      if (!c.code || !purposeOf(c.code)) return fail(`${where}.purpose ${c.code ?? '(no code)'} is not a known purpose of use`);
      return purposeOf(c.code)!;
    });
  }
  own.categories = categoriesOf(p, where) ?? parent.categories;
  // A nested provision's period narrows its parent's.
  let ownStart: number | null = null;
  if (p.period?.start) {
    const b = parseBound(p.period.start, 'start');
    if (!b.ok) return fail(`${where}.period.start: ${b.reason}`);
    ownStart = b.value;
    own.start = Math.max(parent.start, b.value);
  }
  if (p.period?.end) {
    const b = parseBound(p.period.end, 'end');
    if (!b.ok) return fail(`${where}.period.end: ${b.reason}`);
    if (b.value <= (ownStart ?? (isRoot ? parent.start : -Infinity))) fail(`${where}.period ends before it starts`);
    own.end = parent.end === null ? b.value : Math.min(parent.end, b.value);
  }
  return own;
}

/** [start, end) minus [s, e): zero, one or two pieces. */
function subtract(start: number, end: number | null, s: number, e: number | null): [number, number | null][] {
  const out: [number, number | null][] = [];
  if (s > start) out.push([start, end === null ? s : Math.min(end, s)]);
  if (e !== null && (end === null || e < end)) out.push([Math.max(start, e), end]);
  return out.filter(([a, b]) => b === null || a < b);
}

const keyOf = (r: Pick<Rule, 'grantee' | 'purpose' | 'category'>) => `${r.grantee.kind}:${r.grantee.id}/${r.purpose}/${r.category}`;

function flatten(p: Provision, parent: Scope, decision: Decision | null, path: string, where: string, count: { n: number }): Rule[] {
  const scope = scopeOf(p, parent, where, path === '0');
  if (scope.end !== null && scope.end <= scope.start) return []; // a nested period entirely outside its parent's covers nothing
  const children = (p.provision ?? []).flatMap((child, i) => {
    if (!child.type) return fail(`${where}.provision[${i}].type is required: a nested provision must say permit or deny`);
    return flatten(child, scope, child.type, `${path}.${i}`, `${where}.provision[${i}]`, count);
  });
  const own: Rule[] = [];
  if (decision) {
    if (!scope.grantees) return fail(`${where} has no actor: name the grantee (NPI or organization) on it or a parent`);
    for (const grantee of scope.grantees) {
      for (const purpose of scope.purposes ?? ORDINARY_PURPOSES) {
        for (const category of scope.categories ?? (['general'] as Category[])) {
          // A nested provision overrides its parent for the same key where their periods meet.
          let pieces: [number, number | null][] = [[scope.start, scope.end]];
          const key = keyOf({ grantee, purpose, category });
          for (const c of children) if (keyOf(c) === key) pieces = pieces.flatMap(([a, b]) => subtract(a, b, c.start, c.end));
          for (const [start, end] of pieces) own.push({ path, decision, grantee, purpose, category, start, end });
        }
      }
    }
  }
  count.n += own.length;
  if (count.n > MAX_RULES_PER_CONSENT) fail(`the consent expands to more than ${MAX_RULES_PER_CONSENT} rules (actors x purposes x categories)`);
  return [...own, ...children];
}

function baseDecision(c: FhirConsent): Decision | null {
  for (const coding of c.policyRule?.coding ?? []) {
    if (coding.code === 'OPTIN' || coding.code === 'OPTINR') return 'permit';
    if (coding.code === 'OPTOUT' || coding.code === 'OPTOUTE') return 'deny';
  }
  return null;
}

function patientOf(c: FhirConsent): { facility: string; mrn: string; name: string | null; birthDate: string | null } {
  const ref = c.patient!;
  let id = ref.identifier;
  let name = ref.display ?? null;
  let birthDate: string | null = null;
  if (ref.reference?.startsWith('#')) {
    const contained = (c.contained ?? []).map((r) => patientResource.safeParse(r)).find((r) => r.success && r.data.id === ref.reference!.slice(1));
    if (!contained?.success) return fail(`patient.reference ${ref.reference} names no contained Patient`);
    const p = contained.data;
    id = p.identifier?.find((i) => i.value) ?? id;
    const n = p.name?.[0];
    // "Family, Given" as in the CSV template, when the name is not given as text.
    name = n?.text ?? ([n?.family, (n?.given ?? []).join(' ')].filter(Boolean).join(', ') || name);
    birthDate = p.birthDate ?? null;
  }
  if (!id?.value || !id.system) return fail('patient must carry an identifier with system (the facility) and value (the MRN)');
  return { facility: facilityFromSystem(id.system), mrn: id.value, name, birthDate };
}

/** Maps one resource to its consent rows, or the reason it is refused (naming the element). */
export function consentToDrafts(value: unknown): FhirMapping {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return { ok: false, reason: 'is not a FHIR resource (not a JSON object)' };
  const type = (value as { resourceType?: unknown }).resourceType;
  if (type !== 'Consent') return { ok: false, reason: typeof type === 'string' ? `is a ${type.slice(0, 40)}, not a Consent` : 'has no resourceType: not a FHIR resource' };
  const parsed = fhirConsentSchema.safeParse(value);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    return { ok: false, reason: `${issue.path.map(String).join('.') || 'Consent'}: ${issue.message}` };
  }
  const c = parsed.data;
  try {
    if (c.status === 'draft' || c.status === 'proposed') fail(`status is ${c.status}: a consent not yet in force is not imported`);
    // R4's ppc-2..ppc-5 as meant (validators never fire them): the patient, scope and category must be there.
    if (!c.patient) fail('patient is missing (a privacy or treatment consent must name its patient: ppc-2..ppc-5)');
    if (!c.scope?.coding?.some((x) => x.code) && !c.scope?.text) fail('scope is missing');
    const scopes = (c.scope?.coding ?? []).filter((x) => x.code).map((x) => x.code!);
    if (!(c.scope?.coding ?? []).some((x) => x.code === PRIVACY_SCOPE && (!x.system || x.system === FHIR_SYSTEMS.consentScope))) {
      fail(`scope is ${scopes.join(', ') || JSON.stringify(c.scope?.text ?? '')}: Custodian imports patient-privacy consents only (who may see a patient's records); a consent to treatment, research or an advance directive is not an access rule`);
    }
    if (!c.category?.length) fail('category is missing');
    if (!c.provision) fail('provision is missing: the consent grants or refuses nothing');
    if (c.provision!.type) fail("provision.type is not permitted on the root provision (R4: 'Not permitted in root rule'); give the base decision in policyRule (OPTIN or OPTOUT)");
    const patient = patientOf(c);
    const startText = c.provision!.period?.start ?? c.dateTime;
    if (!startText) fail('no start: give provision.period.start or dateTime');
    const start = parseBound(startText!, 'start');
    if (!start.ok) return fail(`${c.provision!.period?.start ? 'provision.period.start' : 'dateTime'}: ${start.reason}`);
    const root: Scope = { grantees: null, purposes: null, categories: null, start: start.value, end: null };
    const rules = flatten(c.provision!, root, baseDecision(c), '0', 'provision', { n: 0 });
    if (!rules.length) fail('the consent yields no rule: give a policyRule (OPTIN or OPTOUT) or nested provisions with a type');

    const rowId = c.identifier?.find((i) => i.system === FHIR_SYSTEMS.consentRow)?.value;
    const firstId = c.identifier?.find((i) => i.value && i.system !== FHIR_SYSTEMS.consentRow);
    const base = c.id ? `Consent/${c.id}` : firstId ? `${firstId.system ?? ''}|${firstId.value}` : null;
    const documentHash = c.extension?.find((e) => e.url === FHIR_SYSTEMS.documentHashExtension)?.valueString;
    const seen = new Map<string, number>();
    const drafts: ConsentDraft[] = [];
    for (const r of rules) {
      const tag = `${r.path}/${keyOf(r)}`;
      const piece = seen.get(tag) ?? 0;
      seen.set(tag, piece + 1);
      const externalId = rowId && rules.length === 1 ? rowId : base ? `${base}#${tag}${piece ? `@${piece}` : ''}` : null;
      const checked = validateConsentFields({
        external_id: externalId ?? '',
        facility: patient.facility,
        mrn: patient.mrn,
        patient_name: patient.name ?? '',
        birth_date: patient.birthDate ?? '',
        grantee: r.grantee.id,
        grantee_kind: r.grantee.kind,
        decision: c.status === 'rejected' ? 'deny' : r.decision,
        purpose: r.purpose,
        category: r.category,
        period_start: formatStart(r.start),
        period_end: r.end === null ? '' : formatEnd(r.end),
        document_hash: documentHash ?? '',
      });
      if (!checked.ok) return fail(`provision ${r.path} (${keyOf(r)}): ${describeProblems(checked.problems)}`);
      const inForce = c.status === 'active' || c.status === 'rejected';
      drafts.push({ ...checked.draft, status: inForce ? 'active' : 'revoked', revokedReason: inForce ? null : `FHIR status ${c.status}` });
    }
    return { ok: true, drafts };
  } catch (err) {
    if (err instanceof MappingError) return { ok: false, reason: err.message };
    throw err;
  }
}
