// Accounting of disclosures for one patient: every access, change, release, break-glass and claim that touched the
// patient in the period, through the real dispatcher on real SQLite; other patients' events stay out.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { DisclosureAccounting } from '../api/audit';
import { NPIS } from '../claims/test-support';
import { as, leaks, PATIENTS, startIdentityFixture, type IdentityFixture } from '../compose/identity-fixture';

let f: IdentityFixture;
let p1: number;
let p2: number;
const clerk = as('records_clerk');
const auditor = as('auditor');

beforeAll(async () => {
  f = await startIdentityFixture();
  [p1, p2] = f.patientIds as [number, number];
  // What the clerk does today: reads p1 and p2, a break-glass access to p1, a release request for p1.
  await f.ok('consents.get', { id: f.consentIds[0] }, clerk);
  await f.ok('consents.get', { id: f.consentIds[1] }, clerk);
  await f.ok('consents.list', { limit: 500 }, clerk);
  await f.ok('access.check', { grantee: NPIS.verified, patientId: p1, purpose: 'ETREAT', category: 'general', breakGlassReason: 'unconscious in ED' }, clerk);
  await f.ok('sharing.request', { partnerOrgId: 'PARTNER-2', patientId: p1, category: 'general', purpose: 'TREAT' }, clerk);
}, 120_000);
afterAll(async () => f?.stop());

/** Whether an audit entry names the patient (its patient_id, or details.patientIds). */
function entryNames(entryId: number, patientId: number): boolean {
  const row = f.services.db.prepare('SELECT patient_id, details FROM audit_log WHERE id = ?').get(entryId) as { patient_id: number | null; details: string };
  const ids = (JSON.parse(row.details) as { patientIds?: number[] }).patientIds ?? [];
  return row.patient_id === patientId || ids.includes(patientId);
}

