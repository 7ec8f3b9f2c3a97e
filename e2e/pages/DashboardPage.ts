// Page object for the Dashboard: the status cards and the background jobs table.
import { expect, type Locator, type Page } from '@playwright/test';

export class DashboardPage {
  readonly database: Locator;
  readonly chain: Locator;
  readonly outbox: Locator;
  readonly jobs: Locator;
  readonly errorBanners: Locator;
  /** The chain card's badge and its health line (shown while not connected). */
  readonly chainState: Locator;
  readonly chainHealth: Locator;
  readonly outboxState: Locator;

  constructor(readonly page: Page) {
    this.database = page.getByTestId('card-database');
    this.chain = page.getByTestId('card-chain');
    this.outbox = page.getByTestId('card-outbox');
    this.jobs = page.getByTestId('card-jobs');
    this.errorBanners = page.getByTestId('error-banner');
    this.chainState = page.getByTestId('dashboard-chain-state');
    this.chainHealth = page.getByTestId('dashboard-chain-health');
    this.outboxState = page.getByTestId('dashboard-outbox-state');
  }

  async open(): Promise<void> {
    await this.page.getByTestId('nav-dashboard').click();
    await this.waitUntilLoaded();
  }

  /** The jobs card's rows of one job kind (e.g. import.consents) in one state, newest first. */
  jobRows(kind: string, state: string): Locator {
    return this.jobs.locator(`[data-job-row][data-kind="${kind}"][data-state="${state}"]`);
  }

  /** The notes cell of a job row: a failed job's error in words, its code in data-code. */
  jobError(row: Locator): Locator {
    return row.getByTestId('job-error');
  }

  /** All cards have left their loading state: either a table, an empty state or an error is shown. */
  async waitUntilLoaded(): Promise<void> {
    for (const card of [this.database, this.chain, this.outbox, this.jobs]) {
      await expect(card).toBeVisible();
      await expect(card).not.toHaveAttribute('aria-busy', 'true');
    }
    await expect(this.jobs.getByTestId('jobs-table').or(this.jobs.getByTestId('jobs-empty')).or(this.jobs.getByTestId('error-banner'))).toBeVisible();
  }
}
