// The Audit page as an auditor uses it: break-glass review (from the dashboard card), paging through a long trail,
// filters, the integrity check, the CSV report, an entry's proof and the printed view. The records manager's side
// (an emergency access, a burst of activity, sealing a batch) is done through the API to keep the test short.
import fs from 'node:fs';
import { expect, invokeAs, provisionStaff, signedInApi, STAFF, test } from './fixtures';
import { AuditPage } from './pages/AuditPage';
import { ConsoleShell } from './pages/ConsoleShell';
import { SignInPage } from './pages/SignInPage';

/** RFC 4180: quoted fields with doubled quotes, CRLF between records. */
function parseCsv(text: string): string[][] {
  const records: string[][] = [];
  let record: string[] = [];
  let cell = '';
  let quoted = false;
  for (let i = 0; i < text.length; i++) {
    const c = text[i]!;
    if (quoted) {
      if (c === '"' && text[i + 1] === '"') {
        cell += '"';
        i++;
      } else if (c === '"') quoted = false;
      else cell += c;
    } else if (c === '"') quoted = true;
    else if (c === ',') {
      record.push(cell);
      cell = '';
    } else if (c === '\r' && text[i + 1] === '\n') {
      record.push(cell);
      records.push(record);
      record = [];
      cell = '';
      i++;
    } else cell += c;
  }
  if (quoted) throw new Error('unterminated quoted field');
  if (cell !== '' || record.length) records.push([...record, cell]);
  return records;
}

