import { describe, expect, it } from 'vitest';
import { hrefFor, parseHash } from './router';

describe('hash routes', () => {
  it.each([
    ['', '', ''],
    ['#/', '', ''],
    ['#/audit', 'audit', ''],
    ['#/settings/staff', 'settings', 'staff'],
    ['#/audit?action=auth.login&patient=3', 'audit', ''],
    ['#/audit/break-glass?x=1', 'audit', 'break-glass'],
  ])('%j is page %j, sub %j', (hash, page, sub) => {
    const loc = parseHash(hash);
    expect(loc.page).toBe(page);
    expect(loc.sub).toBe(sub);
  });

  it('keeps the query', () => {
    expect(parseHash('#/audit?action=auth.login&patient=3').query.get('patient')).toBe('3');
  });

  it('builds addresses, leaving out empty values', () => {
    expect(hrefFor('audit')).toBe('#/audit');
    expect(hrefFor('settings', 'staff')).toBe('#/settings/staff');
    expect(hrefFor('audit', undefined, { action: 'auth.login', patient: '', staff: undefined })).toBe('#/audit?action=auth.login');
  });
});
