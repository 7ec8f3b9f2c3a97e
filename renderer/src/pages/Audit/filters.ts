// The Audit page's filters: as typed in the form, as kept in the address (#/audit?patient=…), and as sent to main.
// Dates are whole days in the workstation's local time — what a person means by "on the 3rd" — sent as instants.
import type { AuditFilter } from '../../../../main/api/audit';

export interface FilterForm {
  patientId: string;
  actorId: string;
  action: string;
  /** YYYY-MM-DD (an <input type="date"> value), local time. */
  from: string;
  to: string;
}

export const EMPTY_FILTER: FilterForm = { patientId: '', actorId: '', action: '', from: '', to: '' };

const QUERY_KEYS: Record<keyof FilterForm, string> = { patientId: 'patient', actorId: 'staff', action: 'action', from: 'from', to: 'to' };

export function filterFromQuery(query: URLSearchParams): FilterForm {
  const form = { ...EMPTY_FILTER };
  for (const [field, key] of Object.entries(QUERY_KEYS) as [keyof FilterForm, string][]) form[field] = query.get(key) ?? '';
  return form;
}

export function queryFromFilter(form: FilterForm): Record<string, string | undefined> {
  const query: Record<string, string | undefined> = {};
  for (const [field, key] of Object.entries(QUERY_KEYS) as [keyof FilterForm, string][]) {
    const value = form[field].trim();
    if (value) query[key] = value;
  }
  return query;
}

const DATE = /^(\d{4})-(\d{2})-(\d{2})$/;

/** Local midnight of a YYYY-MM-DD day, or null when it is not a real date. */
export function localDayStart(day: string): Date | null {
  const m = DATE.exec(day);
  if (!m) return null;
  const [y, mo, d] = [Number(m[1]), Number(m[2]), Number(m[3])];
  const date = new Date(y, mo - 1, d);
  return date.getFullYear() === y && date.getMonth() === mo - 1 && date.getDate() === d ? date : null;
}

export type FilterResult = { ok: true; filter: AuditFilter } | { ok: false; errors: Partial<Record<keyof FilterForm, string>> };

/** The filter main expects, or the fields that are wrong. `to` covers its whole local day. */
export function toApiFilter(form: FilterForm): FilterResult {
  const errors: Partial<Record<keyof FilterForm, string>> = {};
  const filter: AuditFilter = {};
  const patient = form.patientId.trim();
  if (patient) {
    if (!/^\d+$/.test(patient) || Number(patient) < 1 || !Number.isSafeInteger(Number(patient))) errors.patientId = 'A patient id is a whole number, e.g. 1042.';
    else filter.patientId = Number(patient);
  }
  if (form.actorId.trim()) filter.actorId = form.actorId.trim();
  if (form.action.trim()) filter.action = form.action.trim();
  const from = form.from ? localDayStart(form.from) : null;
  const to = form.to ? localDayStart(form.to) : null;
  if (form.from && !from) errors.from = 'Not a date.';
  if (form.to && !to) errors.to = 'Not a date.';
  if (from && to && from > to) errors.to = 'The end date is before the start date.';
  if (from) filter.from = from.toISOString();
  // The last millisecond of the day: main treats a date-time `to` as inclusive.
  if (to) filter.to = new Date(new Date(to.getFullYear(), to.getMonth(), to.getDate() + 1).getTime() - 1).toISOString();
  return Object.keys(errors).length > 0 ? { ok: false, errors } : { ok: true, filter };
}

export function isEmptyFilter(form: FilterForm): boolean {
  return Object.values(form).every((v) => v.trim() === '');
}
