// Page object for the Sharing page: the organisation identity, the agreements table with its Sign and Terminate
// actions, the propose dialog, the incoming-request form, the requests table and the release log.
import { expect, type Locator, type Page } from '@playwright/test';

export interface ProposeForm {
  partnerOrgId: string;
  partnerPublicKey: string;
  direction: 'outbound' | 'inbound' | 'both';
  validFrom: string;
  validUntil: string;
  documentHash: string;
}

export class SharingPage {
  readonly identity: Locator;
  readonly agreementRows: Locator;
  readonly requestRows: Locator;
  readonly releaseRows: Locator;
  readonly notice: Locator;

  constructor(readonly page: Page) {
    this.identity = page.getByTestId('org-identity');
    this.agreementRows = page.getByTestId('agreement-row');
    this.requestRows = page.getByTestId('requests-table-row');
    this.releaseRows = page.getByTestId('release-log-row');
    this.notice = page.getByTestId('success-notice');
  }

  async open(): Promise<void> {
    await this.page.getByTestId('nav-sharing').click();
    await expect(this.page.getByTestId('page-title')).toHaveText('Sharing');
    await expect(this.identity).toBeVisible();
  }

  /** Reads the page again (leaves it and comes back), as a person would to see what the chain brought. */
  async reopen(): Promise<void> {
    await this.page.getByTestId('nav-dashboard').click();
    await this.open();
  }

  /** The partner directory's rows (data-org-id), after its search box holds `search`. */
  async partners(search = ''): Promise<Locator> {
    await this.page.getByTestId('partner-search').fill(search);
    return this.page.getByTestId('partner-row');
  }

  partner(orgId: string): Locator {
    return this.page.locator(`[data-testid="partner-row"][data-org-id="${orgId}"]`);
  }

  agreement(id: string): Locator {
    return this.page.locator(`[data-testid="agreement-row"][data-agreement-id="${id}"]`);
  }

  /** Waits, re-reading the page, until the agreement shows `status` (the sync engines send and pull meanwhile). */
  async waitForStatus(id: string, status: string, timeout = 90_000): Promise<void> {
    await expect(async () => {
      await this.reopen();
      await expect(this.agreement(id)).toHaveAttribute('data-status', status, { timeout: 2_000 });
    }).toPass({ timeout, intervals: [1_000, 2_000, 3_000] });
  }

  async propose(f: ProposeForm): Promise<string> {
    await this.page.getByTestId('propose-open').click();
    const dialog = this.page.getByRole('dialog', { name: 'Propose a sharing agreement' });
    await expect(dialog).toBeVisible();
    await this.page.getByTestId('propose-partner').fill(f.partnerOrgId);
    await this.page.getByTestId('propose-public-key').fill(f.partnerPublicKey);
    await this.page.getByTestId('propose-direction').selectOption(f.direction);
    await this.page.getByTestId('propose-from').fill(f.validFrom);
    await this.page.getByTestId('propose-until').fill(f.validUntil);
    await this.page.getByTestId('propose-document').fill(f.documentHash);
    await this.page.getByTestId('propose-submit').click();
    await expect(dialog).toBeHidden();
    await expect(this.notice).toContainText(`to ${f.partnerOrgId}`);
    // Newest first: the agreement just proposed heads the rows of this partner.
    const row = this.page.locator(`[data-testid="agreement-row"][data-partner="${f.partnerOrgId}"]`).first();
    const id = await row.getAttribute('data-agreement-id');
    expect(id).toMatch(/^0x[0-9a-f]{64}$/);
    return id!;
  }

  async sign(id: string): Promise<void> {
    await this.agreement(id).getByTestId('agreement-sign').click();
    await expect(this.notice).toContainText('Signed agreement');
  }

  async terminate(id: string, reason: string): Promise<void> {
    await this.agreement(id).getByTestId('agreement-terminate').click();
    await this.page.getByTestId('terminate-reason').fill(reason);
    await this.page.getByTestId('terminate-confirm').click();
    await expect(this.notice).toContainText('Terminated agreement');
  }

  /** Records a partner's request; returns the new row of the requests table (the newest is first). */
  async request(r: { partnerOrgId: string; patientId: number; category: string; purpose: string }): Promise<Locator> {
    const before = await this.requestRows.count();
    await this.page.getByTestId('request-partner').fill(r.partnerOrgId);
    await this.page.getByTestId('request-patient').fill(String(r.patientId));
    await this.page.getByTestId('request-category').selectOption(r.category);
    await this.page.getByTestId('request-purpose').selectOption(r.purpose);
    await this.page.getByTestId('request-submit').click();
    await expect(this.requestRows).toHaveCount(before + 1);
    return this.requestRows.first();
  }
}
