// Every PHI read is audited with the patients it showed: a clerk reads, and the entry names exactly the patients in
// the answer (local ids, never names or MRNs), whichever channel showed them.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { NPIS } from '../claims/test-support';
import { as, IMPORT_ONLY, leaks, PATIENTS, startIdentityFixture, type IdentityFixture } from '../compose/identity-fixture';

let f: IdentityFixture;
beforeAll(async () => {
  f = await startIdentityFixture();
}, 120_000);
afterAll(async () => f?.stop());

const clerk = as('records_clerk');

interface Entry {
  action: string;
  outcome: string;
  patient_id: number | null;
  details: string;
  actor_id: string;
}
function lastEntry(action: string): Entry & { patientIds: number[] } {
  const row = f.services.db.prepare('SELECT * FROM audit_log WHERE action = ? ORDER BY id DESC LIMIT 1').get(action) as Entry;
  expect(row, `an audit entry for ${action}`).toBeDefined();
  expect(leaks(row), `identity in the ${action} entry`).toEqual([]);
  return { ...row, patientIds: (JSON.parse(row.details) as { patientIds?: number[] }).patientIds ?? [] };
}
const idOfMrn = (mrn: string) => (f.services.db.prepare('SELECT id FROM patients WHERE mrn = ?').get(mrn) as { id: number }).id;

describe('PHI reads name their patients in the audit trail', () => {
  it('consents.list: exactly the patients of the rows shown', async () => {
    const [p1, p2, p3] = f.patientIds as [number, number, number];
    const one = await f.ok<{ rows: { patient: { id: number } }[] }>('consents.list', { patientId: p2 }, clerk);
    expect(one.rows.length).toBeGreaterThan(0);
    expect(lastEntry('consents.list')).toMatchObject({ actor_id: clerk.id, patient_id: p2, patientIds: [p2] });

    const all = await f.ok<{ rows: { patient: { id: number } }[] }>('consents.list', { limit: 500 }, clerk);
    const shown = [...new Set(all.rows.map((r) => r.patient.id))].sort((a, b) => a - b);
    expect(shown).toEqual(expect.arrayContaining([p1, p2, p3]));
    expect(lastEntry('consents.list')).toMatchObject({ patient_id: null, patientIds: shown });

    await f.ok('consents.list', { search: 'No-Such-Name' }, clerk);
    expect(lastEntry('consents.list').patientIds).toEqual([]);
  });

  it('consents.get, patients.search, claims, release requests: the patients in the answer', async () => {
    const [p1, p2, p3] = f.patientIds as [number, number, number];
    await f.ok('consents.get', { id: f.consentIds[2] }, clerk);
    expect(lastEntry('consents.get')).toMatchObject({ patient_id: p3, patientIds: [p3] });

    await f.ok('patients.search', { query: PATIENTS[0].name.slice(0, 6) }, clerk);
    expect(lastEntry('patients.search')).toMatchObject({ patient_id: p1, patientIds: [p1] });

    await f.ok('claims.get', { id: f.claimIds[1] }, clerk);
    expect(lastEntry('claims.get')).toMatchObject({ patient_id: p2, patientIds: [p2] });
    await f.ok('claims.list', {}, clerk);
    expect(lastEntry('claims.list').patientIds).toEqual([p1, p2, p3]);

    await f.ok('sharing.requests', {}, clerk);
    expect(lastEntry('sharing.requests').patientIds).toEqual([p2]);
  });

  it('the auditor’s reads are named too, although identity was withheld from the answer', async () => {
    const [p1] = f.patientIds as [number];
    await f.ok('consents.get', { id: f.consentIds[0] }, as('auditor'));
    expect(lastEntry('consents.get')).toMatchObject({ actor_id: as('auditor').id, patientIds: [p1] });
  });

  it('an import preview: the patients on file among the rows shown', async () => {
    await f.ok('imports.preview', { uploadId: f.uploadId }, as('records_manager'));
    const expected = [idOfMrn(IMPORT_ONLY.mrn), idOfMrn(PATIENTS[2].mrn)].sort((a, b) => a - b);
    expect(lastEntry('imports.preview')).toMatchObject({ patientIds: expected });
  });

  it('access checks and break-glass: the patient asked about', async () => {
    const [p1] = f.patientIds as [number];
    await f.ok('access.check', { grantee: NPIS.verified, patientId: p1, purpose: 'ETREAT', category: 'general', breakGlassReason: 'unconscious in ED' }, clerk);
    expect(lastEntry('access.check')).toMatchObject({ patient_id: p1, outcome: 'break-glass' });
  });
});
