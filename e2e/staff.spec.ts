// Settings → Staff as an IT administrator works it, keyboard first: a taken username named under its field, a role
// change that says what it grants and removes, a password reset, and disabling (the person cannot sign in) and
// enabling again. The administrator's own account cannot be demoted or disabled.
import { expect, provisionStaff, STAFF, test } from './fixtures';
import { ConsoleShell } from './pages/ConsoleShell';
import { SignInPage } from './pages/SignInPage';
import { StaffPage } from './pages/StaffPage';

test('an administrator manages accounts from the keyboard, with confirmations and field errors', async ({ page, custodian }) => {
  await provisionStaff(custodian, [STAFF.clerk]);
  const shell = new ConsoleShell(page);
  const signIn = new SignInPage(page);
  const staff = new StaffPage(page);
  await shell.open(custodian.url);
  await signIn.signIn(custodian.admin!);
  await staff.open();

  // A username that is taken: main's CONFLICT names the field.
  await page.getByTestId('staff-create').click();
  const create = page.getByRole('dialog', { name: 'New staff account' });
  await expect(create.getByTestId('staff-username')).toBeFocused();
  await page.keyboard.type(STAFF.clerk.username);
  await create.getByTestId('staff-display-name').fill('Someone Else');
  await create.getByTestId('staff-password').fill('another long phrase');
  await create.getByTestId('staff-confirm').fill('another long phrase');
  await create.getByTestId('staff-confirm').press('Enter');
  await expect(create).toContainText('Username is already taken by another account.');
  await expect(create.getByTestId('staff-username')).toHaveAttribute('aria-invalid', 'true');
  await page.keyboard.press('Escape');
  await expect(create).toBeHidden();

  // Change the clerk's role with the keyboard: Manage… → Change role… → pick → confirm.
  await page.getByTestId(`staff-manage-${STAFF.clerk.username}`).focus();
  await page.keyboard.press('Enter');
  await expect(page.getByTestId('staff-action-role')).toBeVisible();
  await page.getByTestId('staff-action-role').focus();
  await page.keyboard.press('Enter');
  const roleDialog = page.getByRole('dialog', { name: /Change the role of/ });
  await roleDialog.getByTestId('change-role-select').selectOption('records_manager');
  await expect(roleDialog).toContainText('Gains');
  await expect(roleDialog).toContainText('Read the audit trail, verify it, review break-glass access');
  await shell.screenshot('staff-change-role');
  await roleDialog.getByTestId('change-role-submit').click();
  await expect(staff.feedback).toContainText(`${STAFF.clerk.username} is now a Records manager`);
  await expect(staff.row(STAFF.clerk.username).getByTestId('staff-role-label')).toHaveText('Records manager');

  // Reset the password: rules shown, confirmation checked.
  const reset = await staff.action(STAFF.clerk.username, 'password');
  await reset.getByTestId('reset-password').fill('a fresh pass phrase');
  await reset.getByTestId('reset-confirm').fill('a fresh pass phrase!');
  await reset.getByTestId('reset-password-submit').click();
  await expect(reset).toContainText('The two passwords differ.');
  await reset.getByTestId('reset-confirm').fill('a fresh pass phrase');
  await reset.getByTestId('reset-password-submit').click();
  await expect(staff.feedback).toContainText('signed out everywhere');

  // Disable: confirmed, badged, and the person can no longer sign in.
  const disable = await staff.action(STAFF.clerk.username, 'disable');
  await expect(disable).toContainText('will be signed out at once');
  await disable.getByTestId('toggle-staff-submit').click();
  await expect(staff.row(STAFF.clerk.username).getByTestId('staff-badge-disabled')).toBeVisible();

  // Your own account: no demotion, no disabling.
  await page.getByTestId(`staff-manage-${custodian.admin!.username}`).click();
  await expect(page.getByTestId('staff-action-role')).toBeDisabled();
  await expect(page.getByTestId('staff-action-disable')).toBeDisabled();
  await page.keyboard.press('Escape');
  await shell.screenshot('staff-disabled');

  await shell.signOut();
  await signIn.attempt(STAFF.clerk.username, 'a fresh pass phrase');
  await signIn.expectRefused('AUTH_FAILED');

  await signIn.signIn(custodian.admin!);
  await staff.open();
  const enable = await staff.action(STAFF.clerk.username, 'enable');
  await enable.getByTestId('toggle-staff-submit').click();
  await expect(staff.row(STAFF.clerk.username).getByTestId('staff-badge-active')).toBeVisible();
  await shell.signOut();
  // A reset password is temporary: the clerk picks their own before anything else.
  await signIn.signInFirstTime({ username: STAFF.clerk.username, password: 'a fresh pass phrase' }, 'the clerk chose this one');
  await shell.expectSignedIn(STAFF.clerk.displayName, 'Records manager');
});
