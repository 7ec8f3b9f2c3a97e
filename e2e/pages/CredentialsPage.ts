// Page object for the Credentials page: the directory with search and filters, roster import and bulk verification
// with their progress panels, and the provider drawer with each credential's verdict, actions and trail.
import { expect, type Locator, type Page } from '@playwright/test';
import { chooseFileIn } from './ImportsPage';

export class CredentialsPage {
  readonly table: Locator;
  readonly rows: Locator;
  readonly empty: Locator;
  readonly search: Locator;
  readonly importButton: Locator;
  readonly verifyAll: Locator;
  readonly importJob: Locator;
  readonly verifyJob: Locator;
  readonly drawer: Locator;
  readonly rosterRuns: Locator;

  constructor(readonly page: Page) {
    this.table = page.getByTestId('provider-table');
    this.rows = page.getByTestId('provider-row');
    this.empty = page.getByTestId('credentials-empty');
    this.search = page.getByTestId('credentials-search');
    this.importButton = page.getByTestId('credentials-import');
    this.verifyAll = page.getByTestId('credentials-verify-all');
    this.importJob = page.getByTestId('roster-import-job');
    this.verifyJob = page.getByTestId('verify-all-job');
    // The drawer is titled with the provider's name; its body holds the NPI.
    this.drawer = page.getByRole('dialog').filter({ has: page.getByTestId('provider-npi') });
    this.rosterRuns = page.getByTestId('roster-history').getByTestId('roster-run');
  }

  /** Opens a roster run's rejected rows and returns their locator (one per problem: data-row, data-field). */
  async openRejects(run: Locator): Promise<Locator> {
    await run.getByTestId('roster-run-rejects-toggle').click();
    const rejects = this.page.getByTestId('roster-rejects');
    await expect(rejects).toBeVisible();
    return rejects.getByTestId('roster-reject');
  }

  /** The bulk verification's counts per verdict, as shown once the job has ended: { verified: 3, expired: 1, … }. */
  async verifyAllCounts(): Promise<Record<string, number>> {
    const badges = this.page.getByTestId('verify-all-count');
    await expect(badges.first()).toBeVisible();
    const out: Record<string, number> = {};
    for (const b of await badges.all()) out[(await b.getAttribute('data-verdict'))!] = Number(await b.getAttribute('data-count'));
    return out;
  }

  async open(): Promise<void> {
    await this.page.getByTestId('nav-credentials').click();
    await expect(this.page.getByTestId('page-title')).toHaveText('Credentials');
    await expect(this.table.or(this.empty)).toBeVisible();
  }

  row(npi: string): Locator {
    return this.page.locator(`[data-testid="provider-row"][data-npi="${npi}"]`);
  }

  /** Imports a roster through the dialog and waits for the job to finish; returns the summary text. */
  async importRoster(filePath: string): Promise<string> {
    await this.importButton.click();
    const dialog = this.page.getByRole('dialog', { name: 'Import a provider roster' });
    await expect(dialog).toBeVisible();
    await chooseFileIn(this.page, filePath, 'roster');
    await dialog.getByTestId('roster-import-start').click();
    await expect(dialog).toBeHidden();
    await expect(this.importJob).toHaveAttribute('data-state', 'succeeded', { timeout: 30_000 });
    return (await this.page.getByTestId('roster-import-summary').innerText()).trim();
  }

  /** Opens the roster dialog and chooses (uploads) the file; returns the dialog. */
  async chooseRoster(filePath: string): Promise<Locator> {
    await this.importButton.click();
    const dialog = this.page.getByRole('dialog', { name: 'Import a provider roster' });
    await expect(dialog).toBeVisible();
    await chooseFileIn(this.page, filePath, 'roster');
    return dialog;
  }

  /** Checks the chosen roster only (a dry run) and waits for the job; returns the check's summary. */
  async checkRoster(dialog: Locator): Promise<Locator> {
    await dialog.getByTestId('roster-import-check').click();
    await expect(dialog).toBeHidden();
    await expect(this.importJob).toHaveAttribute('data-state', 'succeeded', { timeout: 30_000 });
    const summary = this.page.getByTestId('roster-import-summary');
    await expect(summary).toHaveAttribute('data-dry-run', 'true');
    return summary;
  }

  async runVerifyAll(): Promise<void> {
    await this.verifyAll.click();
    await expect(this.verifyJob).toBeVisible();
    await expect(this.verifyJob).toHaveAttribute('data-state', 'succeeded', { timeout: 30_000 });
  }

  async openProvider(npi: string): Promise<void> {
    await this.row(npi).getByTestId('provider-open').click();
    await expect(this.drawer).toBeVisible();
    await expect(this.drawer.getByTestId('provider-npi')).toHaveText(npi);
  }

  /** A credential card in the open drawer, by its licence or certificate number. */
  credential(number: string): Locator {
    return this.drawer.locator(`[data-testid="credential-card"][data-number="${number}"]`);
  }

  /** Suspends, revokes or marks active a credential of the open provider through the confirm dialog. */
  /** `signedStatus`: the JSON the issuer tool wrote (`custodian credentials sign-status`). */
  async changeStatus(number: string, action: 'suspended' | 'revoked' | 'active', reason: string, signedStatus: string): Promise<void> {
    await this.credential(number).getByTestId('credential-status-menu').click();
    await this.page.getByTestId(`credential-action-${action}`).click();
    const reasonField = this.page.getByTestId('status-change-reason');
    await expect(reasonField).toBeVisible();
    await reasonField.fill(reason);
    await this.page.getByTestId('status-change-signature').fill(signedStatus);
    await this.page.getByTestId('status-change-submit').click();
    await expect(reasonField).toBeHidden();
  }

  async closeProvider(): Promise<void> {
    await this.page.keyboard.press('Escape');
    await expect(this.drawer).toBeHidden();
  }
}
