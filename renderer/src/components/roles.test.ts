import { describe, expect, it } from 'vitest';
import { PERMISSIONS, ROLES } from '../../../main/api/permissions';
import { PERMISSION_GROUPS, PERMISSION_LABELS, ROLE_DESCRIPTIONS, roleChange } from './roles';

describe('roles as staff read them', () => {
  it('lists every permission exactly once in the reference table', () => {
    const listed = PERMISSION_GROUPS.flatMap((g) => g.permissions);
    expect([...listed].sort()).toEqual([...PERMISSIONS].sort());
    for (const p of PERMISSIONS) expect(PERMISSION_LABELS[p]).toBeTruthy();
    for (const r of ROLES) expect(ROLE_DESCRIPTIONS[r]).toBeTruthy();
  });

  it('says what a role change gains and loses', () => {
    const change = roleChange('records_clerk', 'auditor');
    expect(change.gains).toContain('audit.view');
    expect(change.loses).toEqual(expect.arrayContaining(['patients.view', 'consents.grant']));
    expect(roleChange('auditor', 'auditor')).toEqual({ gains: [], loses: [] });
  });
});
