// The console in browser mode, as a records manager uses it: status bar, every screen, accessibility.
// Each test's server has its administrator from `custodian setup`; the records manager is created through the API.
import path from 'node:path';
import AxeBuilder from '@axe-core/playwright';
import type { Page } from '@playwright/test';
import { expect, provisionStaff, STAFF, test, type CustodianServer } from './fixtures';
import { ConsoleShell, NAV_PAGES } from './pages/ConsoleShell';
import { DashboardPage } from './pages/DashboardPage';
import { SettingsPage } from './pages/SettingsPage';
import { SignInPage } from './pages/SignInPage';

/** Opens the console and signs in as the records manager (who may see every screen). */
async function openAsManager(page: Page, custodian: CustodianServer): Promise<ConsoleShell> {
  await provisionStaff(custodian, [STAFF.manager]);
  const shell = new ConsoleShell(page);
  await shell.open(custodian.url);
  await new SignInPage(page).signIn(STAFF.manager);
  await shell.expectSignedIn(STAFF.manager.displayName, 'Records manager');
  return shell;
}

test('status bar shows the database, the connected devnet, the outbox and who is signed in', async ({ page, custodian }) => {
  await provisionStaff(custodian, [STAFF.manager]);
  const shell = new ConsoleShell(page);
  await shell.open(custodian.url);

  // The token moves to sessionStorage and leaves the address bar.
  await expect(page).not.toHaveURL(/token=/);

  // Before sign-in the status bar is already there (it shows no patient data) and says nobody is signed in.
  const signIn = new SignInPage(page);
  await expect(signIn.root).toBeVisible();
  await expect(shell.statusBar).toBeVisible();
  await expect(shell.principal).toHaveText('Not signed in');
  await signIn.signIn(STAFF.manager);
  await expect(shell.principal).toHaveText(`${STAFF.manager.displayName} (Records manager)`);

  await shell.waitForConnectedChain();
  await expect(shell.chainId).toHaveText('31337');
  expect(await shell.numberOf(shell.chainId)).toBe(31337);
  expect(await shell.numberOf(shell.blockNumber)).toBeGreaterThanOrEqual(0);
  expect(await shell.numberOf(shell.schemaVersion)).toBeGreaterThanOrEqual(1);

  // Answers to a page never carry an absolute path: the data folder reads as <data folder>.
  const dbPath = (await shell.dbPath.textContent()) ?? '';
  expect(dbPath).toBe('<data folder>/custodian.sqlite');
  expect(dbPath).not.toContain(custodian.dataDir);

  expect(await shell.numberOf(shell.outbox)).toBeGreaterThanOrEqual(0);

  // A reload keeps both the console token (sessionStorage) and the staff session (HttpOnly cookie).
  await page.reload();
  await shell.waitForConnectedChain();
  await expect(shell.chainId).toHaveText('31337');
  await shell.expectSignedIn(STAFF.manager.displayName, 'Records manager');
  await expect(page.getByTestId('auth-unreachable')).toHaveCount(0);
  // The session cookie is out of reach of page scripts.
  expect(await page.evaluate<string>('document.cookie')).not.toContain('custodian_session');
});

test('every screen is reachable from the navigation, by clicking and by keyboard', async ({ page, custodian }) => {
  const shell = await openAsManager(page, custodian);
  await shell.waitForConnectedChain();
  await expect(shell.pageTitle).toHaveText('Dashboard');

  for (const { id, label } of NAV_PAGES) {
    await shell.navLink(id).click();
    await expect(shell.pageTitle).toHaveText(label);
    await expect(shell.navLink(id)).toHaveAttribute('aria-current', 'page');
    await expect(page).toHaveTitle(`${label} · Custodian`);
    await expect(shell.statusBar).toBeVisible();
  }

  // Keyboard only: Tab to each link, Enter to follow it; focus then lands on the new page's title.
  await page.goto(`${custodian.baseURL}/#/dashboard`);
  for (const { id, label } of NAV_PAGES) {
    await page.locator('body').focus();
    await shell.tabTo(shell.navLink(id));
    await page.keyboard.press('Enter');
    await expect(shell.pageTitle).toHaveText(label);
    await expect(shell.pageTitle).toBeFocused();
  }
});

test('dashboard and settings show real status; screenshots of every screen', async ({ page, custodian }) => {
  const shell = await openAsManager(page, custodian);
  const dashboard = new DashboardPage(page);
  await shell.waitForConnectedChain();
  await dashboard.waitUntilLoaded();
  await expect(dashboard.errorBanners).toHaveCount(0);
  await expect(dashboard.chain.getByTestId('dashboard-chain-state')).toHaveText('Connected');
  await expect(dashboard.database.getByTestId('dashboard-db-path')).toHaveText(await shell.dbPath.innerText());

  for (const { id } of NAV_PAGES) {
    await shell.navLink(id).click();
    await expect(shell.navLink(id)).toHaveAttribute('aria-current', 'page');
    if (id === 'dashboard') await dashboard.waitUntilLoaded();
    if (id === 'settings') {
      const settings = new SettingsPage(page);
      await expect(settings.chainId).toHaveText('31337');
      // The configuration how-to (RPC URL, chain id, keystore) is for whoever configures: not a records manager.
      await expect(settings.howTo).toHaveCount(0);
      // The signing key panel is the IT administrator's; a records manager does not get it.
      await expect(page.getByTestId('settings-signing-key')).toHaveCount(0);
    }
    await shell.screenshot(`empty-${id}`); // fresh data folder: each page's empty state
  }
});

test('dashboard has no serious or critical accessibility violations', async ({ page, custodian }, testInfo) => {
  const shell = await openAsManager(page, custodian);
  await shell.waitForConnectedChain();
  await new DashboardPage(page).waitUntilLoaded();

  const results = await new AxeBuilder({ page }).withTags(['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa', 'best-practice']).analyze();
  await testInfo.attach('axe-dashboard.json', { body: JSON.stringify(results, null, 2), contentType: 'application/json' });
  const lines = results.violations.map(
    (v) => `  [${v.impact ?? 'unknown'}] ${v.id}: ${v.help} (${v.nodes.length} element${v.nodes.length === 1 ? '' : 's'}) — ${v.nodes.map((n) => n.target.join(' ')).slice(0, 3).join(' | ')}`,
  );
  console.log(lines.length ? `axe found ${lines.length} issue(s) on the Dashboard:\n${lines.join('\n')}` : 'axe: no accessibility violations on the Dashboard');
  const blocking = results.violations.filter((v) => v.impact === 'serious' || v.impact === 'critical');
  expect(blocking.map((v) => `${v.id}: ${v.help}`), 'serious or critical axe violations').toEqual([]);
});
