// Page object for the Consents page: the virtualized table and its filters, a consent's drawer (detail, history,
// revoke), the grant dialog, FHIR export, and the Check access tab.
import { expect, type Locator, type Page } from '@playwright/test';

export class ConsentsPage {
  readonly table: Locator;
  readonly scroller: Locator;
  readonly rows: Locator;
  readonly count: Locator;
  readonly empty: Locator;
  readonly search: Locator;
  readonly drawer: Locator;
  readonly detail: Locator;
  readonly grantDialog: Locator;
  readonly accessResult: Locator;
  /** The open sync conflicts at the top of the consent drawer. */
  readonly drawerConflicts: Locator;
  readonly accessGrantee: Locator;
  readonly accessPurpose: Locator;
  readonly accessCategory: Locator;
  readonly accessSubmit: Locator;
  readonly accessReason: Locator;
  readonly accessAnnouncement: Locator;
  readonly accessCleared: Locator;
  readonly accessGranteeFacts: Locator;
  readonly breakGlassOpen: Locator;
  readonly breakGlassDialog: Locator;
  readonly breakGlassReason: Locator;
  readonly breakGlassConfirm: Locator;

  constructor(readonly page: Page) {
    this.table = page.getByTestId('consents-table');
    this.scroller = page.getByTestId('consents-scroller');
    this.rows = page.getByTestId('consent-row');
    this.count = page.getByTestId('consents-count');
    this.empty = page.getByTestId('consents-empty');
    this.search = page.getByTestId('consents-search');
    this.drawer = page.getByRole('dialog', { name: /Consent #\d+/ });
    this.detail = page.getByTestId('consent-detail');
    this.grantDialog = page.getByRole('dialog', { name: 'Record a consent' });
    this.accessResult = page.getByTestId('access-result');
    this.drawerConflicts = page.getByTestId('consent-conflict');
    this.accessGrantee = page.getByTestId('access-grantee');
    this.accessPurpose = page.getByTestId('access-purpose');
    this.accessCategory = page.getByTestId('access-category');
    this.accessSubmit = page.getByTestId('access-submit');
    this.accessReason = page.getByTestId('access-reason');
    this.accessAnnouncement = page.getByTestId('access-announcement');
    this.accessCleared = page.getByTestId('access-cleared');
    this.accessGranteeFacts = page.getByTestId('access-grantee-facts');
    this.breakGlassOpen = page.getByTestId('access-break-glass-open');
    this.breakGlassDialog = page.getByRole('dialog', { name: 'Emergency access (break-glass)' });
    this.breakGlassReason = page.getByTestId('break-glass-reason');
    this.breakGlassConfirm = page.getByTestId('break-glass-confirm');
  }

  /** Opens the Check access tab. */
  async openAccessCheck(): Promise<void> {
    await this.page.getByTestId('consents-tab-access').click();
    await expect(this.page.getByTestId('access-panel')).toBeVisible();
  }

  /** Break-glass as its own action: opens the dialog, gives the reason, confirms. */
  async breakGlass(reason: string): Promise<void> {
    await this.breakGlassOpen.click();
    await expect(this.breakGlassDialog).toBeVisible();
    await this.breakGlassReason.fill(reason);
    await this.breakGlassConfirm.click();
    await expect(this.breakGlassDialog).toBeHidden();
  }

  async open(): Promise<void> {
    await this.page.getByTestId('nav-consents').click();
    await expect(this.page.getByTestId('page-title')).toHaveText('Consents');
    await this.waitForTable();
  }

  /** The first page has answered: rows or the empty state. */
  async waitForTable(): Promise<void> {
    await expect(this.table.or(this.empty)).toBeVisible();
    await expect(this.page.getByTestId('consents-loading')).toHaveCount(0);
  }

  row(id: number): Locator {
    return this.page.locator(`[data-testid="consent-row"][data-consent-id="${id}"]`);
  }

  rowsOfMrn(mrn: string): Locator {
    return this.page.locator(`[data-testid="consent-row"][data-mrn="${mrn}"]`);
  }

  async searchFor(text: string): Promise<void> {
    await this.search.fill(text);
    await this.search.press('Enter');
    await expect(this.page).toHaveURL(new RegExp(`search=${encodeURIComponent(text)}`));
    await this.waitForTable();
  }

  async totalShown(): Promise<number> {
    return Number(await this.count.getAttribute('data-total'));
  }

  async loaded(): Promise<number> {
    return Number(await this.count.getAttribute('data-loaded'));
  }

  /** Picks a patient in a patient picker by typing an MRN (or name) and choosing the first answer. */
  async pickPatient(picker: Locator, query: string): Promise<void> {
    await picker.fill(query);
    const option = this.page.getByRole('option').filter({ hasText: query }).first();
    await expect(option).toBeVisible();
    await option.click();
  }

  /** Types into the search box as a person does (key by key) and waits for the debounced search to apply. */
  async typeSearch(text: string): Promise<void> {
    const answered = this.page.waitForResponse((r) => r.url().endsWith('/api/invoke/consents.list') && (r.request().postDataJSON() as { search?: string }).search === text);
    await this.search.click();
    await this.search.selectText();
    await this.search.pressSequentially(text);
    await answered;
    await this.waitForTable();
  }

  /** The MRNs of the rows in view, distinct and sorted. */
  /** A sortable column's header (its aria-sort says the sort) and the button in it. */
  sortHeader(column: 'grantee' | 'periodStart'): Locator {
    return this.page.getByTestId(`consents-header-${column}`);
  }

  sortButton(column: 'grantee' | 'periodStart'): Locator {
    return this.page.getByTestId(`consents-sort-${column}`);
  }

  /** The MRNs of the rows on screen, top to bottom (repeats kept): the table's order. */
  async mrnsInOrder(): Promise<string[]> {
    return this.rows.evaluateAll((rows) => rows.map((r) => r.getAttribute('data-mrn') ?? ''));
  }

  async mrnsShown(): Promise<string[]> {
    const mrns = await this.rows.evaluateAll((rows) => rows.map((r) => r.getAttribute('data-mrn') ?? ''));
    return [...new Set(mrns)].sort();
  }

  get bulkRevokeDialog(): Locator {
    return this.page.getByRole('dialog', { name: 'Revoke consents in bulk' });
  }

  /** Opens bulk revoke for every consent matching the filters and waits for main's count. */
  async openRevokeAllMatching(): Promise<Locator> {
    await this.page.getByTestId('consents-revoke-matching').click();
    await expect(this.bulkRevokeDialog.getByTestId('bulk-revoke-summary')).toBeVisible();
    return this.bulkRevokeDialog;
  }

  /** "Re-apply mine" on the drawer's conflict, with its confirmation. */
  async reapplyDrawerConflict(id: number): Promise<void> {
    await this.page.locator(`[data-testid="consent-conflict"][data-conflict-id="${id}"]`).getByTestId('conflict-reapply').click();
    await this.page.getByTestId('conflict-reapply-confirm').click();
  }
}