test('an auditor reviews break-glass access, pages, filters, verifies, exports, proves and prints the trail', async ({ page, custodian, context }) => {
  test.setTimeout(180_000);
  await context.grantPermissions(['clipboard-read', 'clipboard-write'], { origin: custodian.baseURL });
  await provisionStaff(custodian, [STAFF.manager, STAFF.auditor]);

  // --- The records manager records a consent, then opens the record in an emergency (break-glass). ---
  const manager = await signedInApi(custodian, STAFF.manager);
  const granted = await invokeAs(manager, custodian, 'consents.grant', {
    facility: 'GH01',
    mrn: 'E2E-0001',
    grantee: 'gh-cardiology',
    granteeKind: 'org',
    decision: 'deny',
    purpose: 'TREAT',
    category: 'mental-health',
    periodStart: '2025-01-01',
  });
  expect(granted.status(), await granted.text()).toBe(200);
  const patientId = ((await granted.json()) as { value: { patient: { id: number } } }).value.patient.id;
  const emergency = await invokeAs(manager, custodian, 'access.check', {
    grantee: 'gh-cardiology',
    patientId,
    purpose: 'ETREAT',
    category: 'mental-health',
    breakGlassReason: 'Unconscious in the emergency department, no one to ask',
  });
  expect(emergency.status(), await emergency.text()).toBe(200);
  // A busy morning: enough entries for more than one page of the trail.
  for (let i = 0; i < 110; i += 1) expect((await invokeAs(manager, custodian, 'consents.list', {})).status()).toBe(200);

  // --- The auditor sees the emergency access waiting on the dashboard. ---
  const shell = new ConsoleShell(page);
  const audit = new AuditPage(page);
  await shell.open(custodian.url);
  await new SignInPage(page).signIn(STAFF.auditor);
  const card = page.getByTestId('card-break-glass');
  await expect(card.getByTestId('break-glass-count')).toHaveAttribute('data-value', '1');
  await expect(card).toContainText(STAFF.manager.displayName);
  await shell.screenshot('dashboard-break-glass');

  // --- …reviews it on the Audit page, with a note. ---
  await card.getByTestId('break-glass-link').click();
  await expect(page).toHaveURL(/#\/audit\/break-glass$/);
  const row = page.getByTestId('break-glass-row');
  await expect(row).toHaveCount(1);
  await expect(row).toContainText('Unconscious in the emergency department');
  await expect(row).toContainText(String(patientId));
  await row.getByTestId('break-glass-review').click();
  const dialog = page.getByRole('dialog', { name: /Review break-glass access/ });
  await dialog.getByTestId('break-glass-review-submit').click();
  await expect(dialog).toContainText('Write what you checked');
  await dialog.getByTestId('break-glass-note').fill('Checked the ED admission record: patient arrived unconscious at 03:10. Access justified.');
  await shell.screenshot('audit-break-glass-review');
  await dialog.getByTestId('break-glass-review-submit').click();
  await expect(dialog).toBeHidden();
  await expect(page.getByTestId('break-glass-feedback')).toContainText('recorded');
  await expect(page.getByTestId('break-glass-empty')).toBeVisible();

  // --- The trail: a page of 100, then older entries on demand. ---
  await page.getByTestId('audit-tab-trail').click();
  await audit.waitForTrail();
  await expect(audit.rows).toHaveCount(100);
  await expect(audit.count).toContainText('more below');
  await audit.loadMore.click();
  await expect.poll(() => audit.rows.count()).toBeGreaterThan(100);
  await expect(audit.loadMore).toHaveCount(0);
  const ids = await audit.rows.evaluateAll((rows) => rows.map((r) => Number(r.getAttribute('data-entry-id'))));
  expect(ids, 'newest first, no entry twice').toEqual([...ids].sort((a, b) => b - a));
  expect(new Set(ids).size).toBe(ids.length);

  // --- Filters: by patient, by action, by date. ---
  await page.getByTestId('audit-filter-patient').fill(String(patientId));
  await audit.apply();
  await expect(page).toHaveURL(new RegExp(`patient=${patientId}`));
  // Every read that showed this patient is on the patient's trail too (the 110 list reads name it), so by action:
  await audit.filterByAction('access.check');
  await expect(audit.matching({ action: 'access.check', outcome: 'break-glass', actor: STAFF.manager.displayName })).toHaveCount(1);
  await expect(audit.rows).toHaveCount(1);
  await audit.filterByAction('consents.grant');
  await expect(audit.matching({ action: 'consents.grant', outcome: 'success' })).toHaveCount(1);
  await audit.filterByAction('consents.list');
  await expect(audit.matching({ action: 'consents.list', outcome: 'success', actor: STAFF.manager.displayName })).toHaveCount(100);
  await audit.clearFilters();
  await audit.filterByAction('audit.breakGlass.review');
  await expect(audit.rows).toHaveCount(1);
  await expect(audit.matching({ action: 'audit.breakGlass.review', outcome: 'success', actor: STAFF.auditor.displayName })).toHaveCount(1);
  await audit.clearFilters();
  const today = await page.evaluate(() => {
    const d = new Date();
    return `${d.getFullYear()}-${String(d.getMonth() + 1).padStart(2, '0')}-${String(d.getDate()).padStart(2, '0')}`;
  });
  await page.getByTestId('audit-filter-from').fill(today);
  await page.getByTestId('audit-filter-to').fill(today);
  await audit.apply();
  await expect(audit.rows).toHaveCount(100);
  await page.getByTestId('audit-filter-from').fill('2099-01-01');
  await page.getByTestId('audit-filter-to').fill('2099-01-31');
  await audit.apply();
  await expect(audit.empty).toContainText('No entries match this filter.');
  await audit.clearFilters();

  // --- Verify integrity. ---
  await page.getByTestId('audit-verify').click();
  await expect(audit.verifyResult).toBeVisible({ timeout: 60_000 });
  await expect(audit.verifyResult).toHaveAttribute('data-ok', 'true');
  await expect(page.getByTestId('audit-verify-verdict')).toHaveText('Intact');
  const figure = async (id: string) => Number((await page.getByTestId(id).innerText()).replace(/,/g, ''));
  const entries = await figure('audit-verify-entries');
  expect(entries).toBeGreaterThan(100);
  // Intact: every entry is either under a signed head the log still matches or after the last one; no batch counts.
  expect((await figure('audit-verify-verified')) + (await figure('audit-verify-unsigned'))).toBe(entries);
  await expect(audit.verifyResult).not.toContainText(/batch/i);
  await shell.screenshot('audit-verify', { fullPage: false });

  // --- Export the CSV report (patient filter): it arrives as a download the auditor saves (never a path on screen),
  // one record per entry plus the header, every cell formula-safe. Looking at a patient's trail is itself recorded
  // against that patient, so the report also holds the auditor's own searches. ---
  await page.getByTestId('audit-filter-patient').fill(String(patientId));
  await audit.apply();
  const [download] = await Promise.all([page.waitForEvent('download'), page.getByTestId('audit-export').click()]);
  expect(download.suggestedFilename()).toMatch(/^audit-\d{8}T\d{6}Z(-\d+)?\.csv$/);
  const exported = page.getByTestId('audit-export-result');
  await expect(exported).toHaveAttribute('data-saved', 'true');
  await expect(exported).toContainText(`(patient ${patientId}) as ${download.suggestedFilename()}`);
  await expect(exported).not.toContainText(custodian.dataDir);
  const rows = Number(/(\d+) entries/.exec(await exported.innerText())?.[1]);
  expect(rows).toBeGreaterThanOrEqual(2);
  const records = parseCsv(fs.readFileSync((await download.path())!, 'utf8'));
  expect(records[0]).toEqual(['id', 'at', 'actor_id', 'actor_name', 'actor_role', 'workstation', 'action', 'outcome', 'patient_id', 'subject', 'details', 'hash']);
  expect(records).toHaveLength(rows + 1);
  for (const record of records) expect(record).toHaveLength(12);
  expect(records.some((r) => r[6] === 'access.check' && r[7] === 'break-glass')).toBe(true);
  // Neutralised: no cell a spreadsheet would run as a formula.
  expect(records.flat().filter((cell) => /^ *[=+\-@]|^[\t\r]/.test(cell))).toEqual([]);
  // Each record's details is the JSON the trail hashed.
  for (const record of records.slice(1)) expect(() => JSON.parse(record[10]!)).not.toThrow();
  await shell.screenshot('audit-export-downloaded', { fullPage: false });

  // --- An entry's proof: none until a tree head covers it; then the bundle, to copy. ---
  await audit.filterByAction('access.check');
  await audit.matching({ action: 'access.check' }).getByTestId('audit-open-entry').click();
  await expect(audit.drawer.getByTestId('audit-entry-actor')).toContainText(STAFF.manager.displayName);
  await expect(audit.drawer).toContainText('Unconscious in the emergency department');
  await audit.drawer.getByTestId('audit-proof-get').click();
  const sealed = audit.drawer.getByTestId('audit-proof-not-batched').or(audit.drawer.getByTestId('audit-proof-status'));
  await expect(sealed).toBeVisible();
  // The records manager (sync.run) signs a head; the auditor asks again.
  expect((await invokeAs(manager, custodian, 'audit.batchNow', {})).status()).toBe(200);
  await audit.drawer.getByTestId('audit-proof-get').click();
  await expect(audit.drawer.getByTestId('audit-proof-status')).toHaveText(/Anchored on chain|Not anchored yet|Chain not checked/);
  const proofJson = JSON.parse(await audit.drawer.getByTestId('audit-proof-json').innerText()) as { format: string; entry: { id: number; action: string } };
  expect(proofJson.format).toBe('custodian-audit-proof/2');
  expect(proofJson.entry.action).toBe('access.check');
  await audit.drawer.getByTestId('audit-proof-copy').click();
  await expect(audit.drawer.getByTestId('audit-proof-copy')).toHaveText('Copied');
  expect(JSON.parse(await page.evaluate<string>('navigator.clipboard.readText()'))).toMatchObject({ format: 'custodian-audit-proof/2' });
  await shell.screenshot('audit-entry-proof');
  await page.keyboard.press('Escape');
  await expect(audit.drawer.getByRole('dialog')).toHaveCount(0);

  // --- The printed report: the table alone, with what was printed, when and by whom. ---
  await page.emulateMedia({ media: 'print' });
  await expect(page.getByTestId('audit-print-header')).toBeVisible();
  await expect(page.getByTestId('audit-print-header')).toContainText(`by ${STAFF.auditor.displayName}`);
  await expect(page.getByTestId('audit-print-header')).toContainText(`patient ${patientId}`);
  await expect(page.getByRole('navigation', { name: 'Main' })).toBeHidden();
  await expect(page.getByTestId('audit-filters')).toBeHidden();
  await expect(shell.statusBar).toBeHidden();
  await expect(audit.table).toBeVisible();
  await shell.screenshot('audit-print');
  await page.emulateMedia({ media: 'screen' });
  await manager.dispose();
});
