// Page object for the Sync page: chain and signer facts, the sender's state, the queue, the controls, the batches
// table and the outbox event drawer.
import { expect, type Locator, type Page } from '@playwright/test';

export class SyncPage {
  readonly connection: Locator;
  readonly offlineSince: Locator;
  readonly chainId: Locator;
  readonly blockHeight: Locator;
  readonly signerAddress: Locator;
  readonly signerBalance: Locator;
  readonly finality: Locator;
  readonly senderState: Locator;
  readonly senderDetail: Locator;
  readonly queueTotal: Locator;
  readonly heldEvents: Locator;
  readonly replacedEvents: Locator;
  readonly syncNow: Locator;
  readonly pause: Locator;
  readonly resume: Locator;
  readonly sealAudit: Locator;
  readonly feedback: Locator;
  readonly batchesTable: Locator;
  readonly batchRows: Locator;
  readonly drawer: Locator;
  readonly conflictsSection: Locator;
  readonly conflictRows: Locator;
  readonly openConflicts: Locator;
  readonly conflictFeedback: Locator;

  constructor(readonly page: Page) {
    this.connection = page.getByTestId('sync-connection');
    this.offlineSince = page.getByTestId('sync-offline-since');
    this.chainId = page.getByTestId('sync-chain-id');
    this.blockHeight = page.getByTestId('sync-block-height');
    this.signerAddress = page.getByTestId('sync-signer-address');
    this.signerBalance = page.getByTestId('sync-signer-balance');
    this.finality = page.getByTestId('sync-finality');
    this.senderState = page.getByTestId('sync-state');
    this.senderDetail = page.getByTestId('sync-state-detail');
    this.queueTotal = page.getByTestId('sync-queue-total');
    this.heldEvents = page.getByTestId('sync-held-events');
    this.replacedEvents = page.getByTestId('sync-replaced-events');
    this.syncNow = page.getByTestId('sync-now');
    this.pause = page.getByTestId('sync-pause');
    this.resume = page.getByTestId('sync-resume');
    this.sealAudit = page.getByTestId('sync-seal-audit');
    this.feedback = page.getByTestId('sync-feedback');
    this.batchesTable = page.getByTestId('sync-batches-table');
    this.batchRows = page.getByTestId('sync-batch-row');
    this.drawer = page.getByRole('dialog', { name: /^Outbox event #/ });
    this.conflictsSection = page.getByTestId('sync-conflicts');
    this.conflictRows = page.getByTestId('sync-conflict-row');
    this.openConflicts = page.getByTestId('sync-conflicts-open');
    this.conflictFeedback = this.conflictsSection.getByTestId('conflict-feedback');
  }

  async open(): Promise<void> {
    await this.page.getByTestId('nav-sync').click();
    await expect(this.page.getByTestId('page-title')).toHaveText('Sync');
    await expect(this.connection).toBeVisible();
  }

  /** Rows of the batches table for one outbox kind, e.g. 'consent.change'. */
  batchesOfKind(kind: string): Locator {
    return this.page.locator(`[data-testid="sync-batch-row"][data-kind="${kind}"]`);
  }

  /** The number of not-yet-confirmed events of one kind in the Queue card (0 when the kind is not listed). */
  async queued(kind: string): Promise<number> {
    const row = this.page.getByTestId(`sync-queue-kind-${kind}`);
    if ((await row.count()) === 0) return 0;
    return Number(await row.getAttribute('data-value'));
  }

  /** Opens one outbox event in the drawer through the lookup box, as a person given its number would. */
  async openEvent(id: number): Promise<void> {
    await this.page.getByTestId('sync-event-lookup').fill(String(id));
    await this.page.getByTestId('sync-event-open').click();
    await expect(this.drawer).toBeVisible();
    await expect(this.page.getByTestId('sync-event-kind')).toBeVisible();
  }

  async closeEvent(): Promise<void> {
    await this.page.keyboard.press('Escape');
    await expect(this.drawer).toBeHidden();
  }

  /** One row of the conflicts table. */
  conflictRow(id: number): Locator {
    return this.page.locator(`[data-testid="sync-conflict-row"][data-conflict-id="${id}"]`);
  }

  async acceptChainState(id: number): Promise<void> {
    await this.conflictRow(id).getByTestId('conflict-accept').click();
  }

  /** "Re-apply mine" and its confirmation. */
  async reapplyMine(id: number): Promise<void> {
    await this.conflictRow(id).getByTestId('conflict-reapply').click();
    await this.page.getByTestId('conflict-reapply-confirm').click();
  }

  /** Shows resolved conflicts too ('all') or only open ones. */
  async showConflicts(view: 'open' | 'all'): Promise<void> {
    await this.page.getByTestId('sync-conflicts-view').getByText(view === 'all' ? 'All' : 'Open', { exact: true }).click();
  }
}
