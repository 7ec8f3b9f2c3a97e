// A provider roster uploaded from the Credentials page by an IT administrator, the way consent files are: chosen in
// the browser (an upload, never a server path), first checked only (a dry run: every row validated, the rejects listed
// with row and reason, nothing stored), then imported as a job with its progress panel, counts and rejected rows in the
// history. A records clerk sees no import button, and calling the channel directly is refused by main.
import AxeBuilder from '@axe-core/playwright';
import fs from 'node:fs/promises';
import { expect, invokeAs, provisionStaff, signedInApi, STAFF, test } from './fixtures';
import { ConsoleShell } from './pages/ConsoleShell';
import { CredentialsPage } from './pages/CredentialsPage';
import { SignInPage } from './pages/SignInPage';

test.use({ serveEnv: { CUSTODIAN_CHAIN: 'none' } });

/** Valid NPIs (CMS check digit), names only: a directory roster without credentials. */
const GOOD = [
  ['1245319599', 'Quinn, Harper', 'Lakeside Cardiology'],
  ['1234567893', 'Okafor, Ada', 'General Hospital'],
  ['1003000126', 'Lindqvist, Sven', 'General Hospital'],
] as const;
const BAD_NPI = '1234567890'; // wrong check digit

test('roster upload: an IT administrator checks the file, then imports it, with progress and the rejects', async ({ page, custodian }, testInfo) => {
  test.setTimeout(180_000);
  await provisionStaff(custodian, [STAFF.clerk]);
  const roster = testInfo.outputPath('staff-roster.csv');
  await fs.writeFile(roster, ['npi,name,organization', ...GOOD.map((g) => `${g[0]},"${g[1]}",${g[2]}`), `${BAD_NPI},"Invalid, Ivan",General Hospital`, ',"No Number, Nia",General Hospital'].join('\n') + '\n');

  const shell = new ConsoleShell(page);
  const credentials = new CredentialsPage(page);
  await shell.open(custodian.url);
  await new SignInPage(page).signIn(custodian.admin!);
  await credentials.open();
  await expect(credentials.empty).toContainText('The directory is empty');

  // --- Check the file only: counts of what an import would do, the rejects by row, nothing stored. ---
  const dialog = await credentials.chooseRoster(roster);
  await shell.screenshot('roster-upload-chosen', { fullPage: false });
  const axe = await new AxeBuilder({ page }).include('[data-testid="roster-import-dialog"]').withTags(['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa', 'best-practice']).analyze();
  expect(axe.violations.filter((v) => v.impact === 'serious' || v.impact === 'critical').map((v) => `${v.id}: ${v.help}`)).toEqual([]);
  const check = await credentials.checkRoster(dialog);
  await expect(credentials.importJob).toContainText('Roster check (nothing stored)');
  await expect(check).toContainText('File checked, nothing stored: 5 rows read; importing it would add 3 providers');
  await expect(check).toContainText('2 rejected');
  const listed = check.getByTestId('roster-check-reject');
  await expect(listed).toHaveCount(2);
  await expect(listed.and(page.locator('[data-row="4"]'))).toContainText('check digit');
  await expect(listed.and(page.locator('[data-row="5"]'))).toContainText('npi');
  await shell.screenshot('roster-upload-checked', { fullPage: false });
  await expect(credentials.empty).toContainText('The directory is empty');
  await expect(credentials.rosterRuns).toHaveCount(1);
  await expect(credentials.rosterRuns.first().getByTestId('roster-run-dry')).toHaveText('Check only');
  await expect(credentials.rosterRuns.first().getByTestId('roster-run-counts')).toContainText('5 read · would add 3 providers');

  // --- Import the same upload (still chosen): the job's panel, its counts, the rejects in the history. ---
  await credentials.importButton.click();
  await expect(dialog).toBeVisible();
  await expect(page.getByTestId('roster-chosen-file')).toBeVisible();
  await dialog.getByTestId('roster-import-start').click();
  await expect(dialog).toBeHidden();
  await expect(credentials.importJob).toHaveAttribute('data-state', 'succeeded', { timeout: 30_000 });
  await expect(credentials.importJob).toContainText('Roster import');
  await expect(page.getByTestId('roster-import-job-counts')).toContainText('5');
  await expect(page.getByTestId('roster-import-summary')).toContainText('Imported: 5 rows read, 3 providers added');
  await expect(credentials.rows).toHaveCount(3);
  await expect(credentials.row(BAD_NPI)).toHaveCount(0);
  await expect(credentials.rosterRuns).toHaveCount(2);
  const run = credentials.rosterRuns.first();
  await expect(run.getByTestId('roster-run-dry')).toHaveCount(0);
  const rejects = await credentials.openRejects(run);
  await expect(rejects.and(page.locator('[data-row="4"][data-field="npi"]'))).toContainText('check digit');
  await shell.screenshot('roster-upload-imported', { fullPage: true });

  // --- A records clerk: no import button; the channel called directly is refused by main. ---
  const clerk = await signedInApi(custodian, STAFF.clerk);
  try {
    const res = await invokeAs(clerk, custodian, 'credentials.import', { uploadId: 'A'.repeat(22), dryRun: true });
    expect(((await res.json()) as { error: { code: string } }).error.code).toBe('PERMISSION_DENIED');
  } finally {
    await clerk.dispose();
  }
  await shell.signOut();
  await new SignInPage(page).signIn(STAFF.clerk);
  await credentials.open();
  await expect(credentials.rows).toHaveCount(3);
  await expect(credentials.importButton).toHaveCount(0);
});
