// A new data folder as its IT administrator meets it (the first-run checklist ticking from real state), and the
// console as a keyboard user and a dark-mode user meets it: shortcuts listed per role and working, the colour
// scheme following the OS with an override that sticks.
import { ADMIN, expect, provisionStaff, STAFF, test } from './fixtures';
import { ConsoleShell } from './pages/ConsoleShell';
import { SignInPage } from './pages/SignInPage';

test('the IT administrator sees the first-run checklist tick as the folder is set up; records staff never see it', async ({ page, custodian }) => {
  const shell = new ConsoleShell(page);
  await shell.open(custodian.url);
  await new SignInPage(page).signIn(ADMIN);
  const card = page.getByTestId('card-first-run');
  await expect(card).toBeVisible();
  await expect(page.getByTestId('first-run-staff')).toHaveAttribute('data-done', 'false');
  await expect(page.getByTestId('first-run-first-import')).toHaveAttribute('data-done', 'false');
  await expect(page.getByTestId('first-run-facility-secret')).toHaveAttribute('data-done', 'false');
  // The embedded devnet answers once started: the chain item ticks by itself.
  await expect(page.getByTestId('first-run-chain')).toHaveAttribute('data-done', 'true', { timeout: 90_000 });
  await shell.screenshot('first-run-checklist-new-folder', { fullPage: false });

  // A staff account made (through the API, as another admin would): the item ticks on the card's next read.
  await provisionStaff(custodian, [STAFF.clerk]);
  await expect(page.getByTestId('first-run-staff')).toHaveAttribute('data-done', 'true', { timeout: 30_000 });
  await expect(card).toContainText('2 of 4 done');
  await shell.screenshot('first-run-checklist-staff-done', { fullPage: false });
  await shell.signOut();

  await new SignInPage(page).signIn(STAFF.clerk);
  await expect(page.getByTestId('card-chain')).toBeVisible();
  await expect(page.getByTestId('card-first-run')).toHaveCount(0);
});

test('keyboard shortcuts: listed per role in a help dialog, and each one works', async ({ page, custodian }) => {
  await provisionStaff(custodian, [STAFF.clerk, STAFF.auditor]);
  const shell = new ConsoleShell(page);
  await shell.open(custodian.url);
  await new SignInPage(page).signIn(STAFF.clerk);
  await expect(shell.pageTitle).toHaveText('Dashboard');

  await page.keyboard.press('?');
  const help = page.getByRole('dialog', { name: 'Keyboard shortcuts' });
  await expect(help).toBeVisible();
  await expect(help).toContainText('Record a new consent');
  await expect(help).not.toContainText('Go to Audit');
  await shell.screenshot('shortcuts-help-clerk', { fullPage: false });
  await page.keyboard.press('Escape');
  await expect(help).toBeHidden();

  await page.keyboard.press('g');
  await page.keyboard.press('c');
  await expect(shell.pageTitle).toHaveText('Consents');
  await page.keyboard.press('g');
  await page.keyboard.press('d');
  await expect(shell.pageTitle).toHaveText('Dashboard');

  await page.keyboard.press('/');
  await expect(page.getByTestId('consents-search')).toBeFocused();
  // Typing in the field is typing, not a shortcut: "g c" lands in the search box.
  await page.keyboard.type('gc');
  await expect(page.getByTestId('consents-search')).toHaveValue('gc');
  await page.getByTestId('consents-search').blur();

  await page.keyboard.press('a');
  await expect(page.getByTestId('access-grantee')).toBeFocused();
  await page.getByTestId('access-grantee').blur();

  await page.keyboard.press('n');
  await expect(page.getByRole('dialog', { name: 'Record a consent' })).toBeVisible();
  await page.keyboard.press('Escape');
  await shell.signOut();

  // An auditor is offered no "new consent", and `n` does nothing for them.
  await new SignInPage(page).signIn(STAFF.auditor);
  await shell.userMenu.click();
  await page.getByTestId('menu-shortcuts').click();
  await expect(help).toContainText('Go to Audit');
  await expect(help).not.toContainText('Record a new consent');
  await page.keyboard.press('Escape');
  await page.keyboard.press('n');
  await expect(page.getByRole('dialog', { name: 'Record a consent' })).toHaveCount(0);
});

test('dark mode follows the OS, and the Appearance override sticks across a reload', async ({ page, custodian }) => {
  await provisionStaff(custodian, [STAFF.clerk]);
  const shell = new ConsoleShell(page);
  const scheme = () => page.locator('html').getAttribute('data-mantine-color-scheme');
  await page.emulateMedia({ colorScheme: 'dark' });
  await shell.open(custodian.url);
  await new SignInPage(page).signIn(STAFF.clerk);
  await expect.poll(scheme).toBe('dark');
  await shell.screenshot('dark-dashboard-clerk', { fullPage: false });

  // The person prefers light here whatever the OS says.
  await shell.userMenu.click();
  await page.getByTestId('menu-appearance').click();
  await page.getByRole('dialog', { name: 'Appearance' }).getByText('Light', { exact: true }).click();
  await expect.poll(scheme).toBe('light');
  await page.keyboard.press('Escape');
  await page.reload();
  await expect(page.getByTestId('app-title')).toBeVisible();
  await expect.poll(scheme).toBe('light');

  // Back to following the system: dark again.
  await shell.userMenu.click();
  await page.getByTestId('menu-appearance').click();
  await page.getByRole('dialog', { name: 'Appearance' }).getByText('Follow the system', { exact: true }).click();
  await expect.poll(scheme).toBe('dark');
});
