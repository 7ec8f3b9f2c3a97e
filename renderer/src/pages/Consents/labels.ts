// The consent vocabularies as records staff read them: HL7 v3 purpose-of-use codes with their meaning, data
// categories, statuses with colours, and the source of a consent (an import run or a staff member).
import { PURPOSE_LABELS, type CategoryCode, type ConsentDecision, type ConsentStatusName, type PurposeCode } from '../../../../main/api/consents';

// Purposes read the same on screen as in main's reasons and exports.
export { PURPOSE_LABELS };

export const CATEGORY_LABELS: Record<CategoryCode, string> = {
  general: 'General',
  'mental-health': 'Mental health',
  'substance-use': 'Substance use',
  HIV: 'HIV',
  genetic: 'Genetic',
  reproductive: 'Reproductive health',
};

export const STATUS_LABELS: Record<ConsentStatusName, string> = {
  active: 'Active',
  revoked: 'Revoked',
  expired: 'Expired',
  superseded: 'Superseded',
};

export const STATUS_COLORS: Record<ConsentStatusName, string> = {
  active: 'teal',
  revoked: 'red',
  expired: 'gray',
  superseded: 'gray',
};

export const DECISION_COLORS: Record<ConsentDecision, string> = { permit: 'teal', deny: 'red' };

/** "TREAT — Treatment", for select options. */
export function purposeOption(code: PurposeCode): { value: string; label: string } {
  return { value: code, label: `${code} — ${PURPOSE_LABELS[code]}` };
}

export function categoryOption(code: CategoryCode): { value: string; label: string } {
  return { value: code, label: CATEGORY_LABELS[code] };
}

/** "2024-01-01 → 2026-12-31", "2024-01-01 → open-ended"; date-times keep their UTC form (they were imported so). */
export function describePeriod(start: string, end: string | null): string {
  return `${start} → ${end ?? 'open-ended'}`;
}

/** The source of a consent or history entry: "import:12" is import #12; a staff id is the signed-in person or short. */
export function describeSource(source: string, me: { id: string; name: string } | null): string {
  const m = /^import:(\d+)$/.exec(source);
  if (m) return `Import #${m[1]}`;
  // Staff appear as their id, bare or as "staff:<id>" (main does not give other staff members' names to every role).
  const id = source.startsWith('staff:') ? source.slice('staff:'.length) : source;
  if (me && id === me.id) return `${me.name} (you)`;
  if (/^[0-9a-f]{8}-[0-9a-f]{4}-/i.test(id)) return `Staff ${id.slice(0, 8)}`;
  return source;
}

/** True for a value that names a staff member or an import (shown through describeSource). */
export function isSourceLike(value: string): boolean {
  return /^(import:\d+|(staff:)?[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12})$/i.test(value);
}

/** "Roe, Jane", or "(no name on file)". */
export function patientName(name: string | null): string {
  return name ?? '(no name on file)';
}

/** Main withholds identity (MRN null) from roles without patients.view: they see the patient number instead. */
export function patientTitle(p: { id: number | null; name: string | null; mrn: string | null }): string {
  if (p.mrn === null) return p.id === null ? 'Patient not on file' : `Patient no. ${p.id}`;
  return patientName(p.name);
}

/** The line under a patient's name: facility and MRN, or the patient number where identity is withheld. */
export function patientRef(p: { id: number | null; facility: string; mrn: string | null }): string {
  if (p.mrn === null) return `${p.facility} · patient no. ${p.id ?? '(not on file)'} · identity withheld`;
  return `${p.facility} · MRN ${p.mrn}${p.id === null ? '' : ` · patient no. ${p.id}`}`;
}
