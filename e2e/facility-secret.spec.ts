// Settings → Workstation → Facility secret: an IT administrator sees the secret's fingerprint (to compare with the
// other workstations), never the secret; a records manager, who may read settings, sees no such section and main
// refuses the channel.
import crypto from 'node:crypto';
import { secretFingerprint } from '../main/consents/facility-secret';
import { replaceFacilitySecret } from '../main/consents/pseudonym';
import { expect, invokeAs, provisionStaff, signedInApi, STAFF, test } from './fixtures';
import { ConsoleShell } from './pages/ConsoleShell';
import { SignInPage } from './pages/SignInPage';

test('the fingerprint of the facility secret is shown to IT administrators only, and the secret never', async ({ page, custodian }) => {
  await provisionStaff(custodian, [STAFF.manager]);
  const shell = new ConsoleShell(page);
  await shell.open(custodian.url);
  await new SignInPage(page).signIn(custodian.admin!);
  await shell.goto('#/settings');
  const section = page.getByTestId('settings-facility-secret');
  // The console makes the folder's secret at its first start (the consent ledger's facility id derives from it).
  await expect(section.getByTestId('settings-secret-fingerprint')).toBeVisible();
  const first = await section.getByTestId('settings-secret-fingerprint').innerText();

  // A secret arrives (as `custodian facility-secret import` would put it); the page reads it again on its next visit.
  const secret = crypto.randomBytes(32);
  replaceFacilitySecret(custodian.dataDir, secret);
  await shell.goto('#/dashboard');
  await shell.goto('#/settings');
  await expect(section.getByTestId('settings-secret-fingerprint')).toHaveText(secretFingerprint(secret));
  expect(secretFingerprint(secret)).not.toBe(first);
  const html = await page.content();
  expect(html).not.toContain(secret.toString('hex'));
  expect(html).not.toContain(secret.toString('base64'));
  await shell.screenshot('settings-facility-secret');

  // A records manager reads settings but not the secret's fingerprint: hidden on screen, refused by main.
  const api = await signedInApi(custodian, STAFF.manager);
  try {
    const res = await invokeAs(api, custodian, 'facilitySecret.fingerprint', {});
    expect(res.status()).toBe(403);
    expect(await res.json()).toMatchObject({ error: { code: 'PERMISSION_DENIED' } });
  } finally {
    await api.dispose();
  }
  await shell.signOut();
  await new SignInPage(page).signIn(STAFF.manager);
  await shell.goto('#/settings');
  await expect(page.getByTestId('settings-workstation')).toBeVisible();
  await expect(page.getByTestId('settings-facility-secret')).toHaveCount(0);
});
