// Page object for the Imports page: the new-import form (chosen file, format, preview, dry run, import), the run panel
// (progress while it runs, summary and rejects after), and the history.
import { expect, type Locator, type Page } from '@playwright/test';

export type ImportCount = 'read' | 'accepted' | 'updated' | 'duplicate' | 'rejected' | 'written';

export class ImportsPage {
  readonly previewButton: Locator;
  readonly preview: Locator;
  readonly dryRun: Locator;
  readonly start: Locator;
  readonly run: Locator;
  readonly progress: Locator;
  readonly progressDone: Locator;
  readonly cancel: Locator;
  readonly summary: Locator;
  readonly runAgain: Locator;
  readonly fileGone: Locator;
  readonly rejectsPath: Locator;
  readonly rejectRows: Locator;
  readonly history: Locator;
  readonly historyRows: Locator;

  constructor(readonly page: Page) {
    this.previewButton = page.getByTestId('import-preview-button');
    this.preview = page.getByTestId('import-preview');
    this.dryRun = page.getByTestId('import-dry-run');
    this.start = page.getByTestId('import-start');
    this.run = page.getByTestId('import-run');
    this.progress = page.getByTestId('import-progress');
    this.progressDone = page.getByTestId('import-progress-done');
    this.cancel = page.getByTestId('import-cancel');
    this.summary = page.getByTestId('import-summary');
    this.runAgain = page.getByTestId('import-run-again');
    this.fileGone = page.getByTestId('import-file-gone');
    this.rejectsPath = page.getByTestId('import-rejects-path');
    this.rejectRows = page.getByTestId('import-reject-row');
    this.history = page.getByTestId('import-history');
    this.historyRows = page.getByTestId('import-history-row');
  }

  async open(): Promise<void> {
    await this.page.getByTestId('nav-imports').click();
    await expect(this.page.getByTestId('page-title')).toHaveText('Imports');
    await expect(this.page.getByTestId('import-history-loading')).toHaveCount(0);
  }

  /** Chooses a file as a person does with "Choose file…" (browser mode: it is uploaded) and waits until it is selected. */
  async chooseFile(file: string, idPrefix = 'import'): Promise<void> {
    await chooseFileIn(this.page, file, idPrefix);
  }

  /** The desktop app: "Choose file…" opens main's open dialog (no file chooser in the page); waits until chosen. */
  async pickInDialog(idPrefix = 'import'): Promise<Locator> {
    await this.page.getByTestId(`${idPrefix}-choose-file`).click();
    const chosen = this.page.getByTestId(`${idPrefix}-chosen-file`);
    await expect(chosen).toBeVisible();
    return chosen;
  }

  /** Clicks a download button and returns the downloaded file's name and text. */
  async download(button: Locator): Promise<{ name: string; text: string }> {
    const [download] = await Promise.all([this.page.waitForEvent('download'), button.click()]);
    const file = await download.path();
    // Settled, so a screenshot taken next shows the button at rest.
    await expect(button).not.toHaveAttribute('data-loading', 'true');
    const { readFile } = await import('node:fs/promises');
    return { name: download.suggestedFilename(), text: await readFile(file!, 'utf8') };
  }

  async previewFile(file: string): Promise<void> {
    await this.chooseFile(file);
    await this.previewButton.click();
    await expect(this.preview).toBeVisible();
  }

  /** Waits for the run panel to show a finished run in `state` (e.g. succeeded) and returns its id. */
  async waitForFinished(state: 'succeeded' | 'cancelled' | 'failed' = 'succeeded', timeout = 60_000): Promise<number> {
    await expect(this.run).toHaveAttribute('data-state', state, { timeout });
    await expect(this.summary).toBeVisible();
    return Number(await this.run.getAttribute('data-run-id'));
  }

  count(name: ImportCount): Locator {
    return this.summary.getByTestId(`import-count-${name}`);
  }

  async counts(): Promise<Record<ImportCount, number>> {
    const names: ImportCount[] = ['read', 'accepted', 'updated', 'duplicate', 'rejected', 'written'];
    const out = {} as Record<ImportCount, number>;
    for (const n of names) out[n] = Number(await this.count(n).getAttribute('data-value'));
    return out;
  }

  /** Rows read so far, as the progress panel shows it. */
  async rowsDone(): Promise<number> {
    return Number((await this.progressDone.getAttribute('data-value')) ?? '0');
  }
}

/** The shared file chooser (imports, claims, roster): "Choose file…" then the file, waiting until it is selected. */
export async function chooseFileIn(page: Page, file: string, idPrefix: string): Promise<void> {
  const [chooser] = await Promise.all([page.waitForEvent('filechooser'), page.getByTestId(`${idPrefix}-choose-file`).click()]);
  await chooser.setFiles(file);
  await expect(page.getByTestId(`${idPrefix}-chosen-file`)).toBeVisible();
}
