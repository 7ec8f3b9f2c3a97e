// Finding consents and changing many at once, as a records manager does: sort by grantee (header buttons, keyboard
// too), search by an MRN fragment, a patient's name
// (an apostrophe in it) and a provider's name from the directory, typing debounced, an empty result that says so;
// then a bulk revoke of everything a search matched (the count, patients and providers stated first, a typed
// confirmation above 50) and its undo, still offered after the page is reloaded. A records clerk calling the bulk channel directly is refused by main.
// The chain is off (CUSTODIAN_CHAIN=none): the revokes stay on this workstation, so the undo is the quiet one.
import AxeBuilder from '@axe-core/playwright';
import fs from 'node:fs/promises';
import type { APIRequestContext } from '@playwright/test';
import { expect, invokeAs, provisionStaff, signedInApi, STAFF, test, uploadAs, type CustodianServer } from './fixtures';
import { ConsentsPage } from './pages/ConsentsPage';
import { ConsoleShell } from './pages/ConsoleShell';
import { SignInPage } from './pages/SignInPage';

test.use({ serveEnv: { CUSTODIAN_CHAIN: 'none' } });

/** Valid NPIs (CMS check digit). */
const DR_QUINN = '1245319599';
const DR_OTHER = '1234567893';
const QUINN_PATIENTS = 55;

async function value<T>(api: APIRequestContext, server: CustodianServer, channel: string, input: unknown): Promise<T> {
  const res = await invokeAs(api, server, channel, input);
  expect(res.status(), `${channel}: ${await res.text()}`).toBe(200);
  return ((await res.json()) as { value: T }).value;
}

/** The provider directory (a roster of names only) and consents, through the API: the subject here is finding them. */
async function seed(server: CustodianServer, rosterFile: string): Promise<void> {
  const api = await signedInApi(server, STAFF.manager);
  try {
    await fs.writeFile(rosterFile, `npi,name,organization\n${DR_QUINN},"Quinn, Harper",Lakeside Cardiology\n`);
    await value(api, server, 'credentials.import', { uploadId: await uploadAs(api, server, rosterFile) });
    await expect.poll(async () => (await invokeAs(api, server, 'providers.get', { npi: DR_QUINN })).status(), { timeout: 30_000 }).toBe(200);
    const grant = (mrn: string, patientName: string, grantee: string) =>
      value(api, server, 'consents.grant', { facility: 'GH01', mrn, patientName, grantee, decision: 'permit', purpose: 'TREAT', category: 'general', periodStart: '2024-01-01' });
    await grant('GH-000123', "O'Brien, Sean", DR_OTHER);
    await grant('GH-000456', 'Smith, Ada', DR_OTHER);
    for (let i = 0; i < QUINN_PATIENTS; i++) await grant(`LK-${String(i).padStart(4, '0')}`, `Lakeside, Patient ${i}`, DR_QUINN);
  } finally {
    await api.dispose();
  }
}

