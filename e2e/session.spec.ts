// The session as staff meet it: the console locks after inactivity (and ends the session in main too), or when
// main ends the session (an administrator reset the password); the password brings the same person back to the
// same screen, filters included.
import { expect, invokeAs, provisionStaff, signedInApi, STAFF, test } from './fixtures';
import { AuditPage } from './pages/AuditPage';
import { ConsoleShell } from './pages/ConsoleShell';
import { LockPage, SignInPage } from './pages/SignInPage';

test('inactivity locks the console and ends the session in main; unlocking returns to the same screen', async ({ page, custodian }) => {
  await provisionStaff(custodian, [STAFF.manager]);
  // A controllable clock, so fifteen idle minutes pass in an instant.
  await page.clock.install();
  const shell = new ConsoleShell(page);
  const audit = new AuditPage(page);
  const lock = new LockPage(page);
  await shell.open(custodian.url);
  await new SignInPage(page).signIn(STAFF.manager);

  await audit.open();
  await audit.filterByAction('auth.login');
  await expect(page).toHaveURL(/#\/audit\?action=auth\.login$/);

  await page.clock.fastForward('15:30');
  await expect(lock.root).toBeVisible();
  await expect(lock.root).toHaveAttribute('data-reason', 'idle');
  await expect(lock.reason).toContainText('after 15 minutes without activity');
  await expect(page.getByTestId('lock-principal')).toHaveText(STAFF.manager.displayName);
  await expect(lock.root).toContainText('return to Audit');
  // Nothing of the screen behind stays on the page; the status bar does, and says nobody is signed in.
  await expect(audit.table).toHaveCount(0);
  await expect(shell.statusBar).toBeVisible();
  await expect(shell.principal).toHaveText('Not signed in');
  await shell.screenshot('lock-screen');

  // Locked here means ended in main: the page's cookie no longer opens anything.
  const afterLock = await invokeAs(page.request, custodian, 'audit.list', { limit: 1 });
  expect(afterLock.status()).toBe(401);
  expect(await afterLock.json()).toMatchObject({ ok: false, error: { code: 'NOT_AUTHENTICATED' } });

  await lock.password.fill('not the password');
  await lock.submit.click();
  await expect(lock.error).toHaveAttribute('data-error-code', 'AUTH_FAILED');
  await lock.unlock(STAFF.manager.password);
  await expect(page).toHaveURL(/#\/audit\?action=auth\.login$/);
  await expect(shell.pageTitle).toHaveText('Audit');
  await expect(page.getByTestId('audit-filter-action')).toHaveValue('auth.login');
  await audit.waitForTrail();
  // Three: the first sign-in with the temporary password (provisionStaff, to choose her own), this test's, the unlock.
  await expect(audit.matching({ action: 'auth.login', outcome: 'success', actor: STAFF.manager.displayName })).toHaveCount(3);
  await expect(audit.matching({ action: 'auth.login', outcome: 'failure' })).toHaveCount(1);

  // Locking by hand (leaving the desk) works the same way; "sign in as someone else" leaves for the sign-in screen.
  await shell.lock();
  await expect(lock.root).toHaveAttribute('data-reason', 'manual');
  await page.getByTestId('lock-sign-out').click();
  await expect(new SignInPage(page).root).toBeVisible();
});

test('a session ended in main locks the console; the new password opens it again', async ({ page, custodian }) => {
  await provisionStaff(custodian, [STAFF.clerk]);
  const shell = new ConsoleShell(page);
  const lock = new LockPage(page);
  await shell.open(custodian.url);
  await new SignInPage(page).signIn(STAFF.clerk);
  await expect(shell.pageTitle).toHaveText('Dashboard');

  // An IT administrator resets the clerk's password elsewhere: main ends every session of the clerk.
  const admin = await signedInApi(custodian, custodian.admin!);
  const list = (await (await invokeAs(admin, custodian, 'staff.list')).json()) as { value: { id: string; username: string }[] };
  const clerkId = list.value.find((m) => m.username === STAFF.clerk.username)!.id;
  const newPassword = 'a new phrase for cole';
  expect((await invokeAs(admin, custodian, 'staff.resetPassword', { id: clerkId, password: newPassword })).status()).toBe(200);
  await admin.dispose();

  // The dashboard's next poll is refused, and the console locks in place.
  await expect(lock.root).toBeVisible();
  await expect(lock.root).toHaveAttribute('data-reason', 'ended');
  await expect(lock.reason).toContainText('Your session ended');
  await lock.password.fill(STAFF.clerk.password);
  await lock.submit.click();
  await expect(lock.error).toHaveAttribute('data-error-code', 'AUTH_FAILED');
  // The reset password is temporary: unlocking with it leads to the forced change, then back to the page.
  await lock.password.fill(newPassword);
  await lock.submit.click();
  await new SignInPage(page).choosePassword(newPassword, 'cole picked this phrase');
  await expect(shell.pageTitle).toHaveText('Dashboard');
  await shell.expectSignedIn(STAFF.clerk.displayName, 'Records clerk');
});
