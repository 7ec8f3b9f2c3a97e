import { describe, expect, it } from 'vitest';
import { formatAge, formatBytes, formatCount, formatDate, formatDateTime, formatDuration, humanizeKind, humanizeRole } from './format';

describe('format', () => {
  it('formats a day with its whole year in every locale, never a slice of the date and time', () => {
    // Midday UTC: the same calendar day in every time zone from UTC-11 to UTC+11.
    const d = new Date(Date.UTC(2026, 11, 7, 12, 0, 0));
    expect(formatDate(d, 'en-US')).toBe('Dec 7, 2026');
    expect(formatDate(d, 'de-DE')).toMatch(/^7\. Dez\.? 2026$/);
    expect(formatDate(d, 'fr-FR')).toMatch(/^7 déc\.? 2026$/);
    expect(formatDate('2026-12-07T12:00:00.000Z', 'en-US')).toBe('Dec 7, 2026');
    expect(formatDate(null)).toBe('—');
    expect(formatDate('not a date')).toBe('not a date');
  });

  it.each([
    ['import.csv', 'Import · CSV'],
    ['credentials.bulk-verify', 'Credentials · Bulk verify'],
    ['consent.granted', 'Consent · Granted'],
    ['audit_entry', 'Audit entry'],
  ])('humanizeKind(%s) = %s', (kind, expected) => expect(humanizeKind(kind)).toBe(expected));

  it.each([
    [0, '0 B'],
    [1023, '1023 B'],
    [98_304, '96 KB'],
    [1_572_864, '1.5 MB'],
    [-1, '—'],
  ])('formatBytes(%d) = %s', (n, expected) => expect(formatBytes(n)).toBe(expected));

  it.each([
    [5, '5 s'],
    [200, '3 min 20 s'],
    [7260, '2 h 1 min'],
  ])('formatDuration(%d) = %s', (s, expected) => expect(formatDuration(s)).toBe(expected));

  it('formats dates in the given locale with the month as a word and the time zone, and absent ones as a dash', () => {
    const d = new Date(Date.UTC(2025, 0, 2, 3, 4, 5));
    const en = formatDateTime(d, 'en-US');
    expect(en).toMatch(/Jan/);
    expect(en).toMatch(/2025/);
    expect(en).toMatch(/:\d\d:05/);
    // The zone is named (UTC, GMT+1, CET…), whatever the machine's zone is.
    expect(en).toMatch(/(UTC|GMT|[A-Z]{2,5})[+-]?\d*\s*$/);
    expect(formatDateTime(d, 'de-DE')).toMatch(/Jan\.?\s2025/);
    expect(formatDateTime(d, 'fr-FR')).toMatch(/janv\./);
    expect(formatDateTime(null)).toBe('—');
    expect(formatDateTime('not a date')).toBe('not a date');
  });

  it.each([
    ['en-US', '1,234,567'],
    ['de-DE', '1.234.567'],
    ['en-IN', '12,34,567'],
  ])('formatCount in %s groups as %s', (locale, expected) => expect(formatCount(1_234_567, locale)).toBe(expected));

  it.each([
    ['records_manager', 'Records manager'],
    ['it_admin', 'IT administrator'],
    ['night_shift_lead', 'Night shift lead'],
  ])('humanizeRole(%s) = %s', (role, expected) => expect(humanizeRole(role)).toBe(expected));

  // main/api/age.ts: the same words main puts in an access decision's reason.
  it.each([
    [0, '0 s'],
    [40, '40 s'],
    [59, '59 s'],
    [60, '1 min'],
    [12 * 60 + 5, '12 min'],
    [3600, '1 h 0 min'],
    [3 * 3600 + 5 * 60, '3 h 5 min'],
    [47 * 3600 + 59 * 60, '47 h 59 min'],
    [48 * 3600, '2 days 0 h'],
    [52 * 3600, '2 days 4 h'],
  ])('formatAge(%d) = %s', (n, expected) => expect(formatAge(n)).toBe(expected));
});