test('search consents by MRN fragment, name and provider; bulk revoke what a search found, then undo it', async ({ page, custodian }, testInfo) => {
  test.setTimeout(240_000);
  await provisionStaff(custodian, [STAFF.manager, STAFF.clerk]);
  await seed(custodian, testInfo.outputPath('roster.csv'));

  const shell = new ConsoleShell(page);
  const consents = new ConsentsPage(page);
  await shell.open(custodian.url);
  await new SignInPage(page).signIn(STAFF.manager);
  await consents.open();
  await expect.poll(() => consents.totalShown()).toBe(QUINN_PATIENTS + 2);

  // --- Sort by grantee (main sorts; the address keeps it): ascending puts the other provider's two patients first,
  // descending (from the keyboard) puts the newest Lakeside consent first, a third press restores newest first. ---
  const newestFirst = await consents.mrnsInOrder();
  expect(newestFirst[0]).toBe(`LK-${String(QUINN_PATIENTS - 1).padStart(4, '0')}`);
  await expect(consents.sortHeader('grantee')).toHaveAttribute('aria-sort', 'none');
  await consents.sortButton('grantee').click();
  await expect(consents.sortHeader('grantee')).toHaveAttribute('aria-sort', 'ascending');
  await expect(page).toHaveURL(/sort=grantee\.asc/);
  await expect.poll(async () => (await consents.mrnsInOrder()).slice(0, 3)).toEqual(['GH-000123', 'GH-000456', 'LK-0000']);
  await shell.screenshot('consents-sorted-by-grantee', { fullPage: false });
  const tableAxe = await new AxeBuilder({ page }).include('[data-testid="consents-table"] thead').withTags(['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa', 'best-practice']).analyze();
  expect(tableAxe.violations.filter((v) => v.impact === 'serious' || v.impact === 'critical').map((v) => `${v.id}: ${v.help}`)).toEqual([]);
  await consents.sortButton('grantee').focus();
  await page.keyboard.press('Enter');
  await expect(consents.sortHeader('grantee')).toHaveAttribute('aria-sort', 'descending');
  await expect.poll(async () => (await consents.mrnsInOrder()).slice(0, 2)).toEqual([`LK-${String(QUINN_PATIENTS - 1).padStart(4, '0')}`, `LK-${String(QUINN_PATIENTS - 2).padStart(4, '0')}`]);
  // The sort survives a reload (it is in the address).
  await page.reload();
  await consents.waitForTable();
  await expect(consents.sortHeader('grantee')).toHaveAttribute('aria-sort', 'descending');
  await consents.sortButton('grantee').press('Space');
  await expect(consents.sortHeader('grantee')).toHaveAttribute('aria-sort', 'none');
  await expect(page).not.toHaveURL(/sort=/);
  await expect.poll(async () => (await consents.mrnsInOrder()).slice(0, 1)).toEqual([newestFirst[0]]);

  // --- Typing is debounced: a 12-character search reaches main far fewer than 12 times. ---
  const searches: string[] = [];
  page.on('request', (r) => {
    if (r.url().endsWith('/api/invoke/consents.list')) searches.push((r.postDataJSON() as { search?: string }).search ?? '');
  });
  await consents.typeSearch('GH-000123');
  expect(searches.length).toBeLessThan('GH-000123'.length);
  expect(await consents.mrnsShown()).toEqual(['GH-000123']);

  // --- An MRN fragment, part of a name with an apostrophe, a provider's name. ---
  await consents.typeSearch('00045');
  await expect.poll(() => consents.mrnsShown()).toEqual(['GH-000456']);
  await consents.typeSearch("o'bri");
  await expect.poll(() => consents.mrnsShown()).toEqual(['GH-000123']);
  await expect(consents.count).toContainText('search matched 1 patient and 0 providers');
  await consents.typeSearch('quinn');
  await expect.poll(() => consents.totalShown()).toBe(QUINN_PATIENTS);
  await expect(consents.count).toContainText('search matched 0 patients and 1 provider');
  await shell.screenshot('consents-search-provider', { fullPage: false });

  // --- An empty result says so. % is matched literally, not as "anything". ---
  await consents.typeSearch('100%');
  await expect(consents.empty).toContainText('No consent matches these filters.');
  await expect(consents.empty).toContainText('any part of an MRN');
  await shell.screenshot('consents-search-empty', { fullPage: false });

  // --- Bulk revoke everything the provider search found: stated first, typed confirmation above 50. ---
  await consents.typeSearch('quinn');
  const dialog = await consents.openRevokeAllMatching();
  await expect(dialog.getByTestId('bulk-revoke-summary')).toContainText(`This will revoke ${QUINN_PATIENTS} consents of ${QUINN_PATIENTS} patients for 1 provider.`);
  await expect(dialog.getByTestId('bulk-revoke-providers')).toContainText(`Quinn, Harper (${DR_QUINN}) · ${QUINN_PATIENTS} consents`);
  await expect(dialog).toContainText(`and ${QUINN_PATIENTS - 20} more patients`);
  await dialog.getByTestId('bulk-revoke-reason').fill('Lakeside Cardiology closed');
  const confirm = dialog.getByTestId('bulk-revoke-confirm');
  await expect(confirm).toBeDisabled();
  await dialog.getByTestId('bulk-revoke-typed').fill(`REVOKE ${QUINN_PATIENTS - 1}`);
  await expect(confirm).toBeDisabled();
  await dialog.getByTestId('bulk-revoke-typed').fill(`REVOKE ${QUINN_PATIENTS}`);
  await shell.screenshot('consents-bulk-revoke-confirm', { fullPage: false });
  const axe = await new AxeBuilder({ page }).include('[data-testid="bulk-revoke-dialog"]').withTags(['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa', 'best-practice']).analyze();
  expect(axe.violations.filter((v) => v.impact === 'serious' || v.impact === 'critical').map((v) => `${v.id}: ${v.help}`)).toEqual([]);
  await confirm.click();
  await expect(dialog).toBeHidden();
  const done = page.getByTestId('bulk-revoke-done');
  await expect(done).toContainText(`Revoked ${QUINN_PATIENTS} consents of ${QUINN_PATIENTS} patients for 1 provider.`);
  await expect.poll(async () => new Set(await page.getByTestId('consent-status').allTextContents())).toEqual(new Set(['Revoked']));
  await shell.screenshot('consents-bulk-revoked', { fullPage: false });

  // --- A records clerk calls the bulk channel directly: main refuses it, whatever the page shows. ---
  const clerkApi = await signedInApi(custodian, STAFF.clerk);
  try {
    const res = await invokeAs(clerkApi, custodian, 'consents.bulkRevoke', {
      selection: { filter: { search: 'GH-000' } },
      reason: 'reaching beyond my role',
      expected: { consents: 2, fingerprint: '0'.repeat(64) },
    });
    expect(((await res.json()) as { error: { code: string } }).error.code).toBe('PERMISSION_DENIED');
  } finally {
    await clerkApi.dispose();
  }

  // --- The page is reloaded (the notice's memory gone): main still knows the bulk revoke is this person's to undo. ---
  await page.reload();
  const earlier = page.getByTestId('bulk-revoke-done');
  await expect(earlier.getByTestId('bulk-revoke-earlier')).toContainText(`Your bulk revoke of ${QUINN_PATIENTS} consents on`);
  await expect(earlier.getByTestId('bulk-revoke-earlier')).toContainText('can still be undone until');
  await shell.screenshot('consents-bulk-undo-after-reload', { fullPage: false });

  // --- Undo: the same consents granted again as new changes. ---
  await earlier.getByTestId('bulk-undo').click();
  await expect(page.getByTestId('bulk-undo-done')).toContainText(`Bulk revoke undone: ${QUINN_PATIENTS} consents granted again as new changes, with the same terms.`);
  await expect.poll(async () => new Set(await page.getByTestId('consent-status').allTextContents())).toEqual(new Set(['Active']));
  await shell.screenshot('consents-bulk-undone', { fullPage: false });

  // The two other patients were never touched.
  await consents.typeSearch('GH-000');
  await expect.poll(async () => (await page.getByTestId('consent-status').allTextContents()).join()).toBe('Active,Active');
});
