// Truthful status and a truthful access answer, as a records manager sees them. The embedded chain node is paused
// (SIGSTOP, as a hung node would be): the status bar, the Dashboard and the Sync page all say "Offline since …" with
// the queue depth, the same instant everywhere, never "Connected"; resumed (SIGCONT), all three say Connected again.
// Check access: an answer is cleared the moment the question changes and a new one is announced and focused; an NPI
// that is not in the provider directory is named as such; break-glass is its own action with its own confirmation.
import fs from 'node:fs';
import path from 'node:path';
import AxeBuilder from '@axe-core/playwright';
import type { Page, TestInfo } from '@playwright/test';
import { expect, invokeAs, provisionStaff, signedInApi, STAFF, test, type CustodianServer } from './fixtures';
import { ConsentsPage } from './pages/ConsentsPage';
import { ConsoleShell } from './pages/ConsoleShell';
import { DashboardPage } from './pages/DashboardPage';
import { SignInPage } from './pages/SignInPage';
import { SyncPage } from './pages/SyncPage';

async function expectAccessible(page: Page, testInfo: TestInfo, name: string): Promise<void> {
  const results = await new AxeBuilder({ page }).withTags(['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa']).analyze();
  await testInfo.attach(`axe-${name}.json`, { body: JSON.stringify(results.violations, null, 2), contentType: 'application/json' });
  const blocking = results.violations.filter((v) => v.impact === 'serious' || v.impact === 'critical');
  expect(blocking.map((v) => `${v.id}: ${v.help} — ${v.nodes.map((n) => n.target.join(' ')).slice(0, 3).join(' | ')}`), `axe on ${name}`).toEqual([]);
}

/** The pid of the embedded chain node this server started (its data folder's endpoint record). */
function chainNodePid(server: CustodianServer): number {
  const record = JSON.parse(fs.readFileSync(path.join(server.dataDir, 'chain', 'endpoint.json'), 'utf8')) as { pid: number };
  return record.pid;
}

async function grant(server: CustodianServer, mrn: string, grantee: string): Promise<void> {
  const api = await signedInApi(server, STAFF.manager);
  try {
    const res = await invokeAs(api, server, 'consents.grant', { facility: 'GH01', mrn, patientName: 'Quill, Ada', grantee, decision: 'permit', purpose: 'TREAT', category: 'general', periodStart: '2024-01-01' });
    expect(res.status(), await res.text()).toBe(200);
  } finally {
    await api.dispose();
  }
}

// A node that never answers is found by the probe's time limit (5 s) and the backoff that follows; resuming waits
// for the next probe (at most 30 s of backoff). Generous bounds for a loaded machine, and never a fixed sleep.
const OFFLINE_WITHIN = 60_000;
const BACK_WITHIN = 90_000;
const OFFLINE_LABEL = /^Offline since .+, \d[\d,]* queued$/;

