// The attacker with a staff account that lacks patients.view (an IT administrator, an auditor): calls every channel
// through the real dispatcher against a database seeded with known names, MRNs, birth dates and diagnosis codes, and
// scans every string of every answer for them (browser mode's HTTP: main/serve/minimum-necessary-http.test.ts).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CHANNEL_NAMES } from '../api';
import { ROLE_PERMISSIONS, ROLES, type Role } from '../api/permissions';
import { as, CODES, IMPORT_ONLY, leaks, PATIENTS, sampleInputs, startIdentityFixture, type IdentityFixture } from '../compose/identity-fixture';
import { PATIENT_CHANNELS, WITHHELD } from './minimum-necessary';

let f: IdentityFixture;
beforeAll(async () => {
  f = await startIdentityFixture();
}, 120_000);
afterAll(async () => f?.stop());

const seesIdentity = (role: Role) => ROLE_PERMISSIONS[role].has('patients.view');

describe('minimum necessary: identity only for roles with patients.view', () => {
  it('seeded data the way a clerk sees it (the positive control: identity is there to leak)', async () => {
    const list = await f.ok<unknown>('consents.list', {}, as('records_clerk'));
    expect(leaks(list)).toEqual(expect.arrayContaining([PATIENTS[0].mrn, PATIENTS[0].name]));
    const claims = await f.ok<unknown>('claims.list', {}, as('records_clerk'));
    expect(leaks(claims)).toEqual(expect.arrayContaining([...CODES]));
  });

  it.each(ROLES.filter((r) => !seesIdentity(r)))('every channel called as %s answers with no name, MRN, birth date or code', async (role) => {
    const who = as(role);
    const inputs = sampleInputs(f, who);
    const answered: string[] = [];
    for (const channel of CHANNEL_NAMES) {
      for (const input of inputs[channel] ?? [{}]) {
        const result = await f.services.call(channel, input, who);
        expect(leaks(result), `${channel} as ${role} with ${JSON.stringify(input)}`).toEqual([]);
        if (result.ok) answered.push(channel);
      }
    }
    // The scan must have read real answers, not only refusals.
    if (role === 'auditor') expect(answered).toEqual(expect.arrayContaining(['consents.list', 'consents.get', 'claims.list', 'claims.get', 'access.check', 'imports.get', 'audit.disclosures']));
    if (role === 'it_admin') expect(answered).toEqual(expect.arrayContaining(['consents.list', 'consents.get', 'access.check', 'imports.preview', 'imports.get']));
  });

  it.each(ROLES.filter(seesIdentity))('%s still sees identity where the screen needs it', async (role) => {
    const who = as(role);
    expect(leaks(await f.ok('consents.get', { id: f.consentIds[0] }, who))).toEqual(expect.arrayContaining([PATIENTS[0].mrn, PATIENTS[0].name]));
    expect(leaks(await f.ok('patients.search', { query: 'Vandermeer' }, who))).toEqual(expect.arrayContaining([PATIENTS[0].birthDate]));
    expect(leaks(await f.ok('claims.get', { id: f.claimIds[1] }, who))).toEqual(expect.arrayContaining([PATIENTS[1].mrn, CODES[1]]));
    if (ROLE_PERMISSIONS[role].has('imports.run')) expect(leaks(await f.ok('imports.preview', { uploadId: f.uploadFor(who.id) }, who))).toContain(IMPORT_ONLY.name);
  });

  it('keeps the patient number where identity is withheld, so records stay distinguishable', async () => {
    const auditor = as('auditor');
    const d = await f.ok<{ patient: { id: number; mrn: string | null; name: string | null; facility: string } }>('consents.get', { id: f.consentIds[2] }, auditor);
    expect(d.patient).toEqual({ id: f.patientIds[2], facility: 'GH01', mrn: null, name: null });
    const claim = await f.ok<{ patient: { id: number | null; mrn: string | null }; codes: string[] | null }>('claims.get', { id: f.claimIds[0] }, auditor);
    expect(claim).toMatchObject({ patient: { id: f.patientIds[0], mrn: null }, codes: null });
    const preview = await f.ok<{ rows: string[][]; columns: { name: string }[] }>('imports.preview', { uploadId: f.uploadFor(as('it_admin').id) }, as('it_admin'));
    const mrnColumn = preview.columns.findIndex((c) => c.name === 'mrn');
    expect(preview.rows[0]![mrnColumn]).toBe(WITHHELD);
    expect(preview.rows[0]![preview.columns.findIndex((c) => c.name === 'purpose')]).toBe('TREAT');
  });

  it('refuses a search by name or MRN, and the rejects file, to roles without patients.view', async () => {
    for (const role of ['auditor', 'it_admin'] as const) {
      const search = await f.services.call('consents.list', { search: PATIENTS[0].mrn }, as(role));
      expect(search).toMatchObject({ ok: false, error: { code: 'PERMISSION_DENIED', details: { permission: 'patients.view' } } });
    }
    const rejects = await f.services.call('imports.rejectsFile', { runId: f.runId }, as('it_admin'));
    expect(rejects).toMatchObject({ ok: false, error: { code: 'PERMISSION_DENIED' } });
    expect(await f.services.call('consents.list', { search: PATIENTS[0].mrn }, as('records_clerk'))).toMatchObject({ ok: true });
  });

  it('declares only channels that exist', () => {
    for (const channel of Object.keys(PATIENT_CHANNELS)) expect(CHANNEL_NAMES).toContain(channel);
  });
});

describe('the scrub of withheld values in other text', () => {
  it('masks whole values only, never inside a hash or a longer word', async () => {
    const { shapeAnswer } = await import('./minimum-necessary');
    const claim = {
      patient: { id: 7, facility: 'GH01', mrn: 'M1' },
      codes: ['99213', 'E11.9'],
      contentHash: '0xab99213cd',
      reasons: [{ code: 'X', message: 'codes: "E11.9" is odd; 99213 fine; M1 seen; M12 not' }],
    };
    const shaped = shapeAnswer('claims.get', claim, as('auditor')).value as { codes: string[] | null; contentHash: string; reasons: { message: string }[] };
    expect(shaped.codes).toBeNull();
    expect(shaped.contentHash).toBe('0xab99213cd');
    expect(shaped.reasons[0]!.message).toBe(`codes: "${WITHHELD}" is odd; ${WITHHELD} fine; ${WITHHELD} seen; M12 not`);
    expect(claim.codes).toEqual(['99213', 'E11.9']); // the handler's object is left as it was
  });
});
