// Page object for the Audit page's "Accounting of disclosures" tab: the query form, the report table, CSV and print.
import { expect, type Download, type Locator, type Page } from '@playwright/test';

export class DisclosuresPanel {
  readonly tab: Locator;
  readonly patient: Locator;
  readonly from: Locator;
  readonly to: Locator;
  readonly produceButton: Locator;
  readonly report: Locator;
  readonly heading: Locator;
  readonly rows: Locator;
  readonly form: Locator;

  constructor(readonly page: Page) {
    this.tab = page.getByTestId('audit-tab-disclosures');
    this.patient = page.getByTestId('disclosures-patient');
    this.from = page.getByTestId('disclosures-from');
    this.to = page.getByTestId('disclosures-to');
    this.produceButton = page.getByTestId('disclosures-produce');
    this.report = page.getByTestId('disclosures-report');
    this.heading = page.getByTestId('disclosures-patient-heading');
    this.rows = page.getByTestId('disclosures-row');
    this.form = page.getByTestId('disclosures-produce').locator('xpath=ancestor::form');
  }

  async open(): Promise<void> {
    await this.tab.click();
    await expect(this.page).toHaveURL(/#\/audit\/disclosures/);
    await expect(this.patient).toBeVisible();
  }

  async produce(patientId: number, period: { from?: string; to?: string } = {}): Promise<void> {
    await this.patient.fill(String(patientId));
    if (period.from) await this.from.fill(period.from);
    if (period.to) await this.to.fill(period.to);
    await this.produceButton.click();
    await expect(this.report).toBeVisible();
  }

  rowsOfKind(kind: string): Locator {
    return this.page.locator(`[data-testid="disclosures-row"][data-kind="${kind}"]`);
  }

  async downloadCsv(): Promise<Download> {
    const [download] = await Promise.all([this.page.waitForEvent('download'), this.page.getByTestId('disclosures-csv').click()]);
    return download;
  }
}
