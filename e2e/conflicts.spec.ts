// Consent conflicts as a records manager meets them: two consent changes made here lost to another workstation's
// changes (seeded into the data folder's consent_conflicts, as the sync engine raises them from a receipt: two
// workstations are more than one browser-mode server can hold). The status bar and dashboard count them; the Sync
// page lists them in plain words; one is closed with "Accept the chain's state", the other from the consent's drawer
// with "Re-apply mine", which writes the change again and queues it. An auditor sees them but cannot resolve them.
import type { Page } from '@playwright/test';
import { openDataFolderDatabase } from '../main/db/key-store';
import { expect, invokeAs, provisionStaff, signedInApi, STAFF, test, type CustodianServer } from './fixtures';
import { ConsentsPage } from './pages/ConsentsPage';
import { ConsoleShell } from './pages/ConsoleShell';
import { SignInPage } from './pages/SignInPage';
import { SyncPage } from './pages/SyncPage';

const OTHER_SIGNER = `0x${'5e'.repeat(20)}`;

/** Grants a consent through the API as the manager; returns its id. */
async function grant(server: CustodianServer, mrn: string, decision: 'permit' | 'deny'): Promise<number> {
  const api = await signedInApi(server, STAFF.manager);
  try {
    const res = await invokeAs(api, server, 'consents.grant', { facility: 'GH01', mrn, patientName: 'Conflict, Casey', grantee: '1234567893', decision, purpose: 'TREAT', category: 'mental-health', periodStart: '2025-01-01' });
    expect(res.status(), await res.text()).toBe(200);
    return ((await res.json()) as { value: { id: number } }).value.id;
  } finally {
    await api.dispose();
  }
}

/** The state of the consent's latest outbox event. */
function outboxStateOf(server: CustodianServer, consentId: number): string | undefined {
  const db = openDataFolderDatabase(server.dataDir);
  try {
    db.pragma('busy_timeout = 5000');
    return db.prepare(`SELECT state FROM outbox_events WHERE kind = 'consent.change' AND json_extract(payload, '$.consentId') = ? ORDER BY id DESC LIMIT 1`).pluck().get(consentId) as string | undefined;
  } finally {
    db.close();
  }
}

/**
 * A conflict on the consent's outbox event, as the engine raises it when the chain skipped the op as stale.
 * Seeded only once the console's own sync has confirmed the event: a receipt read after the seeding would clear
 * a STALE conflict of that event (the chain applied it), which made this spec count 1 of 2 on a busy machine.
 */
function seedConflict(server: CustodianServer, consentId: number): number {
  const db = openDataFolderDatabase(server.dataDir);
  try {
    db.pragma('busy_timeout = 5000');
    const event = db.prepare(`SELECT id, payload FROM outbox_events WHERE kind = 'consent.change' AND json_extract(payload, '$.consentId') = ? ORDER BY id DESC LIMIT 1`).get(consentId) as { id: number; payload: string };
    const mine = (JSON.parse(event.payload) as { hlc: string }).hlc;
    // The winner: the other workstation's change a second later.
    const winning = (BigInt(`0x${mine}`) + (1000n << 16n)).toString(16).padStart(16, '0');
    return Number(
      db
        .prepare(`INSERT INTO consent_conflicts (outbox_id, consent_id, op_key, reason, my_order, winning_order, winning_writer, raised_at) VALUES (?, ?, ?, 'STALE', ?, ?, ?, ?)`)
        .run(event.id, consentId, `0x${'0c'.repeat(32)}`, `${mine}0${'a'.repeat(40)}`, `${winning}1${OTHER_SIGNER.slice(2)}`, OTHER_SIGNER, new Date().toISOString()).lastInsertRowid,
    );
  } finally {
    db.close();
  }
}

async function signIn(page: Page, server: CustodianServer, who: typeof STAFF.manager): Promise<ConsoleShell> {
  const shell = new ConsoleShell(page);
  await shell.open(server.url);
  await new SignInPage(page).signIn(who);
  return shell;
}

