// Page object for the screens before the console: sign-in, set-up of the first administrator, and the lock screen.
import { expect, type Locator, type Page } from '@playwright/test';
import type { StaffCredentials } from '../fixtures';

export class SignInPage {
  readonly root: Locator;
  readonly username: Locator;
  readonly password: Locator;
  readonly submit: Locator;
  readonly error: Locator;
  readonly notice: Locator;

  constructor(readonly page: Page) {
    this.root = page.getByTestId('sign-in-screen');
    this.username = page.getByTestId('sign-in-username');
    this.password = page.getByTestId('sign-in-password');
    this.submit = page.getByTestId('sign-in-submit');
    this.error = page.getByTestId('auth-error');
    this.notice = page.getByTestId('sign-in-notice');
  }

  async attempt(username: string, password: string): Promise<void> {
    await expect(this.root).toBeVisible();
    await this.username.fill(username);
    await this.password.fill(password);
    await this.submit.click();
  }

  /** Signs in and waits for the console (its navigation) to open. */
  async signIn(who: Pick<StaffCredentials, 'username' | 'password'>): Promise<void> {
    await this.attempt(who.username, who.password);
    await expect(this.page.getByRole('navigation', { name: 'Main' })).toBeVisible();
  }

  /**
   * First sign-in with a password an IT administrator set (`who.password`): the console shows nothing but the
   * forced change until the person picks `ownPassword`, then opens.
   */
  async signInFirstTime(who: Pick<StaffCredentials, 'username' | 'password'>, ownPassword: string): Promise<void> {
    await this.attempt(who.username, who.password);
    await this.choosePassword(who.password, ownPassword);
  }

  /** Fills the forced password change screen and waits for the console. */
  async choosePassword(current: string, next: string): Promise<void> {
    const screen = this.page.getByTestId('forced-password-change');
    await expect(screen).toBeVisible();
    await screen.getByTestId('forced-change-current').fill(current);
    await screen.getByTestId('forced-change-password').fill(next);
    await screen.getByTestId('forced-change-confirm').fill(next);
    await screen.getByTestId('forced-change-submit').click();
    await expect(this.page.getByRole('navigation', { name: 'Main' })).toBeVisible();
  }

  /** A refused attempt: waits for the message of the given code and returns its text. */
  async expectRefused(code: 'AUTH_FAILED' | 'AUTH_THROTTLED'): Promise<string> {
    await expect(this.error).toHaveAttribute('data-error-code', code);
    // The button leaves its pending state before the next attempt.
    await expect(this.submit).toBeEnabled();
    return (await this.error.innerText()).trim();
  }
}

export class SetupPage {
  readonly root: Locator;
  readonly username: Locator;
  readonly displayName: Locator;
  readonly password: Locator;
  readonly confirm: Locator;
  readonly submit: Locator;

  constructor(readonly page: Page) {
    this.root = page.getByTestId('setup-screen');
    this.username = page.getByTestId('setup-username');
    this.displayName = page.getByTestId('setup-display-name');
    this.password = page.getByTestId('setup-password');
    this.confirm = page.getByTestId('setup-confirm');
    this.submit = page.getByTestId('setup-submit');
  }

  async fill(who: Pick<StaffCredentials, 'username' | 'displayName' | 'password'>, confirm = who.password): Promise<void> {
    await this.username.fill(who.username);
    await this.displayName.fill(who.displayName);
    await this.password.fill(who.password);
    await this.confirm.fill(confirm);
  }
}

export class LockPage {
  readonly root: Locator;
  readonly reason: Locator;
  readonly password: Locator;
  readonly submit: Locator;
  readonly error: Locator;

  constructor(readonly page: Page) {
    this.root = page.getByTestId('lock-screen');
    this.reason = page.getByTestId('lock-reason');
    this.password = page.getByTestId('lock-password');
    this.submit = page.getByTestId('lock-submit');
    this.error = page.getByTestId('auth-error');
  }

  async unlock(password: string): Promise<void> {
    await expect(this.root).toBeVisible();
    await this.password.fill(password);
    await this.submit.click();
    await expect(this.page.getByRole('navigation', { name: 'Main' })).toBeVisible();
  }
}
