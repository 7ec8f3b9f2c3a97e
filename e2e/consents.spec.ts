// The Consents page as a records manager uses it: a table of a few thousand consents that loads page by page
// as it scrolls, a consent recorded by form (field errors from the form and from main), its detail and history,
// Check access (permit; then revoked with a reason; then deny, explained), break-glass needing a typed reason,
// and a FHIR R4 NDJSON export of selected consents read back from disk.
import AxeBuilder from '@axe-core/playwright';
import type { Page, TestInfo } from '@playwright/test';
import fs from 'node:fs';
import { generateConsentsCsv } from '../scripts/generate-consents';
import { expect, invokeAs, provisionStaff, signedInApi, STAFF, test, uploadAs, type CustodianServer } from './fixtures';
import { ConsentsPage } from './pages/ConsentsPage';
import { ConsoleShell } from './pages/ConsoleShell';
import { SignInPage } from './pages/SignInPage';

/** Fails on serious or critical axe violations of the screen as it is now; attaches the full report. */
async function expectAccessible(page: Page, testInfo: TestInfo, name: string): Promise<void> {
  const results = await new AxeBuilder({ page }).withTags(['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa', 'best-practice']).analyze();
  await testInfo.attach(`axe-${name}.json`, { body: JSON.stringify(results, null, 2), contentType: 'application/json' });
  const blocking = results.violations.filter((v) => v.impact === 'serious' || v.impact === 'critical');
  expect(blocking.map((v) => `${v.id}: ${v.help} — ${v.nodes.map((n) => n.target.join(' ')).slice(0, 3).join(' | ')}`), `serious or critical axe violations on ${name}`).toEqual([]);
}

const SEEDED_ROWS = 1_500;

/** Imports a generated CSV through the API (the Imports page has its own test) and waits for it to finish. */
async function seedConsents(server: CustodianServer, file: string): Promise<number> {
  generateConsentsCsv(file, { rows: SEEDED_ROWS, seed: 11 });
  const api = await signedInApi(server, STAFF.manager);
  try {
    const started = await invokeAs(api, server, 'imports.start', { uploadId: await uploadAs(api, server, file) });
    expect(started.status(), await started.text()).toBe(200);
    const { runId } = ((await started.json()) as { value: { runId: number } }).value;
    let written = 0;
    await expect
      .poll(
        async () => {
          const res = await invokeAs(api, server, 'imports.get', { runId });
          const run = ((await res.json()) as { value: { state: string; consentsWritten: number } }).value;
          written = run.consentsWritten;
          return run.state;
        },
        { timeout: 60_000 },
      )
      .toBe('succeeded');
    return written;
  } finally {
    await api.dispose();
  }
}

