// Bulk revoke through the real services (dispatcher, permissions, zod, real SQLite, the outbox): the preview's counts,
// the typed confirmation above the threshold, a stale preview refused, one audit entry per consent plus one for the
// action, undo as new changes (refused once synced unless asked), and staff reaching beyond their role.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { BulkRevokePreview, BulkRevokeResult, BulkUndoResult } from '../api/consents-bulk';
import type { ConsentDetail, ConsentListResult } from '../api/consents';
import type { Principal } from '../api/permissions';
import type { Services } from '../compose/services';
import { staff, testConsole } from '../compose/test-support';
import { NPI } from './test-support';
import { OUTBOX_STATE } from '../db/outbox-columns';

const { manager, otherManager, clerk, auditor, admin } = staff;
const custodian = testConsole('custodian-bulk-', manager);
const { call, refusal } = custodian;
let s: Services;
const grant = (mrn: string, patientName: string, grantee: string, category = 'general') =>
  call<ConsentDetail>('consents.grant', { facility: 'GH01', mrn, patientName, grantee, decision: 'permit', purpose: 'TREAT', category, periodStart: '2024-01-01' });
const statusOf = (id: number) => (s.db.prepare('SELECT status FROM consents WHERE id = ?').get(id) as { status: string }).status;
const auditCount = () => (s.db.prepare('SELECT count(*) AS n FROM audit_log').get() as { n: number }).n;
const outboxCount = () => (s.db.prepare('SELECT count(*) AS n FROM outbox').get() as { n: number }).n;
const preview = (selection: unknown, who: Principal = manager) => call<BulkRevokePreview>('consents.bulkRevokePreview', { selection }, who);

beforeAll(async () => {
  s = await custodian.start();
  const now = new Date().toISOString();
  s.db.prepare('INSERT INTO providers (npi, name, organization, specialty, source, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?)').run(NPI.b, 'Quinn, Harper', null, null, 'test', now, now);
  // Small: three consents of two patients for Dr Quinn. Large: 60 consents of 60 patients for NPI.c.
  await grant('SM-1', 'Small, One', NPI.b);
  await grant('SM-1', 'Small, One', NPI.b, 'HIV');
  await grant('SM-2', 'Small, Two', NPI.b);
  for (let i = 0; i < 60; i++) await grant(`LG-${i}`, `Large, Patient ${i}`, NPI.c);
});
afterAll(() => custodian.close());