test('health: a paused chain reads offline everywhere and connected again after; check access answers one question; break-glass is its own action', async ({ page, custodian }, testInfo) => {
  test.setTimeout(300_000);
  await provisionStaff(custodian, [STAFF.manager]);
  const shell = new ConsoleShell(page);
  const dashboard = new DashboardPage(page);
  const sync = new SyncPage(page);
  const consents = new ConsentsPage(page);

  await shell.open(custodian.url);
  await new SignInPage(page).signIn(STAFF.manager);
  await shell.waitForConnectedChain();
  await grant(custodian, 'E2E-HEALTH-1', 'gh-cardiology');

  const pid = chainNodePid(custodian);
  let paused = false;
  try {
    // --- The node stops answering. A consent recorded meanwhile is saved here and waits in the outbox. ---
    process.kill(pid, 'SIGSTOP');
    paused = true;
    await grant(custodian, 'E2E-HEALTH-2', 'gh-cardiology');

    await expect(shell.chain).toHaveAttribute('data-state', 'offline', { timeout: OFFLINE_WITHIN });
    await expect(shell.chainLabel).toHaveText(OFFLINE_LABEL);
    const since = await shell.chain.getAttribute('data-since');
    expect(since).toMatch(/^\d{4}-\d\d-\d\dT/);
    expect(Number(await shell.chain.getAttribute('data-queued'))).toBeGreaterThanOrEqual(2);
    await shell.screenshot('health-offline-status-bar', { fullPage: false });

    // The Dashboard: the chain card and its health line say the same, from the same instant.
    await shell.navLink('dashboard').click();
    await dashboard.waitUntilLoaded();
    await expect(dashboard.chainState).toHaveAttribute('data-state', 'offline');
    await expect(dashboard.chainState).toHaveText('Offline');
    await expect(dashboard.chainHealth).toHaveText(OFFLINE_LABEL);
    await expect(dashboard.chainHealth).toHaveAttribute('data-since', since!);
    await expect(dashboard.outboxState).toHaveText('Held: chain unreachable');
    await expect(shell.chain).toHaveAttribute('data-state', 'offline');
    await shell.screenshot('health-offline-dashboard');
    await expectAccessible(page, testInfo, 'health-offline-dashboard');

    // The Sync page: its chain card too, same instant.
    await sync.open();
    await expect(sync.connection).toHaveAttribute('data-state', 'offline');
    await expect(sync.offlineSince).toHaveAttribute('data-value', since!);
    await expect(sync.offlineSince).toHaveText(/^.+, \d[\d,]* queued$/);
    // The Sender card reads the same health: offline with the queue and for how long, never "Up to date".
    await expect(sync.senderState).toHaveAttribute('data-state', 'offline');
    await expect(sync.senderState).toHaveText(/^Offline, \d[\d,]* queued$/);
    await expect(sync.senderDetail).toHaveText(/has not answered for \d.* \(since .+\)\. \d[\d,]* events are queued here, not sent\./);
    await expect(sync.senderDetail).not.toContainText('Nothing is waiting');
    await shell.screenshot('health-offline-sync');
  } finally {
    if (paused) process.kill(pid, 'SIGCONT');
  }

  // --- The node answers again: every display says Connected (the Sync page first, where we are). ---
  await expect(sync.connection).toHaveAttribute('data-state', 'connected', { timeout: BACK_WITHIN });
  await expect(shell.chain).toHaveAttribute('data-state', 'connected');
  await expect(shell.chainLabel).toHaveText('Connected');
  await shell.navLink('dashboard').click();
  await dashboard.waitUntilLoaded();
  await expect(dashboard.chainState).toHaveAttribute('data-state', 'connected');
  await expect(dashboard.chainHealth).toHaveCount(0);
  await shell.screenshot('health-back-dashboard');

  // --- Check access: an answer, then any edit clears it and says so; the next answer is announced and focused. ---
  await consents.open();
  await consents.openAccessCheck();
  await consents.accessGrantee.fill('gh-cardiology');
  await consents.pickPatient(page.getByTestId('access-patient'), 'E2E-HEALTH-1');
  await consents.accessSubmit.click();
  await expect(consents.accessResult).toHaveAttribute('data-decision', 'permit');
  await expect(consents.accessResult).toBeFocused();
  await expect(consents.accessAnnouncement).toHaveText(/^Permit for gh-cardiology, TREAT/);
  await expect(consents.accessGranteeFacts).toHaveAttribute('data-kind', 'org');

  // A different grantee: the green PERMIT must not stay under it.
  await consents.accessGrantee.fill('1245319599');
  await expect(consents.accessResult).toHaveCount(0);
  await expect(consents.accessCleared).toBeVisible();
  await expect(consents.accessAnnouncement).toHaveText(/^The question changed, so the previous answer was cleared/);
  await consents.accessSubmit.click();
  await expect(consents.accessResult).toHaveAttribute('data-decision', 'deny');
  await expect(consents.accessResult).toBeFocused();
  // Not in the provider directory: named, not silently permitted.
  await expect(consents.accessGranteeFacts).toHaveAttribute('data-listed', 'false');
  await expect(consents.accessGranteeFacts).toHaveAttribute('data-code', 'NPI_NOT_IN_DIRECTORY');
  await expect(consents.accessGranteeFacts).toContainText('Not in the provider directory');
  await shell.screenshot('health-access-unlisted-npi');

  // Purpose and category edits clear it too.
  await consents.accessCategory.selectOption('HIV');
  await expect(consents.accessResult).toHaveCount(0);
  await consents.accessSubmit.click();
  await expect(consents.accessResult).toBeVisible();
  await consents.accessPurpose.selectOption('ETREAT');
  await expect(consents.accessResult).toHaveCount(0);

  // --- ETREAT is a question: checking it opens nothing. ---
  await consents.accessSubmit.click();
  await expect(consents.accessResult).toHaveAttribute('data-break-glass', 'false');
  await expect(consents.accessResult).toHaveAttribute('data-decision', 'deny');

  // --- Break-glass is its own action with its own confirmation; cancelling opens nothing. ---
  await consents.breakGlassOpen.click();
  await expect(consents.breakGlassDialog).toBeVisible();
  await expect(consents.breakGlassDialog).toContainText('1245319599');
  await shell.screenshot('health-break-glass-dialog', { fullPage: false });
  await expectAccessible(page, testInfo, 'break-glass-dialog');
  await page.getByTestId('break-glass-cancel').click();
  await expect(consents.breakGlassDialog).toBeHidden();
  await expect(consents.accessResult).toHaveAttribute('data-break-glass', 'false');

  // For the unlisted NPI it is refused, with the reason named.
  await consents.breakGlass('Collapsed in the waiting room, no one to ask');
  await expect(consents.accessResult).toHaveAttribute('data-decision', 'deny');
  await expect(consents.accessResult).toHaveAttribute('data-break-glass', 'false');
  await expect(consents.accessReason).toContainText('Break-glass refused: NPI 1245319599 is not in the provider directory');
  await expect(consents.accessResult).toBeFocused();

  // For the organisation it opens the record, flagged.
  await consents.accessGrantee.fill('gh-cardiology');
  await expect(consents.accessResult).toHaveCount(0);
  await consents.breakGlass('Collapsed in the waiting room, no one to ask');
  await expect(consents.accessResult).toHaveAttribute('data-decision', 'permit');
  await expect(consents.accessResult).toHaveAttribute('data-break-glass', 'true');
  await expect(consents.accessAnnouncement).toHaveText(/^Permit, by break-glass emergency access for gh-cardiology/);
  await shell.screenshot('health-access-break-glass');
  await expectAccessible(page, testInfo, 'check-access-break-glass');
});