test('record a consent, check access, revoke it, see the deny explained, break-glass, export FHIR', async ({ page, custodian }, testInfo) => {
  test.setTimeout(180_000);
  await provisionStaff(custodian, [STAFF.manager, STAFF.clerk]);
  const seeded = await seedConsents(custodian, testInfo.outputPath('seed.csv'));

  const shell = new ConsoleShell(page);
  const consents = new ConsentsPage(page);
  await shell.open(custodian.url);
  await new SignInPage(page).signIn(STAFF.manager);
  await consents.open();

  // --- The table: the first page at once, more as it scrolls; only the rows in view are in the page. ---
  await expect.poll(() => consents.totalShown()).toBe(seeded);
  expect(await consents.loaded()).toBe(200);
  expect(await consents.rows.count()).toBeLessThan(60);
  await consents.scroller.evaluate((el) => el.scrollTo(0, el.scrollHeight));
  await expect.poll(() => consents.loaded()).toBeGreaterThan(200);
  await consents.scroller.evaluate((el) => el.scrollTo(0, 0));

  // --- Record a consent by form: missing fields named here, a bad NPI named by main. ---
  await page.getByTestId('consents-grant').click();
  const form = consents.grantDialog;
  await expect(form).toBeVisible();
  await form.getByTestId('grant-submit').click();
  await expect(form.getByTestId('grant-error-count')).toBeVisible();
  await expect(form).toContainText('Enter the facility.');
  await expect(form).toContainText('Enter the mrn.');
  await expect(form).toContainText('Enter the grantee.');
  await form.getByTestId('grant-facility').fill('GH01');
  await form.getByTestId('grant-mrn').fill('E2ECON001');
  await form.getByTestId('grant-patientName').fill('Roe, Jane');
  await form.getByTestId('grant-birthDate').fill('1980-05-17');
  await form.getByTestId('grant-grantee').fill('1234567890');
  await form.getByTestId('grant-periodStart').fill('2024-01-01');
  await form.getByTestId('grant-periodEnd').fill('2030-12-31');
  await form.getByTestId('grant-submit').click();
  await expect(form).toContainText('NPI check digit is wrong.');
  await expect(form.getByTestId('grant-grantee')).toHaveAttribute('aria-invalid', 'true');
  await shell.screenshot('consent-grant', { fullPage: false });
  // An organisation (not gated by provider credentials): permit treatment, general records.
  await form.getByTestId('grant-grantee').fill('GH-CARDIOLOGY');
  await form.getByTestId('grant-submit').click();
  await expect(form).toBeHidden();
  await expect(page.getByTestId('success-notice')).toContainText('recorded: permit TREAT general for GH-CARDIOLOGY');

  // Its detail opens, with its history.
  await expect(consents.detail).toBeVisible();
  const consentId = Number(await consents.detail.getAttribute('data-consent-id'));
  await expect(consents.detail).toContainText('Roe, Jane');
  await expect(consents.detail).toContainText('2024-01-01 → 2030-12-31');
  await expect(page.getByTestId('consent-detail-status')).toHaveAttribute('data-status', 'active');
  await expect(page.getByTestId('consent-history-entry')).toHaveCount(1);
  await expect(page.getByTestId('consent-history-entry').first()).toContainText(`${STAFF.manager.displayName} (you)`);
  await expect(page.getByTestId('consent-detail-hash')).toHaveText(/^0x[0-9a-f]{64}$/);
  await shell.screenshot('consent-detail', { fullPage: false });
  await expectAccessible(page, testInfo, 'consent-detail');

  // --- Check access from the consent: permitted by it. ---
  await page.getByTestId('consent-check-access').click();
  await expect(page).toHaveURL(/#\/consents\/access$/);
  await expect(page.getByTestId('access-grantee')).toHaveValue('GH-CARDIOLOGY');
  await page.getByTestId('access-submit').click();
  await expect(consents.accessResult).toHaveAttribute('data-decision', 'permit');
  await expect(consents.accessResult).toHaveAttribute('data-break-glass', 'false');
  await expect(page.getByTestId('access-reason')).toContainText('Permitted by a consent in force');
  const decidedBy = page.locator(`[data-testid="access-decided-by-row"][data-consent-id="${consentId}"]`);
  await expect(decidedBy).toHaveAttribute('data-counts', 'true');

  // --- Revoke it, with a reason (from the decision's own link to the consent). ---
  await decidedBy.getByRole('button', { name: `Open consent ${consentId}` }).click();
  await expect(consents.detail).toHaveAttribute('data-consent-id', String(consentId));
  await page.getByTestId('consent-revoke').click();
  await page.getByTestId('revoke-submit').click();
  await expect(page.getByTestId('revoke-form')).toContainText('Say why the consent is revoked');
  await page.getByTestId('revoke-reason').fill('Patient withdrew consent by letter dated 2025-11-20');
  await page.getByTestId('revoke-submit').click();
  await expect(page.getByTestId('consent-revoked-notice')).toBeVisible();
  await expect(page.getByTestId('consent-detail-status')).toHaveAttribute('data-status', 'revoked');
  await expect(page.getByTestId('consent-detail-status-text')).toContainText('Patient withdrew consent');
  await expect(page.locator('[data-testid="consent-history-entry"][data-action="revoke"]')).toContainText('Patient withdrew consent');
  await page.keyboard.press('Escape');
  await expect(consents.drawer).toBeHidden();

  // --- The same question is now denied, and the answer says why: the consent is revoked and does not count. ---
  await page.getByTestId('access-submit').click();
  await expect(consents.accessResult).toHaveAttribute('data-decision', 'deny');
  await expect(page.getByTestId('access-reason')).toContainText('no consent in force');
  await expect(decidedBy).toHaveAttribute('data-counts', 'false');
  await expect(decidedBy).toContainText('revoked (Patient withdrew consent by letter dated 2025-11-20): does not count');
  await shell.screenshot('check-access');
  await expectAccessible(page, testInfo, 'check-access');

  // --- Picking ETREAT only asks (the answer is cleared when the question changes); break-glass is its own action. ---
  await consents.accessPurpose.selectOption('ETREAT');
  await expect(consents.accessResult).toHaveCount(0);
  await expect(consents.accessCleared).toBeVisible();
  await consents.accessSubmit.click();
  await expect(consents.accessResult).toHaveAttribute('data-break-glass', 'false');
  await consents.breakGlassOpen.click();
  await consents.breakGlassConfirm.click();
  await expect(consents.breakGlassDialog).toContainText('Say why the record must be opened now');
  await consents.breakGlassReason.fill('Unconscious in the emergency department, no one to ask');
  await consents.breakGlassConfirm.click();
  await expect(consents.accessResult).toHaveAttribute('data-decision', 'permit');
  await expect(consents.accessResult).toHaveAttribute('data-break-glass', 'true');
  await expect(consents.accessReason).toContainText('Break-glass emergency access: Unconscious in the emergency department');

  // --- Back to the table: the revoked consent shows as such; select it and another, export them as FHIR. ---
  await page.getByTestId('consents-tab-list').click();
  await consents.waitForTable();
  await consents.searchFor('E2ECON001');
  await expect(consents.rows).toHaveCount(1);
  await expect(consents.row(consentId)).toHaveAttribute('data-status', 'revoked');
  // Its source says who and on which day, the year whole (a slice of the date and time once cut it to "Dec 7, 202").
  const today = new Intl.DateTimeFormat('en-US', { year: 'numeric', month: 'short', day: 'numeric' }).format(new Date());
  await expect(consents.row(consentId).locator('td').last()).toContainText(today);
  await page.getByTestId('consents-filter-clear').click();
  await expect.poll(() => consents.totalShown()).toBe(seeded + 1);
  await consents.row(consentId).getByTestId('consent-select').check();
  const other = consents.rows.nth(1);
  const otherMrn = (await other.getAttribute('data-mrn'))!;
  await other.getByTestId('consent-select').check();
  await expect(page.getByTestId('consents-selected-count')).toHaveText('2 selected');
  await shell.screenshot('consents', { fullPage: false });
  await expectAccessible(page, testInfo, 'consents');
  await page.getByTestId('consents-export-selected').click();
  const result = page.getByTestId('consents-export-result');
  // The export runs as a job: the panel follows it and links the file once it is written.
  await expect(result).toHaveAttribute('data-state', 'succeeded');
  await expect(result).toHaveAttribute('data-count', '2');
  const [download] = await Promise.all([page.waitForEvent('download'), page.getByTestId('consents-export-download').click()]);
  expect(download.suggestedFilename()).toMatch(/^consents-.*\.ndjson$/);
  const exportPath = (await download.path())!;
  const lines = fs.readFileSync(exportPath, 'utf8').trim().split('\n');
  expect(lines).toHaveLength(2);
  type FhirConsent = { resourceType: string; status: string; contained?: { identifier?: { value?: string }[] }[] };
  const resources = lines.map((l) => JSON.parse(l) as FhirConsent);
  expect(resources.every((r) => r.resourceType === 'Consent')).toBe(true);
  const mrnOf = (r: FhirConsent) => r.contained?.[0]?.identifier?.[0]?.value;
  expect(resources.map(mrnOf).sort()).toEqual(['E2ECON001', otherMrn].sort());
  // The revoked consent exports as no longer in force.
  expect(resources.find((r) => mrnOf(r) === 'E2ECON001')?.status).toBe('inactive');

  // --- A records clerk records consents but neither revokes, exports nor runs imports: those controls are not offered. ---
  await shell.signOut();
  await new SignInPage(page).signIn(STAFF.clerk);
  await consents.open();
  await expect(page.getByTestId('consents-grant')).toBeVisible();
  await expect(page.getByTestId('consents-select-all')).toHaveCount(0);
  await expect(page.getByTestId('consents-export-selected')).toHaveCount(0);
  await consents.rows.nth(1).getByTestId('consent-open').click();
  await expect(consents.detail).toBeVisible();
  await expect(page.getByTestId('consent-check-access')).toBeVisible();
  await expect(page.getByTestId('consent-revoke')).toHaveCount(0);
  await page.keyboard.press('Escape');
  await page.getByTestId('nav-imports').click();
  await expect(shell.pageTitle).toHaveText('Imports');
  await expect(page.getByTestId('import-history-row')).toHaveCount(1);
  await expect(page.getByTestId('import-new')).toHaveCount(0);
  await expect(page.getByTestId('import-resume')).toHaveCount(0);
});
