// systemAudit: the one door for entries written outside the dispatcher. Its entries are the trail's ordinary
// hash-chained entries (identical to what recordAudit wrote for the same facts), and it refuses an action outside
// its table or an actor of the wrong kind, even when a caller casts past the types.
import { afterEach, describe, expect, it } from 'vitest';
import { createTestDb, type TestDb } from './test-support';
import { SYSTEM_AUDIT_ACTIONS, systemAudit, type SystemAuditEntry } from './system-audit';
import { recordAudit } from './trail';
import { findFirstTamper } from './trail-scan';
import type { AuditEntry } from './trail';

const dbs: TestDb[] = [];
const fresh = () => {
  const t = createTestDb('custodian-system-audit-');
  dbs.push(t);
  return t;
};
afterEach(() => {
  for (const t of dbs.splice(0)) t.cleanup();
});

const at = new Date('2026-01-02T03:04:05.000Z');
const clerk = { id: 'staff-1', name: 'Clerk One', role: 'records_clerk' };

describe('systemAudit', () => {
  it('writes the same hash-chained entry recordAudit wrote for the same facts', () => {
    const a = fresh();
    const b = fresh();
    const viaApi = [
      systemAudit(a.db, { action: 'sharing.agreement.reorg', subject: 'agreement:0x1', details: { status: 'active', partnerSigned: true }, at }),
      systemAudit(a.db, { actor: clerk, action: 'sharing.release', outcome: 'failure', patientId: 7, subject: 'release:r1', details: { error: 'SHARING_RELEASE_WRITE_FAILED', reason: 'EACCES' }, at }),
    ];
    const direct = [
      recordAudit(b.db, { actor: null, action: 'sharing.agreement.reorg', outcome: 'success', subject: 'agreement:0x1', details: { partnerSigned: true, status: 'active' }, at }),
      recordAudit(b.db, { actor: clerk, action: 'sharing.release', outcome: 'failure', patientId: 7, subject: 'release:r1', details: { error: 'SHARING_RELEASE_WRITE_FAILED', reason: 'EACCES' }, at }),
    ];
    expect(viaApi).toEqual(direct);
    const rows = (t: TestDb) => t.db.prepare('SELECT actor_id, action, outcome, patient_id, subject, details, prev_hash, hash FROM audit_log ORDER BY id').all();
    expect(rows(a)).toEqual(rows(b));
    const scan = findFirstTamper(a.db.prepare('SELECT * FROM audit_log ORDER BY id').all() as AuditEntry[]);
    expect(scan).toMatchObject({ checked: 2, finding: null });
  });

  it('refuses a staff actor on a system event and a missing actor on a staff action (casts do not get past)', () => {
    const t = fresh();
    const forged = { actor: clerk, action: 'consent.resend', subject: 'consent:1', details: {} } as unknown as SystemAuditEntry<'consent.resend'>;
    expect(() => systemAudit(t.db, forged)).toThrow(/system event/);
    const anonymous = { action: 'sharing.agreement.sign', subject: 'agreement:0x1', details: { partnerOrgId: 'org' } } as unknown as SystemAuditEntry<'sharing.agreement.sign'>;
    expect(() => systemAudit(t.db, anonymous)).toThrow(/needs the staff member/);
    const outside = { action: 'consent.grant', subject: 'consent:1', details: {} } as unknown as SystemAuditEntry<'consent.resend'>;
    expect(() => systemAudit(t.db, outside)).toThrow(/not a system audit action/);
    expect(t.db.prepare('SELECT count(*) FROM audit_log').pluck().get()).toBe(0);
  });

  it('names a writer module that exists for every action in its table', async () => {
    const fs = await import('node:fs');
    const path = await import('node:path');
    for (const [action, row] of Object.entries(SYSTEM_AUDIT_ACTIONS)) {
      const file = path.join(import.meta.dirname, '..', row.writer);
      expect(fs.existsSync(file), action).toBe(true);
      expect(fs.readFileSync(file, 'utf8'), `${row.writer} writes ${action}`).toContain('systemAudit(');
    }
  });
});