describe('bulk revoke', () => {
  it('previews exactly what it will change: consents, patients and providers by name', async () => {
    const p = await preview({ filter: { search: 'quinn' } });
    expect(p).toMatchObject({ consents: 3, notActive: 0, typedConfirmation: null, patients: { count: 2 }, providers: { count: 1, shown: [{ grantee: NPI.b, name: 'Quinn, Harper', consents: 3 }] } });
    expect(p.patients.shown.map((x) => [x.mrn, x.consents])).toEqual([
      ['SM-1', 2],
      ['SM-2', 1],
    ]);
    const big = await preview({ filter: { grantee: NPI.c } });
    expect(big).toMatchObject({ consents: 60, typedConfirmation: 'REVOKE 60', patients: { count: 60 } });
    expect(big.patients.shown).toHaveLength(20);
  });

  it('refuses a stale preview and, above the threshold, a missing or wrong typed confirmation', async () => {
    const selection = { filter: { grantee: NPI.c } };
    const p = await preview(selection);
    const base = { selection, reason: 'clinic closed', expected: { consents: p.consents, fingerprint: p.fingerprint } };
    const before = outboxCount();
    expect(await refusal('consents.bulkRevoke', base)).toMatchObject({ code: 'VALIDATION_FAILED', details: { issues: [{ field: 'typedConfirmation' }] } });
    expect(await refusal('consents.bulkRevoke', { ...base, typedConfirmation: 'REVOKE 59' })).toMatchObject({ code: 'VALIDATION_FAILED' });
    expect(await refusal('consents.bulkRevoke', { ...base, typedConfirmation: 'REVOKE 60', expected: { consents: 60, fingerprint: '0'.repeat(64) } })).toMatchObject({ code: 'CONFLICT' });
    // The selection changes between preview and confirmation (a consent granted meanwhile): refused, naming the new count.
    const extra = await grant('LG-extra', 'Large, Extra', NPI.c);
    expect(await refusal('consents.bulkRevoke', { ...base, typedConfirmation: 'REVOKE 60' })).toMatchObject({ code: 'CONFLICT', message: expect.stringContaining('61') });
    await call('consents.revoke', { id: extra.id, reason: 'test cleanup' });
    expect(outboxCount()).toBe(before + 2); // the grant and the revoke of the extra consent only
  });

  it('revokes with one audit entry per consent plus one for the action, then undoes it as new changes', async () => {
    const selection = { filter: { grantee: NPI.c } };
    const p = await preview(selection);
    const ids = (s.db.prepare(`SELECT id FROM consents WHERE grantee = ? AND status = 'active' ORDER BY id`).all(NPI.c) as { id: number }[]).map((r) => r.id);
    expect(ids).toHaveLength(60);
    const outboxBefore = outboxCount();
    const done = await call<BulkRevokeResult>('consents.bulkRevoke', { selection, reason: 'clinic closed', expected: { consents: 60, fingerprint: p.fingerprint }, typedConfirmation: 'REVOKE 60' });
    expect(done).toMatchObject({ revoked: 60, patients: 60, providers: 1 });
    expect(ids.every((id) => statusOf(id) === 'revoked')).toBe(true);
    expect(outboxCount()).toBe(outboxBefore + 60);
    const items = s.db.prepare(`SELECT patient_id, subject, details FROM audit_log WHERE action = 'consents.revoke' AND json_extract(details, '$.bulk') = ?`).all(done.bulkId) as { subject: string; patient_id: number }[];
    expect(items.map((e) => e.subject).sort()).toEqual(ids.map((id) => `consent:${id}`).sort());
    expect(items.every((e) => e.patient_id > 0)).toBe(true);
    const bulk = s.db.prepare(`SELECT actor_id, details FROM audit_log WHERE action = 'consents.bulkRevoke' AND subject = ?`).all(`bulk:${done.bulkId}`) as { actor_id: string; details: string }[];
    expect(bulk).toHaveLength(1);
    expect(JSON.parse(bulk[0]!.details)).toMatchObject({ consents: 60, providers: 1 });
    expect(bulk[0]!.details).not.toContain('clinic closed');

    expect(await call('consents.bulkRevokeStatus', { bulkId: done.bulkId })).toMatchObject({ revoked: 60, synced: false, undone: false });
    // Only its author may undo it.
    expect(await refusal('consents.bulkUndo', { bulkId: done.bulkId }, otherManager)).toMatchObject({ code: 'NOT_FOUND' });

    const undone = await call<BulkUndoResult>('consents.bulkUndo', { bulkId: done.bulkId });
    expect(undone).toMatchObject({ regranted: 60, skipped: [], afterSync: false });
    expect(ids.every((id) => statusOf(id) === 'superseded')).toBe(true);
    const now = await call<ConsentListResult>('consents.list', { grantee: NPI.c, status: 'active', limit: 500 });
    expect(now.total).toEqual({ count: 60, exact: true });
    expect(outboxCount()).toBe(outboxBefore + 120);
    const regrants = s.db.prepare(`SELECT count(*) AS n FROM audit_log WHERE action = 'consents.grant' AND json_extract(details, '$.bulkUndo') = ?`).get(done.bulkId) as { n: number };
    expect(regrants.n).toBe(60);
    expect(await refusal('consents.bulkUndo', { bulkId: done.bulkId })).toMatchObject({ code: 'CONFLICT' });
  });

  it('once its revokes left for the chain, undo is refused unless asked to re-grant after sync; changed keys are left alone', async () => {
    const selection = { filter: { search: 'quinn' } };
    const p = await preview(selection);
    const done = await call<BulkRevokeResult>('consents.bulkRevoke', { selection, reason: 'provider left', expected: { consents: p.consents, fingerprint: p.fingerprint } });
    expect(done.revoked).toBe(3);
    // The sender picks the revokes up (as a running sync would).
    s.db.prepare(`UPDATE outbox SET state_code = ${OUTBOX_STATE.sent} WHERE state_code = ${OUTBOX_STATE.pending}`).run();
    expect(await call('consents.bulkRevokeStatus', { bulkId: done.bulkId })).toMatchObject({ synced: true });
    expect(await refusal('consents.bulkUndo', { bulkId: done.bulkId })).toMatchObject({ code: 'BULK_REVOKE_SYNCED', message: expect.stringContaining('cannot be silent') });
    // Meanwhile one of the keys was granted again by hand.
    await grant('SM-2', 'Small, Two', NPI.b);
    const after = await call<BulkUndoResult>('consents.bulkUndo', { bulkId: done.bulkId, afterSync: true });
    expect(after).toMatchObject({ regranted: 2, afterSync: true });
    expect(after.skipped).toHaveLength(1);
    expect(after.skipped[0]!.why).toMatch(/changed since/);
  });

  it('is refused in main to staff without consents.revoke, calling the channels directly; nothing changes', async () => {
    const target = await grant('ATK-1', 'Attack, Target', NPI.a);
    const p = await preview({ ids: [target.id] });
    const input = { selection: { ids: [target.id] }, reason: 'not my call', expected: { consents: 1, fingerprint: p.fingerprint } };
    for (const who of [clerk, auditor, admin]) {
      const audits = auditCount();
      expect(await refusal('consents.bulkRevoke', input, who)).toMatchObject({ code: 'PERMISSION_DENIED', details: { permission: 'consents.revoke' } });
      expect(await refusal('consents.bulkRevokePreview', { selection: { ids: [target.id] } }, who)).toMatchObject({ code: 'PERMISSION_DENIED' });
      // The refusals are themselves on the record.
      expect(auditCount()).toBe(audits + 2);
      const denied = s.db.prepare(`SELECT outcome, actor_id FROM audit_log WHERE action = 'consents.bulkRevoke' ORDER BY id DESC LIMIT 1`).get() as { outcome: string; actor_id: string };
      expect(denied).toEqual({ outcome: 'denied', actor_id: who.id });
    }
    const done = await call<BulkRevokeResult>('consents.bulkRevoke', input);
    expect(await refusal('consents.bulkUndo', { bulkId: done.bulkId }, clerk)).toMatchObject({ code: 'PERMISSION_DENIED' });
    expect(statusOf(target.id)).toBe('revoked');
  });
});
