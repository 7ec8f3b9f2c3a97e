// An auditor produces a patient's accounting of disclosures: the clerk's reads, a break-glass access, a release
// request and a claim for that patient are listed with who/when/what/why; another patient's reads are not; the
// patient's identity is withheld from the auditor; the CSV downloads and the page prints.
import fs from 'node:fs';
import { expect, invokeAs, provisionStaff, signedInApi, STAFF, test } from './fixtures';
import { AuditPage } from './pages/AuditPage';
import { ConsoleShell } from './pages/ConsoleShell';
import { DisclosuresPanel } from './pages/DisclosuresPanel';
import { SignInPage } from './pages/SignInPage';

const ALICE = { mrn: 'E2E-DISC-1', name: 'Whitlock-Amari, Alice', birthDate: '1971-04-09' };
const BORIS = { mrn: 'E2E-DISC-2', name: 'Petrenko-Lind, Boris', birthDate: '1980-08-30' };

test('an auditor produces, downloads and prints the accounting of disclosures for one patient', async ({ page, custodian }) => {
  test.setTimeout(180_000);
  await provisionStaff(custodian, [STAFF.manager, STAFF.clerk, STAFF.auditor]);
  const manager = await signedInApi(custodian, STAFF.manager);
  const clerk = await signedInApi(custodian, STAFF.clerk);
  const ok = async (api: typeof manager, channel: string, input: unknown) => {
    const res = await invokeAs(api, custodian, channel, input);
    expect(res.status(), `${channel}: ${await res.text()}`).toBe(200);
    return ((await res.json()) as { value: unknown }).value;
  };

  // --- The records side, through the API: two patients, reads, an emergency access, a release request, a claim. ---
  const consent = (p: typeof ALICE) => ({ facility: 'GH01', mrn: p.mrn, patientName: p.name, birthDate: p.birthDate, grantee: 'ACME-PAYER', granteeKind: 'org', decision: 'permit', purpose: 'HPAYMT', category: 'general', periodStart: '2025-01-01' });
  const alice = (await ok(manager, 'consents.grant', consent(ALICE))) as { id: number; patient: { id: number } };
  const boris = (await ok(manager, 'consents.grant', consent(BORIS))) as { id: number; patient: { id: number } };
  await ok(clerk, 'consents.get', { id: alice.id });
  await ok(clerk, 'consents.get', { id: boris.id });
  await ok(clerk, 'access.check', { grantee: 'gh-cardiology', patientId: alice.patient.id, purpose: 'ETREAT', category: 'general', breakGlassReason: 'Collapsed in the waiting room' });
  await ok(clerk, 'sharing.request', { partnerOrgId: 'PARTNER-E2E', patientId: alice.patient.id, category: 'general', purpose: 'TREAT' });
  await ok(clerk, 'claims.check', {
    claim: { claimId: 'CLM-E2E-DISC', facility: 'GH01', mrn: ALICE.mrn, renderingNpi: '1234567893', payerId: 'ACME-PAYER', serviceDate: '2025-06-01', codes: '99213;E11.9', amount: '80.00' },
    submit: true,
  });

  // --- The auditor opens the Audit page's accounting tab and asks for Alice's patient number. ---
  const shell = new ConsoleShell(page);
  await shell.open(custodian.url);
  await new SignInPage(page).signIn(STAFF.auditor);
  await new AuditPage(page).open();
  const panel = new DisclosuresPanel(page);
  await panel.open();
  await panel.produce(alice.patient.id);

  await expect(panel.heading).toContainText(`Patient no. ${alice.patient.id}`);
  await expect(panel.heading).toContainText('identity withheld');
  await expect(panel.report).not.toContainText(ALICE.name);
  await expect(panel.report).not.toContainText(ALICE.mrn);
  await expect(panel.rowsOfKind('break-glass')).toHaveCount(1);
  await expect(panel.rowsOfKind('break-glass')).toContainText('Collapsed in the waiting room');
  await expect(panel.rowsOfKind('break-glass')).toContainText(STAFF.clerk.displayName);
  // The request and the decision it led to (sharing.release.decide) are both releases of Alice's record.
  await expect(panel.rowsOfKind('release').filter({ hasText: 'sharing.request' })).toHaveCount(1);
  await expect(panel.rowsOfKind('change')).toHaveCount(1);
  await expect(panel.rowsOfKind('claim').filter({ hasText: 'CLM-E2E-DISC' })).toHaveCount(1);
  await expect(panel.rowsOfKind('claim').filter({ hasText: 'CLM-E2E-DISC' })).toContainText(STAFF.clerk.displayName);
  // The clerk read Boris's record too: one consent view only, Alice's.
  await expect(panel.rowsOfKind('access').filter({ hasText: 'consents.get' })).toHaveCount(1);
  await expect(panel.rowsOfKind('access').filter({ hasText: `consent:${alice.id}` })).toHaveCount(1);
  await expect(panel.report).not.toContainText(`consent:${boris.id}`);
  await shell.screenshot('disclosures-table');

  // --- The CSV: a header and one line per event shown. ---
  const rows = await panel.rows.count();
  const download = await panel.downloadCsv();
  expect(download.suggestedFilename()).toBe(`disclosures-patient-${alice.patient.id}.csv`);
  const csv = fs.readFileSync((await download.path())!, 'utf8').trim().split('\r\n');
  expect(csv[0]).toBe('at,kind,staff_id,staff_name,staff_role,what,why,outcome,source');
  expect(csv).toHaveLength(rows + 1);
  expect(csv.join('\n')).not.toContain(ALICE.name);

  // --- The printable page: the report alone, without the form and the tabs. ---
  await page.emulateMedia({ media: 'print' });
  await expect(panel.report).toBeVisible();
  await expect(panel.form).toBeHidden();
  await expect(panel.tab).toBeHidden();
  await shell.screenshot('disclosures-print');
  await page.emulateMedia({ media: 'screen' });
});
