// The Claims page as a records manager uses it: a patient consents to disclosure for payment to one payer; a claim
// checked by form fails with every reason shown (no verified credential, a malformed code, and a consent denied
// for another payer); a claims CSV is imported with passing-format, failing and malformed rows; the table filters
// by verdict and a claim's detail lists every reason. The chain round trip is covered by main/claims/chain.test.ts.
import AxeBuilder from '@axe-core/playwright';
import fs from 'node:fs';
import path from 'node:path';
import type { Page, TestInfo } from '@playwright/test';
import { expect, invokeAs, provisionStaff, signedInApi, STAFF, test } from './fixtures';
import { ClaimsPage } from './pages/ClaimsPage';
import { ConsoleShell } from './pages/ConsoleShell';
import { SignInPage } from './pages/SignInPage';

async function expectAccessible(page: Page, testInfo: TestInfo, name: string): Promise<void> {
  const results = await new AxeBuilder({ page }).withTags(['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa']).analyze();
  await testInfo.attach(`axe-${name}.json`, { body: JSON.stringify(results, null, 2), contentType: 'application/json' });
  const blocking = results.violations.filter((v) => v.impact === 'serious' || v.impact === 'critical');
  expect(blocking.map((v) => `${v.id}: ${v.help} — ${v.nodes.map((n) => n.target.join(' ')).slice(0, 3).join(' | ')}`), `axe on ${name}`).toEqual([]);
}

test('check a claim, import a claims file, filter and read every reason', async ({ page, custodian }, testInfo) => {
  test.setTimeout(180_000);
  await provisionStaff(custodian, [STAFF.manager]);
  const api = await signedInApi(custodian, STAFF.manager);
  const grant = await invokeAs(api, custodian, 'consents.grant', {
    facility: 'GH01', mrn: 'E2ECLM1', grantee: 'PAYER-ACME', granteeKind: 'org', decision: 'permit', purpose: 'HPAYMT', category: 'general', periodStart: '2024-01-01',
  });
  expect(grant.status(), await grant.text()).toBe(200);
  await api.dispose();

  const shell = new ConsoleShell(page);
  await shell.open(custodian.url);
  await new SignInPage(page).signIn(STAFF.manager);
  const claims = new ClaimsPage(page);
  await claims.open();
  await expect(claims.empty).toBeVisible();

  // --- Check a claim by form: a field problem is named by main first. ---
  const form = { claimId: 'E2E-1', facility: 'GH01', mrn: 'E2ECLM1', renderingNpi: '1234567893', payerId: 'PAYER-OTHER', serviceDate: '2026-13-01', codes: '99213; 9921', amount: '125.00' };
  await claims.tab('Check a claim').click();
  for (const [field, value] of Object.entries(form)) await page.getByTestId(`claim-field-${field}`).fill(value);
  await page.getByTestId('claim-check-button').click();
  await expect(page.getByTestId('error-banner')).toContainText('serviceDate: expected a date as YYYY-MM-DD');
  await claims.check({ ...form, serviceDate: '2026-06-01' }, true);
  await expect(claims.verdict).toHaveAttribute('data-verdict', 'fail');
  const reasons = claims.verdict.locator('[data-reason]');
  await expect(reasons).toHaveCount(3);
  await expect(claims.verdict.locator('[data-reason="MALFORMED_CODE"]')).toContainText('"9921" is malformed: CPT is 5 digits');
  await expect(claims.verdict.locator('[data-reason="CREDENTIAL_NOT_VERIFIED"]')).toContainText('not in the provider directory');
  await expect(claims.verdict.locator('[data-reason="CONSENT_DENIED"]')).toContainText('payer PAYER-OTHER for payment (HPAYMT): Denied');
  await expect(claims.verdict).toContainText('stored as claim #1, not sent');
  await shell.screenshot('claims-check', { fullPage: false });
  await expectAccessible(page, testInfo, 'claims-check');

  // --- Import a claims file: four rows stored with their verdicts, two rejected by row and column. ---
  const file = path.join(custodian.dataDir, 'claims-e2e.csv');
  fs.writeFileSync(
    file,
    [
      'claim_id,facility,mrn,rendering_npi,payer_id,service_date,codes,amount',
      'E2E-2,GH01,E2ECLM1,1234567893,PAYER-ACME,2026-06-02,99214,80.00',
      'E2E-3,GH01,E2ECLM1,1234567890,PAYER-ACME,2026-06-03,J1100,10.00',
      'E2E-4,GH01,NOBODY,1234567893,PAYER-ACME,2026-06-04,E11.9,10.00',
      'E2E-5,GH01,E2ECLM1,1234567893,PAYER-ACME,not-a-date,99213,10.00',
      'E2E-1,GH01,E2ECLM1,1234567893,PAYER-ACME,2026-06-01,99213,999.00',
      'E2E-6,GH01,E2ECLM1,1234567893,PAYER-ACME,2026-06-05,99213,0',
    ].join('\n'),
  );
  const run = await claims.importFile(file);
  await expect(run).toContainText('6'); // rows read
  await shell.screenshot('claims-import', { fullPage: false });

  await claims.tab('Claims').click();
  await expect(claims.rows).toHaveCount(5);
  await expect(claims.row('E2E-3').getByTestId('claim-row-verdict')).toHaveText('fail');
  await expect(claims.row('E2E-3')).toContainText('Invalid NPI');
  await expect(claims.row('E2E-4')).toContainText('Consent denied');
  await shell.screenshot('claims-table', { fullPage: false });

  // Filter by verdict, then read a claim's every reason in its detail.
  await page.getByTestId('claims-filter-payer').fill('PAYER-OTHER');
  await expect(claims.rows).toHaveCount(1);
  await page.getByRole('button', { name: 'Clear' }).click();
  await expect(claims.rows).toHaveCount(5);
  await claims.row('E2E-6').getByRole('button', { name: 'Open claim E2E-6' }).click();
  await expect(claims.detail).toBeVisible();
  await expect(page.getByTestId('claim-detail-verdict')).toHaveText('fail');
  await expect(claims.detail.locator('[data-reason="INVALID_AMOUNT"]')).toContainText('amount: must be more than 0.00');
  await expect(claims.detail.locator('[data-reason="CREDENTIAL_NOT_VERIFIED"]')).toBeVisible();
  await expect(page.getByTestId('claim-detail-chain')).toContainText('Not sent');
  await shell.screenshot('claims-detail', { fullPage: false });
  await expectAccessible(page, testInfo, 'claims-detail');
});
