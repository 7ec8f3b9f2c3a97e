// Page object for the Audit page: the filtered trail, its rows and entry drawer, integrity check, export, print.
import { expect, type Locator, type Page } from '@playwright/test';

export interface RowMatch {
  action?: string;
  outcome?: string;
  /** Text in the Staff member cell. */
  actor?: string;
  /** Text in the Subject cell. */
  subject?: string;
}

export class AuditPage {
  readonly table: Locator;
  readonly rows: Locator;
  readonly empty: Locator;
  readonly count: Locator;
  readonly loadMore: Locator;
  readonly drawer: Locator;
  readonly verifyResult: Locator;

  constructor(readonly page: Page) {
    this.table = page.getByTestId('audit-table');
    this.rows = page.getByTestId('audit-row');
    this.empty = page.getByTestId('audit-empty');
    this.count = page.getByTestId('audit-count');
    this.loadMore = page.getByTestId('audit-load-more');
    this.drawer = page.getByTestId('audit-entry-drawer');
    this.verifyResult = page.getByTestId('audit-verify-result');
  }

  async open(): Promise<void> {
    await this.page.getByTestId('nav-audit').click();
    await this.waitForTrail();
  }

  /** The trail has answered: a table or the empty state. */
  async waitForTrail(): Promise<void> {
    await expect(this.table.or(this.empty)).toBeVisible();
    await expect(this.page.getByTestId('audit-loading')).toHaveCount(0);
  }

  /** Rows matching every given field (action and outcome exactly, actor and subject by their text). */
  matching(match: RowMatch): Locator {
    let css = '[data-testid="audit-row"]';
    if (match.action) css += `[data-action="${match.action}"]`;
    if (match.outcome) css += `[data-outcome="${match.outcome}"]`;
    let rows = this.page.locator(css);
    if (match.actor) rows = rows.filter({ has: this.page.getByTestId('audit-cell-actor').getByText(match.actor, { exact: true }) });
    if (match.subject) rows = rows.filter({ has: this.page.getByTestId('audit-cell-subject').getByText(match.subject, { exact: true }) });
    return rows;
  }

  /** Filters by staff member, picked by the start of their label in the list ("Cole Clerk (Records clerk)"). */
  async filterByStaff(labelStart: string): Promise<void> {
    const select = this.page.getByTestId('audit-filter-staff');
    const option = select.locator('option').filter({ hasText: labelStart }).first();
    const value = await option.getAttribute('value');
    expect(value, `a staff option starting "${labelStart}"`).toBeTruthy();
    await select.selectOption(value!);
    await this.apply();
  }

  async filterByAction(action: string): Promise<void> {
    await this.page.getByTestId('audit-filter-action').selectOption(action);
    await this.apply();
  }

  async apply(): Promise<void> {
    await this.page.getByTestId('audit-filter-apply').click();
    await this.waitForTrail();
  }

  async clearFilters(): Promise<void> {
    await this.page.getByTestId('audit-filter-clear').click();
    await this.waitForTrail();
  }
}
