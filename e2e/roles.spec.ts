// Staff access control end to end, as a records department would live it: the first IT administrator is set up
// through the console, creates a clerk, a records manager and an auditor, and each signs in. A clerk cannot reach
// the audit trail or staff settings (hidden, refused on screen, refused by main), an auditor cannot run imports,
// five wrong passwords lock an account, and the auditor then finds every one of these actions in the trail.
import { randomUUID } from 'node:crypto';
import AxeBuilder from '@axe-core/playwright';
import type { Page, TestInfo } from '@playwright/test';
import { isChannelName } from '../main/api/index';
import { expect, invokeAs, STAFF, test, type CustodianServer, type StaffCredentials } from './fixtures';
import { AuditPage } from './pages/AuditPage';
import { ConsoleShell } from './pages/ConsoleShell';
import { SetupPage, SignInPage } from './pages/SignInPage';
import { StaffPage } from './pages/StaffPage';

test.use({ adminSetup: 'none' });

const ADMIN: StaffCredentials = { username: 'iris.admin', displayName: 'Iris Admin', password: 'set up through the console', role: 'it_admin' };

/** Serious or critical axe findings on the current screen (attached in full to the report). */
async function expectAccessible(page: Page, testInfo: TestInfo, name: string): Promise<void> {
  const results = await new AxeBuilder({ page }).withTags(['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa']).analyze();
  await testInfo.attach(`axe-${name}.json`, { body: JSON.stringify(results.violations, null, 2), contentType: 'application/json' });
  const blocking = results.violations.filter((v) => v.impact === 'serious' || v.impact === 'critical');
  expect(
    blocking.map((v) => `${v.id}: ${v.help} — ${v.nodes.map((n) => `${n.target.join(' ')}: ${n.failureSummary ?? ''}`).slice(0, 3).join(' | ')}`),
    `axe on ${name}`,
  ).toEqual([]);
}

/** Calls a channel with the page's own session cookie and console token, as a script in the page could. */
async function callFromPage(page: Page, custodian: CustodianServer, channel: string, input: unknown = {}) {
  const res = await invokeAs(page.request, custodian, channel, input);
  return { status: res.status(), body: (await res.json()) as { ok: boolean; error?: { code: string } } };
}

