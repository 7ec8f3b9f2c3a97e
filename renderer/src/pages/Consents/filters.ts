// The consents filter as the address keeps it (#/consents?purpose=TREAT&search=MRN0042): parsed defensively
// (an unknown code is dropped, not sent), and turned into the consents.list filter.
import { CATEGORIES, CONSENT_SORT_COLUMNS, CONSENT_STATUSES, PURPOSES, type ConsentFilter, type ConsentSort, type ConsentSortColumn } from '../../../../main/api/consents';

export interface FilterForm {
  search: string;
  patientId: string;
  grantee: string;
  purpose: string;
  category: string;
  status: string;
}

export const EMPTY_FILTER: FilterForm = { search: '', patientId: '', grantee: '', purpose: '', category: '', status: '' };

const KEYS = Object.keys(EMPTY_FILTER) as (keyof FilterForm)[];

export function filterFromQuery(query: URLSearchParams): FilterForm {
  const form = { ...EMPTY_FILTER };
  for (const key of KEYS) form[key] = (query.get(key) ?? '').trim();
  if (!/^\d{1,15}$/.test(form.patientId) || Number(form.patientId) < 1) form.patientId = '';
  if (!(PURPOSES as readonly string[]).includes(form.purpose)) form.purpose = '';
  if (!(CATEGORIES as readonly string[]).includes(form.category)) form.category = '';
  if (!(CONSENT_STATUSES as readonly string[]).includes(form.status)) form.status = '';
  form.search = form.search.slice(0, 100);
  form.grantee = form.grantee.slice(0, 128);
  return form;
}

export function queryFromFilter(form: FilterForm): Record<string, string | undefined> {
  const out: Record<string, string | undefined> = {};
  for (const key of KEYS) {
    const v = form[key].trim();
    if (v) out[key] = v;
  }
  return out;
}

export function toApiFilter(form: FilterForm): ConsentFilter {
  const filter: ConsentFilter = {};
  const search = form.search.trim();
  const grantee = form.grantee.trim();
  if (search) filter.search = search;
  if (form.patientId) filter.patientId = Number(form.patientId);
  if (grantee) filter.grantee = grantee;
  if (form.purpose) filter.purpose = form.purpose as ConsentFilter['purpose'];
  if (form.category) filter.category = form.category as ConsentFilter['category'];
  if (form.status) filter.status = form.status as ConsentFilter['status'];
  return filter;
}

export function isEmptyFilter(form: FilterForm): boolean {
  return KEYS.every((k) => form[k].trim() === '');
}

/** The table's sort as the address keeps it beside the filters (sort=grantee.asc); anything else reads as no sort. */
export function sortFromQuery(query: URLSearchParams): ConsentSort | null {
  const m = /^(\w+)\.(asc|desc)$/.exec(query.get('sort') ?? '');
  if (!m || !(CONSENT_SORT_COLUMNS as readonly string[]).includes(m[1]!)) return null;
  return { column: m[1] as ConsentSortColumn, direction: m[2] as ConsentSort['direction'] };
}

export function queryFromSort(sort: ConsentSort | null): Record<string, string | undefined> {
  return sort ? { sort: `${sort.column}.${sort.direction}` } : {};
}

/** A header click: ascending, then descending, then back to the default (newest first). */
export function nextSort(current: ConsentSort | null, column: ConsentSortColumn): ConsentSort | null {
  if (current?.column !== column) return { column, direction: 'asc' };
  return current.direction === 'asc' ? { column, direction: 'desc' } : null;
}
