import { describe, expect, it } from 'vitest';
import { describeSource } from './labels';
import { EMPTY_FILTER, filterFromQuery, isEmptyFilter, queryFromFilter, toApiFilter } from './filters';

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