test('conflicts: counted in the status bar, listed on the Sync page, accepted there and re-applied from the consent drawer', async ({ page, custodian }) => {
  test.setTimeout(120_000);
  await provisionStaff(custodian, [STAFF.manager, STAFF.auditor]);
  const accepted = await grant(custodian, 'E2E-CONFLICT-1', 'permit');
  const reapplied = await grant(custodian, 'E2E-CONFLICT-2', 'deny');
  for (const consentId of [accepted, reapplied]) {
    await expect.poll(() => outboxStateOf(custodian, consentId), { timeout: 60_000, message: `consent ${consentId}'s change confirmed by the console's sync` }).toBe('confirmed');
  }
  const toAccept = seedConflict(custodian, accepted);
  const toReapply = seedConflict(custodian, reapplied);

  // --- An auditor sees them but may not resolve them (the page says who can; main refuses the call). ---
  const auditorApi = await signedInApi(custodian, STAFF.auditor);
  try {
    const denied = await invokeAs(auditorApi, custodian, 'sync.resolveConflict', { id: toReapply, resolution: 'reapplied' });
    expect(((await denied.json()) as { error: { code: string } }).error.code).toBe('PERMISSION_DENIED');
  } finally {
    await auditorApi.dispose();
  }

  const shell = await signIn(page, custodian, STAFF.manager);
  const sync = new SyncPage(page);
  const consents = new ConsentsPage(page);

  // --- Always visible: the status bar and the dashboard count them. ---
  await expect(shell.conflicts).toHaveAttribute('data-value', '2');
  await expect(page.getByTestId('dashboard-conflicts')).toContainText('2 consent changes made here lost');
  await shell.screenshot('conflicts-dashboard', { fullPage: false });

  // --- The Sync page lists them in staff words: no reason code, no name or MRN. ---
  await sync.open();
  await expect(sync.openConflicts).toHaveAttribute('data-value', '2');
  await expect(sync.conflictRows).toHaveCount(2);
  const row = sync.conflictRow(toAccept);
  await expect(row).toContainText(/Patient #\d+ · NPI 1234567893 · Treatment · Mental health/);
  await expect(row).toContainText('A later change won on the chain');
  await expect(row).toContainText('Another workstation (signer 0x5e5e…5e5e)');
  await expect(sync.conflictsSection).not.toContainText('STALE');
  await expect(sync.conflictsSection).not.toContainText('Conflict, Casey');
  await expect(sync.conflictsSection).not.toContainText('E2E-CONFLICT');
  await shell.screenshot('conflicts-sync', { fullPage: false });

  // --- Accept the chain's state: the conflict closes; nothing is queued for it. ---
  await sync.acceptChainState(toAccept);
  await expect(sync.conflictFeedback).toContainText(`Conflict #${toAccept} closed`);
  await expect(sync.conflictRow(toAccept)).toHaveCount(0);
  await expect(shell.conflicts).toHaveAttribute('data-value', '1');

  // --- Re-apply mine, from the consent's drawer (the link on the Sync page opens it). ---
  await sync.conflictRow(toReapply).getByTestId('conflict-open-consent').click();
  await expect(consents.drawer).toBeVisible();
  const drawerConflict = consents.drawerConflicts.and(page.locator(`[data-conflict-id="${toReapply}"]`));
  await expect(drawerConflict).toContainText('Sync conflict: your deny did not take effect');
  await expect(drawerConflict).toContainText('Won by: Another workstation (signer 0x5e5e…5e5e)');
  await shell.screenshot('conflicts-consent-drawer', { fullPage: false });
  await consents.reapplyDrawerConflict(toReapply);
  // The drawer now shows the consent that carries the re-applied change: a deny that replaces the old row.
  await expect(page.getByTestId('consent-reapplied-notice')).toContainText(`Your change is written again as this consent (it replaces #${reapplied})`);
  await expect(consents.detail).not.toHaveAttribute('data-consent-id', String(reapplied));
  await expect(consents.drawer).toContainText('Deny: the grantee may not access');
  await expect(consents.drawerConflicts).toHaveCount(0);
  await expect(shell.conflicts).toHaveCount(0);
  await shell.screenshot('conflicts-reapplied', { fullPage: false });

  // --- The Sync page: none open; "All" shows both, each with how it was resolved. ---
  await page.keyboard.press('Escape');
  await sync.open();
  await expect(sync.openConflicts).toHaveAttribute('data-value', '0');
  await expect(page.getByTestId('sync-conflicts-empty')).toBeVisible();
  await sync.showConflicts('all');
  await expect(sync.conflictRow(toAccept).getByTestId('conflict-resolution')).toHaveAttribute('data-resolution', 'accepted');
  await expect(sync.conflictRow(toReapply).getByTestId('conflict-resolution')).toHaveAttribute('data-resolution', 'reapplied');
  await expect(sync.conflictRow(toReapply).getByTestId('conflict-resolution')).toContainText('Re-applied by Mae Manager (you)');
  await shell.screenshot('conflicts-resolved', { fullPage: false });
});