test('each role sees and may do only its own work, and the auditor finds all of it in the trail', async ({ page, custodian }, testInfo) => {
  test.setTimeout(240_000);
  const shell = new ConsoleShell(page);
  const signIn = new SignInPage(page);
  const setup = new SetupPage(page);
  const staff = new StaffPage(page);
  const audit = new AuditPage(page);

  // --- First start: the set-up screen, with the status bar already showing nobody is signed in. ---
  await shell.open(custodian.url);
  await expect(setup.root).toBeVisible();
  await expect(shell.principal).toHaveText('Not signed in');
  await shell.waitForConnectedChain();

  // Main checks the fields and says which one it refuses.
  await setup.fill({ ...ADMIN, password: 'too short' });
  await setup.submit.click();
  await expect(setup.password).toHaveAttribute('aria-invalid', 'true');
  await expect(setup.root).toContainText('Password must be at least 12 characters.');
  await setup.fill(ADMIN, 'a different phrase');
  await setup.submit.click();
  await expect(setup.confirm).toHaveAttribute('aria-invalid', 'true');
  await expect(setup.root).toContainText('The two passwords differ.');

  await setup.fill(ADMIN);
  await expect(setup.root.locator('[data-met="true"]')).toHaveCount(2);
  await expectAccessible(page, testInfo, 'setup');
  await shell.screenshot('setup');
  await setup.submit.click();
  await shell.expectSignedIn(ADMIN.displayName, 'IT administrator');
  await expect(shell.principal).toHaveText(`${ADMIN.displayName} (IT administrator)`);
  // An IT administrator manages staff but does not read the audit trail.
  await expect(shell.navLink('settings')).toBeVisible();
  await expect(shell.navLink('audit')).toHaveCount(0);
  // Only the IT administrator sees where the chain signing key comes from (the embedded devnet's public key here).
  await shell.navLink('settings').click();
  await expect(page.getByTestId('signing-key-source')).toHaveText(/Embedded devnet key/);
  await expect(page.getByTestId('signing-key-reason')).toContainText('nothing to seal');
  await shell.screenshot('settings-signing-key');

  // --- The administrator creates one account per role in Settings → Staff. ---
  await staff.open();
  await expect(staff.row(ADMIN.username)).toContainText('IT administrator');
  for (const member of [STAFF.clerk, STAFF.manager, STAFF.auditor]) await staff.create(member);
  await expect(staff.table.locator('tbody tr')).toHaveCount(4);
  await expectAccessible(page, testInfo, 'staff');
  await shell.screenshot('staff');
  await page.getByTestId('settings-tab-roles').click();
  await expect(staff.permissionTable.locator('[data-permission="audit.view"] [data-role="records_clerk"]')).toHaveAttribute('data-allowed', 'false');
  await expect(staff.permissionTable.locator('[data-permission="audit.view"] [data-role="auditor"]')).toHaveAttribute('data-allowed', 'true');
  await shell.screenshot('roles-and-permissions');

  await shell.signOut();
  await expect(signIn.notice).toHaveText('You are signed out.');
  await expect(shell.principal).toHaveText('Not signed in');
  await expectAccessible(page, testInfo, 'sign-in');
  await shell.screenshot('sign-in');

  // --- Wrong passwords are refused with one message; they never lock the account (throttling is by source). ---
  for (let attempt = 1; attempt <= 4; attempt += 1) {
    await signIn.attempt(STAFF.manager.username, `wrong guess ${attempt}`);
    expect(await signIn.expectRefused('AUTH_FAILED')).toContain('Wrong username or password');
  }
  await shell.screenshot('sign-in-refused');

  // --- The records clerk: one typo, then in. No audit trail, no staff settings — hidden, refused on screen and by main. ---
  await signIn.attempt(STAFF.clerk.username, 'not my password');
  await signIn.expectRefused('AUTH_FAILED');
  // The password the administrator typed is temporary: the first sign-in asks for the person's own.
  await signIn.signInFirstTime(STAFF.clerk, `${STAFF.clerk.password} of my own`);
  await shell.expectSignedIn(STAFF.clerk.displayName, 'Records clerk');
  await expect(shell.navLink('consents')).toBeVisible();
  await expect(shell.navLink('audit')).toHaveCount(0);
  await expect(shell.navLink('settings')).toHaveCount(0);

  await shell.goto('#/audit');
  await expect(shell.pageTitle).toHaveText('Audit');
  await expect(shell.permissionNotice).toContainText('Records clerk role does not include');
  await expect(shell.permissionNotice).toContainText('audit.view');
  await expect(audit.table).toHaveCount(0);
  await shell.screenshot('clerk-audit-refused');
  await shell.goto('#/settings/staff');
  await expect(shell.pageTitle).toHaveText('Settings');
  await expect(shell.permissionNotice).toBeVisible();
  await expect(staff.table).toHaveCount(0);

  const clerkAudit = await callFromPage(page, custodian, 'audit.list', { limit: 10 });
  expect(clerkAudit.status).toBe(403);
  expect(clerkAudit.body).toMatchObject({ ok: false, error: { code: 'PERMISSION_DENIED' } });
  const clerkStaff = await callFromPage(page, custodian, 'staff.list');
  expect(clerkStaff.status).toBe(403);
  expect(clerkStaff.body).toMatchObject({ ok: false, error: { code: 'PERMISSION_DENIED' } });
  await shell.goto('#/dashboard');
  await shell.signOut();

  // --- The manager's account was not locked by the wrong guesses: the administrator sees no lock. ---
  await signIn.signIn(ADMIN);
  await staff.open();
  await expect(staff.row(STAFF.manager.username).getByTestId('staff-badge-locked')).toHaveCount(0);
  await shell.signOut();

  await signIn.signInFirstTime(STAFF.manager, `${STAFF.manager.password} of my own`);
  await shell.expectSignedIn(STAFF.manager.displayName, 'Records manager');
  await expect(shell.navLink('audit')).toBeVisible();
  await expect(shell.navLink('settings')).toBeVisible();
  await shell.signOut();

  // --- The auditor: reads everything, runs nothing. ---
  await signIn.signInFirstTime(STAFF.auditor, `${STAFF.auditor.password} of my own`);
  await shell.expectSignedIn(STAFF.auditor.displayName, 'Auditor');
  await shell.navLink('imports').click();
  await expect(shell.pageTitle).toHaveText('Imports');
  // No control that starts or cancels an import is offered (any that exist are disabled).
  const runControls = page.getByRole('main').getByRole('button', { name: /import|start|run|upload|resume|cancel/i });
  for (const control of await runControls.all()) await expect(control).toBeDisabled();
  // …and main refuses the call itself.
  const importChannel = isChannelName('imports.start') ? 'imports.start' : 'jobs.cancel';
  const auditorImport = await callFromPage(page, custodian, importChannel, { jobId: randomUUID() });
  expect(auditorImport.status, `${importChannel} as an auditor`).toBe(403);
  expect(auditorImport.body).toMatchObject({ ok: false, error: { code: 'PERMISSION_DENIED' } });

  // --- Everything above is in the trail, as the auditor sees it on the Audit page. ---
  await audit.open();
  // The administrator created two accounts that see patients (clerk, manager): the auditor is told, above the trail.
  await expect(page.getByTestId('staff-alert')).toHaveCount(2);
  await expect(page.getByTestId('staff-alerts')).toContainText(STAFF.manager.username);
  await expect(audit.matching({ action: 'auth.setup', outcome: 'success', actor: ADMIN.displayName })).toHaveCount(1);
  for (const member of [STAFF.clerk, STAFF.manager, STAFF.auditor]) {
    await expect(audit.matching({ action: 'staff.create', outcome: 'success', actor: ADMIN.displayName, subject: member.username })).toHaveCount(1);
  }
  // Sign-ins: the administrator twice (after set-up), then clerk, manager and auditor once each.
  await expect(audit.matching({ action: 'auth.login', outcome: 'success', actor: ADMIN.displayName })).toHaveCount(1);
  for (const member of [STAFF.clerk, STAFF.manager, STAFF.auditor]) {
    await expect(audit.matching({ action: 'auth.login', outcome: 'success', actor: member.displayName })).toHaveCount(1);
  }
  // Failed sign-ins: four for the manager, one for the clerk.
  await expect(audit.matching({ action: 'auth.login', outcome: 'failure', subject: STAFF.manager.username })).toHaveCount(4);
  await expect(audit.matching({ action: 'auth.login', outcome: 'failure', subject: STAFF.clerk.username })).toHaveCount(1);
  // Sign-outs of the administrator (twice), the clerk and the manager.
  await expect(audit.matching({ action: 'auth.logout', outcome: 'success', actor: ADMIN.displayName })).toHaveCount(2);
  await expect(audit.matching({ action: 'auth.logout', outcome: 'success', actor: STAFF.clerk.displayName })).toHaveCount(1);
  await expect(audit.matching({ action: 'auth.logout', outcome: 'success', actor: STAFF.manager.displayName })).toHaveCount(1);
  // Refused calls, with who tried.
  await expect(audit.matching({ action: 'audit.list', outcome: 'denied', actor: STAFF.clerk.displayName })).toHaveCount(1);
  await expect(audit.matching({ action: 'staff.list', outcome: 'denied', actor: STAFF.clerk.displayName })).toHaveCount(1);
  await expect(audit.matching({ action: importChannel, outcome: 'denied', actor: STAFF.auditor.displayName })).toHaveCount(1);
  await expectAccessible(page, testInfo, 'audit');
  await shell.screenshot('audit-trail');

  // The clerk's own history, through the staff filter: the typo, the sign-in, choosing their own password, both
  // refusals and the sign-out.
  await audit.filterByStaff(STAFF.clerk.displayName);
  await expect(page).toHaveURL(/#\/audit\?staff=/);
  await expect(audit.matching({ action: 'auth.login', outcome: 'failure' })).toHaveCount(1);
  await expect(audit.matching({ action: 'auth.login', outcome: 'success' })).toHaveCount(1);
  await expect(audit.matching({ outcome: 'denied' })).toHaveCount(2);
  await expect(audit.matching({ action: 'auth.logout' })).toHaveCount(1);
  await expect(audit.matching({ action: 'auth.changePassword', outcome: 'success' })).toHaveCount(1);
  await expect(audit.rows).toHaveCount(6);
  await shell.screenshot('audit-clerk-history');

  // A refusal opened in full: who, what, the error code main gave.
  await audit.matching({ action: 'audit.list', outcome: 'denied' }).getByTestId('audit-open-entry').click();
  await expect(audit.drawer.getByTestId('audit-entry-actor')).toContainText(STAFF.clerk.displayName);
  await expect(audit.drawer).toContainText('PERMISSION_DENIED');
  await shell.screenshot('audit-entry-denied');
});