describe('accounting of disclosures', () => {
  it('lists every kind of event that touched the patient, oldest first, and nothing about other patients', async () => {
    const a = await f.ok<DisclosureAccounting>('audit.disclosures', { patientId: p1 }, auditor);
    const kinds = new Set(a.events.map((e) => e.kind));
    expect([...kinds].sort()).toEqual(['access', 'break-glass', 'change', 'claim', 'release']);
    const whats = a.events.map((e) => e.what.split(' ')[0]);
    expect(whats).toEqual(expect.arrayContaining(['consents.grant', 'consents.get', 'consents.list', 'access.check', 'sharing.request', 'claims.check', 'claim']));
    // Both claims about p1 (the passing one and the failing one) come from the claims table too.
    expect(a.events.filter((e) => e.source.kind === 'claim')).toHaveLength(2);
    const breakGlass = a.events.find((e) => e.kind === 'break-glass')!;
    expect(breakGlass).toMatchObject({ who: { id: clerk.id, role: 'records_clerk' }, why: expect.stringContaining('unconscious in ED') });
    for (const e of a.events) if (e.source.kind === 'audit') expect(entryNames(e.source.entryId, p1), `entry ${e.source.entryId} (${e.what})`).toBe(true);
    const ats = a.events.map((e) => e.at);
    expect(ats).toEqual([...ats].sort());

    // The reads of p2 alone are not in p1's accounting, and are in p2's.
    const p2Only = f.services.db.prepare(`SELECT id FROM audit_log WHERE action = 'consents.get' AND patient_id = ?`).all(p2) as { id: number }[];
    expect(p2Only.length).toBeGreaterThan(0);
    const ids = new Set(a.events.flatMap((e) => (e.source.kind === 'audit' ? [e.source.entryId] : [])));
    for (const { id } of p2Only) expect(ids.has(id)).toBe(false);
    const b = await f.ok<DisclosureAccounting>('audit.disclosures', { patientId: p2 }, auditor);
    const bIds = new Set(b.events.flatMap((e) => (e.source.kind === 'audit' ? [e.source.entryId] : [])));
    for (const { id } of p2Only) expect(bIds.has(id)).toBe(true);
    expect(b.events.some((e) => e.kind === 'break-glass')).toBe(false);
  });

  it('keeps to the period asked for', async () => {
    const all = await f.ok<DisclosureAccounting>('audit.disclosures', { patientId: p1 }, auditor);
    const cut = all.events[Math.floor(all.events.length / 2)]!.at;
    const early = await f.ok<DisclosureAccounting>('audit.disclosures', { patientId: p1, to: cut }, auditor);
    const late = await f.ok<DisclosureAccounting>('audit.disclosures', { patientId: p1, from: cut }, auditor);
    expect(early.events.every((e) => e.at <= cut)).toBe(true);
    expect(late.events.every((e) => e.at >= cut)).toBe(true);
    expect(early.events.length).toBeGreaterThan(0);
    expect(early.events.length).toBeLessThan(all.events.length + 1);
    const future = await f.ok<DisclosureAccounting>('audit.disclosures', { patientId: p1, from: '2999-01-01' }, auditor);
    expect(future.events).toEqual([]);
  });

  it('shows identity to the records manager, the patient number only to the auditor; CSV alike', async () => {
    const forAuditor = await f.ok<DisclosureAccounting>('audit.disclosures', { patientId: p1 }, auditor);
    expect(forAuditor.patient).toEqual({ id: p1, facility: 'GH01', mrn: null, name: null, birthDate: null });
    expect(leaks(forAuditor)).toEqual([]);
    const lines = forAuditor.csv.trim().split('\r\n');
    expect(lines[0]).toBe('at,kind,staff_id,staff_name,staff_role,what,why,outcome,source');
    expect(lines).toHaveLength(forAuditor.events.length + 1);
    const forManager = await f.ok<DisclosureAccounting>('audit.disclosures', { patientId: p1 }, as('records_manager'));
    expect(forManager.patient).toMatchObject({ mrn: PATIENTS[0].mrn, name: PATIENTS[0].name });
  });

  it('lists a FHIR export that carried the patient (made, downloaded), once per call; a patient not in it does not see it', async () => {
    const manager = as('records_manager');
    // An export of p2's consents only, then its file downloaded: two calls, two entries, whatever its size.
    const started = await f.ok<{ exportId: string }>('consents.exportFhir', { ids: [f.consentIds[1]] }, manager);
    expect(await f.services.jobs.waitFor(started.exportId)).toMatchObject({ state: 'succeeded' });
    await f.ok('consents.exportFile', { exportId: started.exportId }, manager);
    const exportEntries = f.services.db.prepare(`SELECT id FROM audit_log WHERE subject = ? AND action <> 'consents.exportPatients'`).pluck().all(`export:${started.exportId}`) as number[];
    expect(exportEntries).toHaveLength(2);
    // Plus the job's one seal of the patient set (digest and count, not a disclosure): consents/export-seal.ts.
    expect(f.services.db.prepare(`SELECT count(*) FROM audit_log WHERE subject = ?`).pluck().get(`export:${started.exportId}`)).toBe(3);

    const mine = await f.ok<DisclosureAccounting>('audit.disclosures', { patientId: p2 }, auditor);
    const exports = mine.events.filter((e) => e.kind === 'export');
    expect(exports.map((e) => e.source.kind === 'audit' && e.source.entryId).sort()).toEqual([...exportEntries].sort());
    expect(exports.map((e) => [e.what.split(' ')[0], e.who.id, e.why])).toEqual([
      ['consents.exportFhir', manager.id, expect.stringContaining('export made')],
      ['consents.exportFile', manager.id, expect.stringContaining('downloaded')],
    ]);
    expect(exports[0]!.what).toContain(`export:${started.exportId}`);
    expect(mine.csv).toContain(`export:${started.exportId}`);

    // p1's record was not in that export: p1's accounting does not list it.
    const theirs = await f.ok<DisclosureAccounting>('audit.disclosures', { patientId: p1 }, auditor);
    expect(theirs.events.filter((e) => e.what.includes(started.exportId))).toEqual([]);
    // The patient set is one narrow row per patient, not an audit entry per row.
    expect(f.services.db.prepare(`SELECT patient_id FROM consent_export_patients p JOIN consent_exports e ON e.ref = p.export_ref WHERE e.export_id = ?`).pluck().all(started.exportId)).toEqual([p2]);
  });

  it('needs audit.view, and is itself audited naming the patient', async () => {
    expect(await f.services.call('audit.disclosures', { patientId: p1 }, clerk)).toMatchObject({ ok: false, error: { code: 'PERMISSION_DENIED' } });
    expect(await f.services.call('audit.disclosures', { patientId: p1 }, as('it_admin'))).toMatchObject({ ok: false, error: { code: 'PERMISSION_DENIED' } });
    await f.ok('audit.disclosures', { patientId: p2 }, auditor);
    const entry = f.services.db.prepare(`SELECT * FROM audit_log WHERE action = 'audit.disclosures' ORDER BY id DESC LIMIT 1`).get() as { patient_id: number; actor_id: string };
    expect(entry).toMatchObject({ patient_id: p2, actor_id: auditor.id });
    expect(await f.services.call('audit.disclosures', { patientId: 999_999 }, auditor)).toMatchObject({ ok: false, error: { code: 'NOT_FOUND' } });
  });
});
