// Page object for the Claims page: the claims table and its filters, a claim's detail drawer, the "Check a claim"
// form with its verdict, and the Import tab (file path and runs).
import { expect, type Locator, type Page } from '@playwright/test';
import { chooseFileIn } from './ImportsPage';
import type { ClaimForm } from '../../main/api/claims';

export class ClaimsPage {
  readonly table: Locator;
  readonly rows: Locator;
  readonly empty: Locator;
  readonly detail: Locator;
  readonly verdict: Locator;

  constructor(readonly page: Page) {
    this.table = page.getByTestId('claims-table');
    this.rows = page.getByTestId('claim-row');
    this.empty = page.getByTestId('claims-empty');
    this.detail = page.getByTestId('claim-detail');
    this.verdict = page.getByTestId('claim-verdict');
  }

  async open(): Promise<void> {
    await this.page.getByTestId('nav-claims').click();
    await expect(this.page.getByTestId('page-title')).toHaveText('Claims');
    await expect(this.table.or(this.empty)).toBeVisible();
  }

  tab(name: 'Claims' | 'Check a claim' | 'Import'): Locator {
    return this.page.getByRole('tab', { name, exact: true });
  }

  row(claimId: string): Locator {
    return this.page.locator(`[data-testid="claim-row"][data-claim-id="${claimId}"]`);
  }

  /** Fills the form, checks (and submits when asked), and waits for the verdict. */
  async check(claim: ClaimForm, submit: boolean): Promise<void> {
    await this.tab('Check a claim').click();
    for (const [field, value] of Object.entries(claim)) await this.page.getByTestId(`claim-field-${field}`).fill(value);
    const toggle = this.page.getByTestId('claim-submit-toggle');
    if ((await toggle.isChecked()) !== submit) await toggle.click();
    await this.page.getByTestId('claim-check-button').click();
    await expect(this.verdict).toBeVisible();
  }

  /** Starts an import of `file` from the Import tab and waits until its run has succeeded. */
  async importFile(file: string): Promise<Locator> {
    await this.tab('Import').click();
    await chooseFileIn(this.page, file, 'claims-import');
    await this.page.getByTestId('claims-import-start').click();
    const run = this.page.getByTestId('claims-import-run').first();
    await expect(run).toHaveAttribute('data-state', 'succeeded', { timeout: 60_000 });
    return run;
  }
}
