// Minimum necessary (HIPAA 164.502(b)), in one place for every transport: the dispatcher passes each answer through
// shapeAnswer, which withholds patient identity from callers without patients.view and names the patients shown.
import type { ImportPreview } from '../api/imports';
import type { ChannelName } from '../api';
import { ROLE_PERMISSIONS, type Principal } from '../api/permissions';

/** What stands in for an identity value inside free text (messages, preview cells) once it is withheld. */
export const WITHHELD = '(withheld)';

/**
 * Where patients appear in a channel's answer. `path`: dot-separated keys, `[]` for each element of an array ('' is
 * the answer itself). `id`: the key of the local patient id in that object. `identity`: its keys that identify the
 * patient (name, MRN, birth date, diagnosis and service codes); they become null for callers without patients.view.
 */
export interface PatientSpot {
  path: string;
  id?: string;
  identity?: readonly string[];
}

export interface ChannelPatients {
  spots: readonly PatientSpot[];
  /** A reading of patient records: its audit entry lists the patients shown (details.patientIds). */
  phiRead: boolean;
  /** Input fields that search by identity (a name or an MRN): refused to callers without patients.view. */
  identityInputs?: readonly string[];
  /** A file of rows as read (rejects): identity throughout, so callers without patients.view are refused it. */
  fileOfIdentity?: boolean;
  /** Answers whose identity is not in fixed fields (an import preview's cells). */
  custom?: (value: unknown, withhold: boolean) => { value: unknown; identityValues: string[] };
}

const consentPatient: PatientSpot = { path: 'patient', id: 'id', identity: ['mrn', 'name'] };
const claimSpots = (at: string): PatientSpot[] => [
  { path: at ? `${at}.patient` : 'patient', id: 'id', identity: ['mrn'] },
  { path: at, identity: ['codes'] },
];

/** Every channel whose answer can carry a patient. The attacker test (minimum-necessary.test.ts) holds it complete. */
export const PATIENT_CHANNELS: Partial<Record<ChannelName, ChannelPatients>> = {
  'consents.list': { spots: [{ ...consentPatient, path: 'rows[].patient' }], phiRead: true, identityInputs: ['search'] },
  'consents.get': { spots: [consentPatient], phiRead: true },
  'consents.grant': { spots: [consentPatient], phiRead: true },
  'consents.supersede': { spots: [consentPatient], phiRead: true },
  'consents.revoke': { spots: [consentPatient], phiRead: true },
  // A proof bundle names the patient by pseudonym only; the handler names the patient id for the audit entry.
  'consents.proof': { spots: [], phiRead: true },
  // The preview names the patients it would change (withheld without patients.view); the revoke and its undo name
  // them in their audit entries themselves (details.patientIds).
  'consents.bulkRevokePreview': { spots: [{ path: 'patients.shown[]', id: 'id', identity: ['mrn', 'name'] }], phiRead: true },
  'patients.search': { spots: [{ path: '[]', id: 'id', identity: ['mrn', 'name', 'birthDate'] }], phiRead: true, identityInputs: ['query'] },
  'claims.list': { spots: claimSpots('rows[]'), phiRead: true },
  'claims.get': { spots: claimSpots(''), phiRead: true },
  'claims.check': { spots: claimSpots('stored'), phiRead: true },
  'sharing.requests': { spots: [{ path: '[]', id: 'patientId' }], phiRead: true },
  'sharing.request': { spots: [{ path: '', id: 'patientId' }], phiRead: true },
  'audit.disclosures': { spots: [{ path: 'patient', id: 'id', identity: ['mrn', 'name', 'birthDate'] }], phiRead: true },
  'imports.rejectsFile': { spots: [], phiRead: true, fileOfIdentity: true },
  'imports.saveRejects': { spots: [], phiRead: true, fileOfIdentity: true },
  'imports.preview': { spots: [], phiRead: true, custom: (value, withhold) => shapePreview(value as ImportPreview, withhold) },
};

export function canSeeIdentity(principal: Principal): boolean {
  return principal.role !== 'anonymous' && ROLE_PERMISSIONS[principal.role].has('patients.view');
}

/**
 * Why this call may not run for this caller, or null: it searches by identity (a name or an MRN) or asks for a file
 * of identity, and the caller lacks patients.view.
 */
export function identityRefusal(channel: ChannelName, input: unknown, principal: Principal): { fields: string[]; message: string } | null {
  const declared = PATIENT_CHANNELS[channel];
  if (!declared || canSeeIdentity(principal)) return null;
  if (declared.fileOfIdentity) return { fields: [], message: `Your role (${principal.role}) may not download rows with patient identity (${channel}) without patients.view.` };
  const fields = (declared.identityInputs ?? []).filter((f) => input !== null && typeof input === 'object' && (input as Record<string, unknown>)[f] !== undefined);
  if (!fields.length) return null;
  return { fields, message: `Your role (${principal.role}) may not search by patient identity (${fields.join(', ')}) without patients.view; filter by patient number instead.` };
}

