// Files in and out of the console as a records manager handles them in the browser: choose a CSV with the picker
// (it is uploaded, with no path typed), preview and import it, download the rejects file from the summary and
// from the history and read it, then export the consents as FHIR (a background job) and read the NDJSON.
import AxeBuilder from '@axe-core/playwright';
import fs from 'node:fs';
import path from 'node:path';
import { expect, provisionStaff, REPO_ROOT, STAFF, test } from './fixtures';
import { ConsentsPage } from './pages/ConsentsPage';
import { ConsoleShell } from './pages/ConsoleShell';
import { ImportsPage } from './pages/ImportsPage';
import { SignInPage } from './pages/SignInPage';

const MIXED_CSV = path.join(REPO_ROOT, 'e2e', 'data', 'consents-mixed.csv');

test.beforeEach(async ({ custodian }) => {
  await provisionStaff(custodian, [STAFF.manager]);
});

test('upload a CSV by the picker, import it, download its rejects, export consents as FHIR NDJSON', async ({ page, custodian }, testInfo) => {
  const shell = new ConsoleShell(page);
  const imports = new ImportsPage(page);
  await shell.open(custodian.url);
  await new SignInPage(page).signIn(STAFF.manager);
  await imports.open();

  // --- Choose the file: it is uploaded into the data folder; the page keeps only its id. ---
  await imports.chooseFile(MIXED_CSV);
  await expect(page.getByTestId('import-chosen-file')).toContainText('consents-mixed.csv');
  await expect(page.getByTestId('import-path')).toHaveCount(0); // no field to type a server path into
  const uploadId = (await page.getByTestId('import-chosen-file').getAttribute('data-upload-id'))!;
  expect(fs.readFileSync(path.join(custodian.dataDir, 'uploads', uploadId, 'consents-mixed.csv'), 'utf8')).toBe(fs.readFileSync(MIXED_CSV, 'utf8'));
  await page.getByTestId('import-preview-button').click();
  await expect(imports.preview).toHaveAttribute('data-format', 'csv');
  await expect(page.getByTestId('import-preview-table').locator('tbody tr')).toHaveCount(10);
  await shell.screenshot('files-upload-preview', { fullPage: false });
  const axe = await new AxeBuilder({ page }).withTags(['wcag2a', 'wcag2aa']).analyze();
  expect(axe.violations.filter((v) => v.impact === 'serious' || v.impact === 'critical').map((v) => v.id)).toEqual([]);

  // --- Import it; the summary names the uploaded file and offers its rejects. ---
  await imports.start.click();
  const runId = await imports.waitForFinished();
  await expect(imports.run).toContainText('consents-mixed.csv');
  expect(await imports.counts()).toMatchObject({ read: 10, accepted: 6, rejected: 4 });
  // An import that committed removes its upload.
  await expect.poll(() => fs.existsSync(path.join(custodian.dataDir, 'uploads', uploadId))).toBe(false);

  const fromSummary = await imports.download(page.getByTestId('import-rejects-download'));
  expect(fromSummary.name).toBe(`run-${runId}-rejects.csv`);
  const lines = fromSummary.text.split('\r\n').filter(Boolean);
  expect(lines[0]).toMatch(/,reject_row,reject_line,reject_reason$/);
  expect(lines).toHaveLength(5);
  expect(fromSummary.text).toContain('unknown purpose code ""TREATMENT""');
  expect(fromSummary.text).toContain('NPI check digit is wrong');
  expect(fromSummary.text).toBe(fs.readFileSync(path.join(custodian.dataDir, 'imports', `run-${runId}-rejects.csv`), 'utf8'));
  await shell.screenshot('files-rejects-download', { fullPage: false });

  const historyRow = page.locator(`[data-testid="import-history-row"][data-run-id="${runId}"]`);
  const fromHistory = await imports.download(historyRow.getByTestId('import-history-rejects'));
  expect(fromHistory.text).toBe(fromSummary.text);

  // --- Export every consent as FHIR: a job with progress, then a download link. ---
  const consents = new ConsentsPage(page);
  await consents.open();
  await page.getByTestId('consents-export-all').click();
  const result = page.getByTestId('consents-export-result');
  await expect(result).toHaveAttribute('data-state', 'succeeded');
  await expect(result).toHaveAttribute('data-count', '6');
  await shell.screenshot('files-export-ready', { fullPage: false });
  const exported = await imports.download(page.getByTestId('consents-export-download'));
  expect(exported.name).toMatch(/^consents-.*\.ndjson$/);
  const resources = exported.text.trim().split('\n').map((l) => JSON.parse(l) as { resourceType: string; contained: { identifier: { value: string }[] }[] });
  expect(resources).toHaveLength(6);
  expect(new Set(resources.map((r) => r.resourceType))).toEqual(new Set(['Consent']));
  expect(resources.map((r) => r.contained[0]!.identifier[0]!.value)).toContain('E2EIMP001');
  testInfo.annotations.push({ type: 'export', description: exported.name });

  // --- Dropping a file on the zone uploads it the same way. ---
  await imports.open();
  const dataTransfer = await page.evaluateHandle((text) => {
    // Runs in the page; the e2e tsconfig has no DOM lib, so name the browser's constructor by hand.
    const { DataTransfer: PageDataTransfer } = globalThis as unknown as { DataTransfer: new () => { items: { add(file: File): void } } };
    const dt = new PageDataTransfer();
    dt.items.add(new File([text], 'dropped.csv', { type: 'text/csv' }));
    return dt;
  }, fs.readFileSync(MIXED_CSV, 'utf8'));
  const zone = page.getByTestId('import-drop-zone');
  await zone.dispatchEvent('dragover', { dataTransfer });
  await expect(zone).toHaveAttribute('data-dragging', 'true');
  await zone.dispatchEvent('drop', { dataTransfer });
  await expect(page.getByTestId('import-chosen-file')).toContainText('dropped.csv');
  const droppedId = (await page.getByTestId('import-chosen-file').getAttribute('data-upload-id'))!;
  expect(fs.readFileSync(path.join(custodian.dataDir, 'uploads', droppedId, 'dropped.csv'), 'utf8')).toBe(fs.readFileSync(MIXED_CSV, 'utf8'));
});
