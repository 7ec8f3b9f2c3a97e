import { describe, expect, it } from 'vitest';
import { describeSource } from './labels';
import { EMPTY_FILTER, filterFromQuery, isEmptyFilter, nextSort, queryFromFilter, queryFromSort, sortFromQuery, toApiFilter } from './filters';

describe('consent filters', () => {
  it('round-trips through the address', () => {
    const form = { ...EMPTY_FILTER, search: 'MRN0042', purpose: 'TREAT', status: 'active', patientId: '7' };
    expect(filterFromQuery(new URLSearchParams(queryFromFilter(form) as Record<string, string>))).toEqual(form);
  });

  it('drops unknown codes and bad ids instead of sending them', () => {
    const form = filterFromQuery(new URLSearchParams('purpose=TREATMENT&category=x&status=gone&patientId=-3&grantee=%20ACME%20'));
    expect(form).toEqual({ ...EMPTY_FILTER, grantee: 'ACME' });
    expect(toApiFilter(form)).toEqual({ grantee: 'ACME' });
  });

  it('sends only what is set', () => {
    expect(toApiFilter(EMPTY_FILTER)).toEqual({});
    expect(isEmptyFilter(EMPTY_FILTER)).toBe(true);
    expect(toApiFilter({ ...EMPTY_FILTER, patientId: '12', category: 'HIV' })).toEqual({ patientId: 12, category: 'HIV' });
  });
});

describe('consent sort in the address', () => {
  it('round-trips beside the filters, which it leaves alone', () => {
    const form = { ...EMPTY_FILTER, purpose: 'TREAT', search: 'smith' };
    for (const sort of [{ column: 'grantee', direction: 'asc' }, { column: 'periodStart', direction: 'desc' }] as const) {
      const query = new URLSearchParams({ ...queryFromFilter(form), ...queryFromSort(sort) } as Record<string, string>);
      expect(query.get('sort')).toBe(`${sort.column}.${sort.direction}`);
      expect(sortFromQuery(query)).toEqual(sort);
      expect(filterFromQuery(query)).toEqual(form);
      expect(isEmptyFilter(filterFromQuery(new URLSearchParams(queryFromSort(sort) as Record<string, string>)))).toBe(true);
    }
    expect(queryFromSort(null)).toEqual({});
    expect(sortFromQuery(new URLSearchParams('purpose=TREAT'))).toBeNull();
  });

  it('drops an unknown column or direction instead of sending it', () => {
    for (const bad of ['patientName.asc', 'grantee.up', 'grantee', '.asc', 'grantee.asc.x', 'id;drop.asc']) expect(sortFromQuery(new URLSearchParams({ sort: bad })), bad).toBeNull();
  });

  it('cycles a header: ascending, descending, back to newest first', () => {
    const asc = nextSort(null, 'grantee');
    expect(asc).toEqual({ column: 'grantee', direction: 'asc' });
    expect(nextSort(asc, 'grantee')).toEqual({ column: 'grantee', direction: 'desc' });
    expect(nextSort({ column: 'grantee', direction: 'desc' }, 'grantee')).toBeNull();
    expect(nextSort({ column: 'grantee', direction: 'desc' }, 'periodStart')).toEqual({ column: 'periodStart', direction: 'asc' });
  });
});

describe('describeSource', () => {
  it('names imports and staff', () => {
    const id = '0c6f2a43-1b5e-4a5e-9d7e-0f3b0b0b0b0b';
    expect(describeSource('import:12', null)).toBe('Import #12');
    expect(describeSource(id, { id, name: 'Mae Manager' })).toBe('Mae Manager (you)');
    expect(describeSource(id, null)).toBe('Staff 0c6f2a43');
    expect(describeSource(`staff:${id}`, { id, name: 'Mae Manager' })).toBe('Mae Manager (you)');
    expect(describeSource(`staff:${id}`, null)).toBe('Staff 0c6f2a43');
  });
});
