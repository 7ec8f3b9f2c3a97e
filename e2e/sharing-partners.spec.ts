// The partner directory on the Sharing page, as records staff use it: every organisation this one has an agreement
// with, found by any part of its id, with what its agreements are; a partner is picked (from the directory or from
// the forms' suggestions) for a release request or a new proposal instead of typing its id. Typed search text is text.
import AxeBuilder from '@axe-core/playwright';
import { Wallet } from 'ethers';
import type { APIRequestContext } from '@playwright/test';
import { expect, invokeAs, provisionStaff, signedInApi, STAFF, test, type CustodianServer } from './fixtures';
import { ConsoleShell } from './pages/ConsoleShell';
import { SharingPage } from './pages/SharingPage';
import { SignInPage } from './pages/SignInPage';

const day = (offset: number) => new Date(Date.now() + offset * 86_400_000).toISOString().slice(0, 10);

async function propose(api: APIRequestContext, server: CustodianServer, partnerOrgId: string): Promise<void> {
  const res = await invokeAs(api, server, 'sharing.propose', {
    partnerOrgId,
    partnerPublicKey: Wallet.createRandom().signingKey.compressedPublicKey,
    direction: 'outbound',
    categories: ['general'],
    purposes: ['TREAT'],
    validFrom: day(0),
    validUntil: day(365),
    documentHash: 'ab'.repeat(32),
  });
  expect(res.status(), await res.text()).toBe(200);
}

test('partner directory: find a partner by part of its id, pick it for a request and a proposal', async ({ page, custodian }) => {
  test.setTimeout(180_000);
  await provisionStaff(custodian, [STAFF.manager]);
  const shell = new ConsoleShell(page);
  const sharing = new SharingPage(page);
  await shell.open(custodian.url);
  await new SignInPage(page).signIn(STAFF.manager);
  await shell.waitForConnectedChain();

  const api = await signedInApi(custodian, STAFF.manager);
  try {
    await propose(api, custodian, 'NORTH-CLINIC');
    await propose(api, custodian, 'NORTH-CLINIC');
    await propose(api, custodian, 'lakeside.hosp');
  } finally {
    await api.dispose();
  }

  await sharing.open();
  await expect(await sharing.partners()).toHaveCount(2);
  await expect(sharing.partner('NORTH-CLINIC')).toContainText('2 proposed');
  await expect(sharing.partner('lakeside.hosp')).toContainText('1 proposed');
  await shell.screenshot('sharing-partner-directory', { fullPage: false });
  const axe = await new AxeBuilder({ page }).include('section[aria-label="Partner organisations"]').withTags(['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa', 'best-practice']).analyze();
  expect(axe.violations.filter((v) => v.impact === 'serious' || v.impact === 'critical').map((v) => `${v.id}: ${v.help}`)).toEqual([]);

  // --- Any part of the id, any case; pattern characters are text. ---
  await expect.poll(async () => (await sharing.partners('side.H')).count()).toBe(1);
  await expect(sharing.partner('lakeside.hosp')).toBeVisible();
  await expect.poll(async () => (await sharing.partners('north')).count()).toBe(1);
  await expect(page.getByTestId('partner-empty')).toHaveCount(0);
  await sharing.partners('%');
  await expect(page.getByTestId('partner-empty')).toContainText('No partner organisation matches this search.');
  await sharing.partners('.*');
  await expect(page.getByTestId('partner-empty')).toBeVisible();

  // --- Pick one for a release request: the form's organisation is filled, not typed. ---
  await expect.poll(async () => (await sharing.partners('north')).count()).toBe(1);
  await sharing.partner('NORTH-CLINIC').getByTestId('partner-request').click();
  await expect(page.getByTestId('request-partner')).toHaveValue('NORTH-CLINIC');
  // The form suggests the directory's partners as the id is typed.
  await page.getByTestId('request-partner').fill('lake');
  await page.getByRole('option', { name: 'lakeside.hosp' }).click();
  await expect(page.getByTestId('request-partner')).toHaveValue('lakeside.hosp');
  await shell.screenshot('sharing-partner-picked-for-request', { fullPage: false });

  // --- Propose a new agreement to a partner of the directory: the dialog opens with its id. ---
  await sharing.partner('NORTH-CLINIC').getByTestId('partner-propose').click();
  const dialog = page.getByTestId('propose-dialog');
  await expect(dialog.getByTestId('propose-partner')).toHaveValue('NORTH-CLINIC');
  await shell.screenshot('sharing-partner-propose', { fullPage: false });
});