type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null;

/** Every object at `path` below `root`. */
function objectsAt(root: unknown, path: string): Obj[] {
  let level: unknown[] = [root];
  for (const segment of path.split('.').filter(Boolean)) {
    const key = segment.endsWith('[]') ? segment.slice(0, -2) : segment;
    const next: unknown[] = [];
    for (const v of level) {
      const child = key === '' ? v : isObj(v) ? v[key] : undefined;
      if (segment.endsWith('[]')) {
        if (Array.isArray(child)) next.push(...child);
      } else if (child !== undefined) next.push(child);
    }
    level = next;
  }
  return level.filter(isObj);
}

function identityStrings(value: unknown, into: string[]): void {
  if (typeof value === 'string' && value.trim().length >= 2) into.push(value);
  else if (Array.isArray(value)) for (const v of value) identityStrings(v, into);
}

const escapeRegExp = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

/** Replaces every withheld value wherever it still appears as text (a reason, a message, an echoed subject). */
function scrub(value: unknown, pattern: RegExp | null): unknown {
  if (!pattern) return value;
  if (typeof value === 'string') return value.replace(pattern, WITHHELD);
  if (Array.isArray(value)) return value.map((v) => scrub(v, pattern));
  if (isObj(value)) return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, scrub(v, pattern)]));
  return value;
}

export interface ShapedAnswer {
  value: unknown;
  /** The local ids of the patients this answer shows, ascending. */
  patientIds: number[];
  phiRead: boolean;
}

/**
 * The answer as this caller may see it. Without patients.view every identity field is null and any other text of
 * the answer that repeats one of those values shows WITHHELD instead; the patient id (the local patient number)
 * stays, so the caller can still tell records apart and a records manager can look the patient up.
 */
export function shapeAnswer(channel: ChannelName, value: unknown, principal: Principal): ShapedAnswer {
  const declared = PATIENT_CHANNELS[channel];
  if (!declared) return { value, patientIds: [], phiRead: false };
  const withhold = !canSeeIdentity(principal);
  // Work on a copy: handlers may return objects they keep (caches, job state).
  let shaped: unknown = value === undefined ? value : structuredClone(value);
  const ids = new Set<number>();
  const withheld: string[] = [];
  for (const spot of declared.spots) {
    for (const obj of objectsAt(shaped, spot.path)) {
      const id = spot.id ? obj[spot.id] : undefined;
      if (typeof id === 'number') ids.add(id);
      if (!withhold) continue;
      for (const key of spot.identity ?? []) {
        if (!(key in obj)) continue;
        identityStrings(obj[key], withheld);
        obj[key] = null;
      }
    }
  }
  if (declared.custom) {
    const custom = declared.custom(shaped, withhold);
    shaped = custom.value;
    withheld.push(...custom.identityValues);
  }
  if (withhold && withheld.length) {
    const unique = [...new Set(withheld)].sort((a, b) => b.length - a.length);
    // Whole values only (not inside a longer word or a hash: a code "99213" may occur in a content hash's hex).
    shaped = scrub(shaped, new RegExp(`(?<![\\p{L}\\p{N}])(?:${unique.map(escapeRegExp).join('|')})(?![\\p{L}\\p{N}])`, 'gu'));
  }
  return { value: shaped, patientIds: [...ids].sort((a, b) => a - b), phiRead: declared.phiRead };
}

/**
 * An import preview without identity: CSV cells are kept only in columns mapped to a consent field that does not
 * identify the patient (the ignored columns may hold anything); FHIR summaries name rules, never patients.
 */
const PREVIEW_IDENTITY_COLUMNS = new Set(['mrn', 'patient_name', 'birth_date']);

function shapePreview(preview: ImportPreview, withhold: boolean): { value: ImportPreview; identityValues: string[] } {
  if (!withhold || !preview || !Array.isArray(preview.rows)) return { value: preview, identityValues: [] };
  const keep = preview.columns.map((c) => c.mappedTo !== null && !PREVIEW_IDENTITY_COLUMNS.has(c.mappedTo));
  const identityValues: string[] = [];
  const rows = preview.rows.map((row) =>
    row.map((cell, i) => {
      if (keep[i]) return cell;
      identityStrings(cell, identityValues);
      return WITHHELD;
    }),
  );
  return { value: { ...preview, rows }, identityValues };
}
