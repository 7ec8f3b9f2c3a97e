// Page object for the frame every screen shares: navigation, page title, status bar.
import path from 'node:path';
import { expect, type Locator, type Page } from '@playwright/test';
import { SCREENSHOT_DIR } from '../fixtures';

export const NAV_PAGES = [
  { id: 'dashboard', label: 'Dashboard' },
  { id: 'consents', label: 'Consents' },
  { id: 'imports', label: 'Imports' },
  { id: 'credentials', label: 'Credentials' },
  { id: 'sharing', label: 'Sharing' },
  { id: 'sync', label: 'Sync' },
  { id: 'audit', label: 'Audit' },
  { id: 'settings', label: 'Settings' },
] as const;
export type NavPageId = (typeof NAV_PAGES)[number]['id'];

export class ConsoleShell {
  readonly statusBar: Locator;
  readonly dbPath: Locator;
  readonly schemaVersion: Locator;
  readonly chain: Locator;
  readonly chainLabel: Locator;
  readonly chainId: Locator;
  readonly blockNumber: Locator;
  readonly outbox: Locator;
  readonly principal: Locator;
  /** The status bar's open consent conflicts (absent when there are none). */
  readonly conflicts: Locator;
  readonly pageTitle: Locator;
  readonly userMenu: Locator;
  readonly permissionNotice: Locator;

  constructor(readonly page: Page) {
    this.statusBar = page.getByTestId('status-bar');
    this.dbPath = page.getByTestId('status-db-path');
    this.schemaVersion = page.getByTestId('status-schema-version');
    this.chain = page.getByTestId('status-chain');
    this.chainLabel = page.getByTestId('status-chain-label');
    this.chainId = page.getByTestId('status-chain-id');
    this.blockNumber = page.getByTestId('status-block-number');
    this.outbox = page.getByTestId('status-outbox');
    this.principal = page.getByTestId('status-principal');
    this.conflicts = page.getByTestId('status-conflicts');
    this.pageTitle = page.getByTestId('page-title');
    this.userMenu = page.getByTestId('user-menu');
    this.permissionNotice = page.getByTestId('permission-notice');
  }

  /** Goes to a screen by its address, as a bookmark or a typed URL would (the session and token stay). */
  async goto(hash: string): Promise<void> {
    await this.page.evaluate(`window.location.hash = ${JSON.stringify(hash)}`);
  }

  async signOut(): Promise<void> {
    await this.userMenu.click();
    await this.page.getByTestId('menu-sign-out').click();
    await expect(this.page.getByTestId('sign-in-screen')).toBeVisible();
  }

  async lock(): Promise<void> {
    await this.userMenu.click();
    await this.page.getByTestId('menu-lock').click();
    await expect(this.page.getByTestId('lock-screen')).toBeVisible();
  }

  /** The header names who is signed in and in which role. */
  async expectSignedIn(displayName: string, roleLabel: string): Promise<void> {
    await expect(this.page.getByTestId('header-principal')).toHaveText(displayName);
    await expect(this.page.getByTestId('header-role')).toHaveText(roleLabel);
  }

  async open(url: string): Promise<void> {
    await this.page.goto(url);
    await expect(this.page.getByTestId('app-title')).toHaveText('Custodian');
  }

  navLink(id: NavPageId): Locator {
    return this.page.getByTestId(`nav-${id}`);
  }

  /** Waits until the status bar shows a connected chain (the embedded devnet may still be starting). */
  async waitForConnectedChain(timeout = 90_000): Promise<void> {
    await expect(this.chain).toHaveAttribute('data-state', 'connected', { timeout });
  }

  async numberOf(locator: Locator): Promise<number> {
    const raw = await locator.getAttribute('data-value');
    expect(raw, 'status value carries data-value').not.toBeNull();
    return Number(raw);
  }

  /**
   * Presses Tab until `target` has focus, as a keyboard user would; fails after `max` presses. The budget covers a
   * full round from a content-heavy screen (the Audit table lists one focusable link per entry) back to the navigation.
   */
  async tabTo(target: Locator, max = 60): Promise<void> {
    for (let i = 0; i < max; i += 1) {
      if (await target.evaluate((el) => el.matches(':focus'))) return;
      await this.page.keyboard.press('Tab');
    }
    await expect(target).toBeFocused();
  }

  /** Saves a screenshot to look at; `fullPage: false` keeps only the window (for screens with long tables). */
  async screenshot(name: string, options: { fullPage?: boolean } = {}): Promise<string> {
    const file = path.join(SCREENSHOT_DIR, `${name}.png`);
    await this.page.screenshot({ path: file, fullPage: options.fullPage ?? true });
    return file;
  }
}
