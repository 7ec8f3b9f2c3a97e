// The Sync page as the set-up IT administrator uses it: the embedded devnet (chain id 31337) and the signer are
// shown; sending is paused while a records manager records a consent (through the API, to keep the test short)
// and the administrator signs an audit tree head; both wait in the queue; after Resume and "Sync now" each reaches a
// confirmed batch with a transaction hash. The audit head's outbox event shows where it is anchored,
// and a records manager (who may read the audit trail) verifies it against the chain.
import path from 'node:path';
import type { Page, TestInfo } from '@playwright/test';
import { openDataFolderDatabase } from '../main/db/key-store';
import { OUTBOX_KIND_CODES, OUTBOX_STATE } from '../main/db/outbox-columns';
import { seriousAxeFindings } from './axe';
import { ADMIN, expect, provisionStaff, STAFF, test } from './fixtures';
import { ConsoleShell } from './pages/ConsoleShell';
import { SignInPage } from './pages/SignInPage';
import { SyncPage } from './pages/SyncPage';
import { asStaff } from './staff-api';

const TX_HASH = /^0x[0-9a-f]{64}$/i;

/** Serious or critical axe findings on the current screen (all findings attached to the report). */
async function expectAccessible(page: Page, testInfo: TestInfo, name: string): Promise<void> {
  expect(await seriousAxeFindings(page, testInfo, name), `axe on ${name}`).toEqual([]);
}

/** The Sync page as the IT admin sees it once the embedded chain is connected. */
async function openSyncAsAdmin(page: Page, url: string): Promise<{ shell: ConsoleShell; sync: SyncPage }> {
  const shell = new ConsoleShell(page);
  const sync = new SyncPage(page);
  await shell.open(url);
  await new SignInPage(page).signIn(ADMIN);
  await shell.waitForConnectedChain();
  await sync.open();
  return { shell, sync };
}

// This spec seals the audit log by hand and counts the batches that follow; the automatic head sealer (every 30 s
// of activity, main/audit/head-sealer.test.ts) is slowed down so it does not anchor a head in between.
test.use({ serveEnv: { CUSTODIAN_AUDIT_HEAD_INTERVAL_MS: '3600000' } });

