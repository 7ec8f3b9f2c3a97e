import { describe, expect, it } from 'vitest';
import { EMPTY_FILTER, filterFromQuery, isEmptyFilter, localDayStart, queryFromFilter, toApiFilter } from './filters';

describe('audit filters', () => {
  it('round-trips through the address', () => {
    const form = { patientId: '1042', actorId: 'a1b2', action: 'auth.login', from: '2026-11-01', to: '2026-11-24' };
    const query = queryFromFilter(form);
    expect(query).toEqual({ patient: '1042', staff: 'a1b2', action: 'auth.login', from: '2026-11-01', to: '2026-11-24' });
    expect(filterFromQuery(new URLSearchParams(query as Record<string, string>))).toEqual(form);
    expect(queryFromFilter(EMPTY_FILTER)).toEqual({});
    expect(isEmptyFilter(filterFromQuery(new URLSearchParams('')))).toBe(true);
  });

  it('sends whole local days: from local midnight to the last millisecond of the end day', () => {
    const result = toApiFilter({ ...EMPTY_FILTER, from: '2026-03-07', to: '2026-03-08' });
    expect(result.ok).toBe(true);
    if (!result.ok) return;
    expect(new Date(result.filter.from!).getTime()).toBe(new Date(2026, 2, 7, 0, 0, 0, 0).getTime());
    expect(new Date(result.filter.to!).getTime()).toBe(new Date(2026, 2, 9, 0, 0, 0, 0).getTime() - 1);
    expect(result.filter.from).toMatch(/Z$/);
  });

  it.each([
    [{ patientId: 'abc' }, 'patientId'],
    [{ patientId: '0' }, 'patientId'],
    [{ patientId: '12.5' }, 'patientId'],
    [{ from: '2026-02-30' }, 'from'],
    [{ from: '2026-05-02', to: '2026-05-01' }, 'to'],
  ])('refuses %j, naming %s', (partial, field) => {
    const result = toApiFilter({ ...EMPTY_FILTER, ...partial });
    expect(result.ok).toBe(false);
    if (!result.ok) expect(Object.keys(result.errors)).toEqual([field]);
  });

  it('passes ids and actions through, trimmed', () => {
    expect(toApiFilter({ ...EMPTY_FILTER, patientId: ' 7 ', actorId: ' x ', action: ' staff.create ' })).toEqual({
      ok: true,
      filter: { patientId: 7, actorId: 'x', action: 'staff.create' },
    });
  });

  it('reads only real calendar days', () => {
    expect(localDayStart('2024-02-29')).not.toBeNull();
    expect(localDayStart('2023-02-29')).toBeNull();
    expect(localDayStart('24-02-01')).toBeNull();
  });
});
