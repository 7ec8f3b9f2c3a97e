// Page object for Settings → Staff accounts: the table, the new-account dialog and the per-row actions.
import { expect, type Locator, type Page } from '@playwright/test';
import type { StaffCredentials } from '../fixtures';

export const ROLE_LABEL = {
  records_clerk: 'Records clerk',
  records_manager: 'Records manager',
  it_admin: 'IT administrator',
  auditor: 'Auditor',
} as const;

export class StaffPage {
  readonly panel: Locator;
  readonly table: Locator;
  readonly feedback: Locator;
  readonly permissionTable: Locator;

  constructor(readonly page: Page) {
    this.panel = page.getByTestId('staff-panel');
    this.table = page.getByTestId('staff-table');
    this.feedback = page.getByTestId('staff-feedback');
    this.permissionTable = page.getByTestId('permission-table');
  }

  async open(): Promise<void> {
    await this.page.getByTestId('nav-settings').click();
    await this.page.getByTestId('settings-tab-staff').click();
    await expect(this.table).toBeVisible();
  }

  row(username: string): Locator {
    return this.page.getByTestId(`staff-row-${username}`);
  }

  /** Creates an account through the dialog, as an administrator would, and waits for it in the table. */
  async create(member: StaffCredentials): Promise<void> {
    await this.page.getByTestId('staff-create').click();
    const dialog = this.page.getByRole('dialog', { name: 'New staff account' });
    await expect(dialog).toBeVisible();
    await dialog.getByTestId('staff-username').fill(member.username);
    await dialog.getByTestId('staff-display-name').fill(member.displayName);
    await dialog.getByTestId('staff-role').selectOption(member.role);
    await dialog.getByTestId('staff-password').fill(member.password);
    await dialog.getByTestId('staff-confirm').fill(member.password);
    await dialog.getByTestId('staff-create-submit').click();
    await expect(dialog).toBeHidden();
    await expect(this.feedback).toContainText(`Created ${member.username}`);
    await expect(this.row(member.username).getByTestId('staff-role-label')).toHaveText(ROLE_LABEL[member.role]);
  }

  /** Opens a row's Manage menu and picks an action; the confirmation dialog is returned. */
  async action(username: string, item: 'role' | 'password' | 'unlock' | 'disable' | 'enable'): Promise<Locator> {
    await this.page.getByTestId(`staff-manage-${username}`).click();
    await this.page.getByTestId(`staff-action-${item}`).click();
    const dialog = this.page.getByRole('dialog');
    await expect(dialog).toBeVisible();
    return dialog;
  }

  async unlock(username: string): Promise<void> {
    const dialog = await this.action(username, 'unlock');
    await dialog.getByTestId('toggle-staff-submit').click();
    await expect(dialog).toBeHidden();
    await expect(this.feedback).toContainText(`${username} is unlocked`);
    await expect(this.row(username).getByTestId('staff-badge-locked')).toHaveCount(0);
  }
}