test('sync: devnet and signer shown, a consent change and an audit root sent with "Sync now" and confirmed', async ({ page, custodian }, testInfo) => {
  test.setTimeout(120_000);
  await provisionStaff(custodian, [STAFF.manager]);
  const shell = new ConsoleShell(page);
  const sync = new SyncPage(page);

  await shell.open(custodian.url);
  await new SignInPage(page).signIn(ADMIN);
  await shell.waitForConnectedChain();
  await sync.open();

  // --- The connected devnet and the signer. ---
  await expect(sync.connection).toHaveAttribute('data-state', 'connected');
  await expect(sync.chainId).toHaveAttribute('data-value', '31337');
  await expect(sync.blockHeight).toHaveAttribute('data-value', /^\d+$/);
  await expect(sync.signerAddress).toHaveText(/^0x[0-9a-fA-F]{40}$/);
  // The data folder's own operating key, never anvil's public dev account #0 or #1.
  await expect(sync.signerAddress).not.toHaveText(/^(0xf39Fd6e51aad88F6F4ce6aB8827279cffFb92266|0x70997970C51812dc3A010C7d01b50e0d17dc79C8)$/i);
  await expect(sync.signerBalance).toHaveText(/^[\d,]+\.\d{4} ETH$/);
  await expect(page.getByTestId('sync-batches-empty')).toBeVisible();

  // --- Pause, so what is recorded next waits for the button. ---
  await sync.pause.click();
  await expect(sync.resume).toBeVisible();
  await expect(page.getByTestId('sync-paused-notice')).toBeVisible();
  await expect(sync.syncNow).toBeDisabled();

  // A records manager records a consent: one consent.change event in the outbox.
  await asStaff(custodian, STAFF.manager, async (call) => {
    await call('consents.grant', { facility: 'GH01', mrn: 'E2E-SYNC-1', grantee: 'gh-cardiology', granteeKind: 'org', decision: 'permit', purpose: 'TREAT', category: 'general', periodStart: '2025-01-01' });
  });
  // The administrator seals the audit entries so far: one signed tree head, one audit.root event.
  await sync.sealAudit.click();
  await expect(sync.feedback).toContainText('Signed a tree head of');
  await expect.poll(() => sync.queued('consent.change')).toBe(1);
  await expect.poll(() => sync.queued('audit.root')).toBe(1);
  await expect(sync.batchRows).toHaveCount(0);

  // --- Resume and send now: both kinds reach a confirmed batch with a transaction hash. ---
  await sync.resume.click();
  await expect(sync.pause).toBeVisible();
  await expect(sync.syncNow).toBeEnabled();
  await sync.syncNow.click();
  await expect(sync.feedback).toContainText('Sync ran');
  for (const kind of ['consent.change', 'audit.root']) {
    const row = sync.batchesOfKind(kind);
    await expect(row).toHaveCount(1);
    await expect(row).toHaveAttribute('data-state', 'confirmed', { timeout: 30_000 });
    await expect(row.getByTestId('batch-tx-hash')).toHaveAttribute('data-value', TX_HASH);
    await expect(row.getByTestId('batch-events')).toHaveText('1');
    await expect(row.getByTestId('batch-confirmations')).toHaveText(/^\d+ \/ 1$/);
  }
  await expect(sync.queueTotal).toHaveAttribute('data-value', '0');
  await expect(sync.finality).toHaveText(/^1 block\(s\) deep \(the embedded devnet/);
  await expect(sync.senderState).toBeVisible();
  await shell.screenshot('sync', { fullPage: false });
  await expectAccessible(page, testInfo, 'sync');

  // --- The audit root's outbox event (#2: the consent change was #1) with its batch and its anchor. ---
  await sync.openEvent(2);
  await expect(page.getByTestId('sync-event-kind')).toContainText('audit.root');
  await expect(page.getByTestId('sync-event-state')).toHaveAttribute('data-state', 'confirmed');
  await expect(page.getByTestId('sync-event-tx')).toHaveText(TX_HASH);
  await expect(page.getByTestId('sync-event-anchor-state')).toHaveAttribute('data-state', 'anchored', { timeout: 20_000 });
  await expect(page.getByTestId('sync-event-anchor-tx')).toHaveText(TX_HASH);
  // An IT administrator does not read the audit trail, so the check against the chain is left to others.
  await expect(page.getByTestId('sync-event-verify-unavailable')).toBeVisible();
  await expect(page.getByTestId('sync-event-verify')).toHaveCount(0);
  await sync.closeEvent();

  // --- A records manager opens the same event from its address and verifies the root on chain. ---
  await shell.signOut();
  await new SignInPage(page).signIn(STAFF.manager);
  await shell.goto('#/sync?event=2');
  await expect(sync.drawer).toBeVisible();
  await expect(page.getByTestId('sync-event-anchor-state')).toHaveAttribute('data-state', 'anchored');
  // A records manager may send (sync.run) but not pause or resume (sync.configure).
  await expect(sync.pause).toHaveCount(0);
  await page.getByTestId('sync-event-verify').click();
  const result = page.getByTestId('sync-event-verify-result');
  await expect(result).toHaveAttribute('data-tone', 'teal', { timeout: 30_000 });
  await expect(result).toContainText('Matches the chain');
  await expect(result).toContainText('31337');
  await result.scrollIntoViewIfNeeded();
  await shell.screenshot('sync-event', { fullPage: false });
  await expectAccessible(page, testInfo, 'sync-event');
});

test('sync: an outbox event that fails the chain payload check is reported by reason, and stays readable', async ({ page, custodian }, testInfo) => {
  test.setTimeout(90_000);
  const { shell, sync } = await openSyncAsAdmin(page, custodian.url);

  // A malformed event, as a buggy writer might leave it: an extra field the chain schema refuses.
  const db = openDataFolderDatabase(custodian.dataDir);
  try {
    db.pragma('busy_timeout = 5000');
    db.prepare(`INSERT INTO outbox (kind_code, payload) VALUES (${OUTBOX_KIND_CODES['consent.change']}, ?)`).run(JSON.stringify({ v: 1, note: 'not for the chain' }));
  } finally {
    db.close();
  }
  await sync.syncNow.click();

  // The sender reports it (reason 'payload'); the page keeps it after the sender moves on.
  const reported = page.locator('[data-testid="sync-last-failure"], [data-testid="sync-failure-advice"]').and(page.locator('[data-reason="payload"]'));
  await expect(reported).toBeVisible({ timeout: 30_000 });
  await expect(page.getByTestId('sync-sender')).toContainText(/failed the chain payload check and will not be sent; first: outbox event \d+ \(consent\.change\): ./);
  await expect(page.getByTestId('sync-sender')).toContainText('never sent');
  await expect(page.getByTestId('sync-sender')).not.toContainText('not for the chain');
  // Held for good, and shown with its own reason (what to fix), never with the payload's values.
  await expect(page.getByTestId('sync-held-events')).toContainText('1 outbox event(s) held, never sent: SYNC_PAYLOAD_INVALID 1');
  await expect(page.getByTestId('sync-held-event')).toHaveAttribute('title', /^SYNC_PAYLOAD_INVALID: .*consentId/);
  await expect(page.getByTestId('sync-held-event')).not.toContainText('not for the chain');
  await shell.screenshot('sync-payload-rejected', { fullPage: false });
  await expectAccessible(page, testInfo, 'sync-payload-rejected');
});

test('sync: an outbox event replaced by a later one is counted apart, neither queued nor held, and never sent', async ({ page, custodian }, testInfo) => {
  test.setTimeout(90_000);
  const { shell, sync } = await openSyncAsAdmin(page, custodian.url);
  await expect(sync.replacedEvents).toHaveCount(0);

  // An audit root replaced by a later one before it was batched, as replaceEvent leaves it (migration 0025).
  const db = openDataFolderDatabase(custodian.dataDir);
  let old = 0;
  try {
    db.pragma('busy_timeout = 5000');
    const root = (i: number) => JSON.stringify({ treeSize: 9000 + i, rootHash: `0x${String(i).repeat(64)}` });
    old = db.transaction(() => {
      const first = Number(db.prepare(`INSERT INTO outbox (kind_code, payload) VALUES (${OUTBOX_KIND_CODES['audit.root']}, ?)`).run(root(7)).lastInsertRowid);
      const next = Number(db.prepare(`INSERT INTO outbox (kind_code, payload) VALUES (${OUTBOX_KIND_CODES['audit.root']}, ?)`).run(root(8)).lastInsertRowid);
      db.prepare(`UPDATE outbox SET state_code = ${OUTBOX_STATE.replaced}, replaced_by = ? WHERE id = ?`).run(next, first);
      return first;
    })();
  } finally {
    db.close();
  }
  await sync.syncNow.click();

  await expect(sync.replacedEvents).toContainText('1 outbox event(s) replaced by a later event of their kind, never sent', { timeout: 30_000 });
  await expect(sync.heldEvents).toHaveCount(0);
  await shell.screenshot('sync-replaced-event', { fullPage: false });
  await expectAccessible(page, testInfo, 'sync-replaced-event');
  const after = openDataFolderDatabase(custodian.dataDir);
  try {
    expect(after.prepare(`SELECT state, batch_id AS batchId FROM outbox WHERE id = ?`).get(old)).toEqual({ state: 'replaced', batchId: null });
  } finally {
    after.close();
  }
});
