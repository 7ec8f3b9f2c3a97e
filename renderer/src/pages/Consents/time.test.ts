import { describe, expect, it } from 'vitest';
import { localToIso } from './time';

describe('localToIso', () => {
  it('reads a local date, or date and time', () => {
    expect(localToIso('2025-11-24')).toBe(new Date(2025, 10, 24).toISOString());
    expect(localToIso('2025-11-24 09:30')).toBe(new Date(2025, 10, 24, 9, 30).toISOString());
    expect(localToIso(' 2025-11-24T09:30:15 ')).toBe(new Date(2025, 10, 24, 9, 30, 15).toISOString());
  });
  it('refuses impossible dates and other forms', () => {
    expect(localToIso('2024-02-30')).toBeNull();
    expect(localToIso('2025-11-24 25:00')).toBeNull();
    expect(localToIso('11/24/2025')).toBeNull();
  });
});
