// The console as each role sees it by default: records staff (clerk, manager) read no chain words on any main page
// (transaction hashes, batch ids, blocks, nonces, gas, sequence numbers live behind "Technical details"), and every
// page of every role has no serious or critical axe violation.
import type { Page } from '@playwright/test';
import { seriousAxeFindings, WCAG_AA } from './axe';
import { ADMIN, expect, provisionStaff, STAFF, test, type CustodianServer, type StaffCredentials } from './fixtures';
import { ConsoleShell } from './pages/ConsoleShell';
import { SignInPage } from './pages/SignInPage';
import { asStaff } from './staff-api';

/** Chain words records staff should not meet on a default view. */
const JARGON: readonly { word: string; pattern: RegExp }[] = [
  { word: 'tx hash', pattern: /\btx\b|transaction hash/i },
  { word: 'batch id', pattern: /batch id/i },
  { word: 'block', pattern: /\bblocks?\b(?! ?list)/i },
  { word: 'nonce', pattern: /\bnonces?\b/i },
  { word: 'gas', pattern: /\bgas\b/i },
  { word: 'seq', pattern: /\bseq\b/i },
  { word: '0x address or hash', pattern: /\b0x[0-9a-f]{8,}/i },
  // The node's address and the signing account's balance are IT's business (issue #15): behind Technical details.
  { word: 'RPC URL', pattern: /\bRPC\b|\bhttps?:\/\/(?:127\.0\.0\.1|localhost)/i },
  { word: 'ETH balance', pattern: /\bETH\b|\bether\b|\bwei\b/i },
];

/** The main pages this role's navigation offers. */
async function navPages(page: Page): Promise<string[]> {
  await expect(page.getByTestId('nav-dashboard')).toBeVisible();
  const ids = await page.locator('nav [data-testid^="nav-"]').evaluateAll((links) => links.map((l) => l.getAttribute('data-testid')!.slice('nav-'.length)));
  // Every role has at least the Dashboard, Consents, Imports, Credentials and Sync: never a vacuous pass.
  expect(ids.length).toBeGreaterThanOrEqual(5);
  return ids;
}

async function openPage(page: Page, id: string): Promise<void> {
  await page.getByTestId(`nav-${id}`).click();
  await expect(page.getByTestId('page-title')).toBeVisible();
  // Each page's first answers have landed: no loader left in the main area.
  await expect(page.locator('main .mantine-Loader-root')).toHaveCount(0, { timeout: 30_000 });
}

/** What a person can read on the page now (hidden disclosures excluded), the status bar included. */
async function visibleText(page: Page): Promise<string> {
  return page.locator('body').innerText();
}

async function seedSyncedConsent(server: CustodianServer): Promise<void> {
  await asStaff(server, STAFF.manager, async (call) => {
    await call('consents.grant', { facility: 'GH01', mrn: 'LANG-1', patientName: 'Plain, Language', grantee: '1245319599', decision: 'permit', purpose: 'TREAT', category: 'general', periodStart: '2024-01-01' });
    await call('sync.now', {});
  });
}

async function signInAs(page: Page, url: string, who: StaffCredentials): Promise<void> {
  const shell = new ConsoleShell(page);
  await shell.open(url);
  await new SignInPage(page).signIn(who);
}

test('records staff read no chain words on any main page', async ({ page, custodian }) => {
  await provisionStaff(custodian, [STAFF.manager, STAFF.clerk]);
  await seedSyncedConsent(custodian);
  const found: string[] = [];
  for (const who of [STAFF.clerk, STAFF.manager]) {
    await signInAs(page, custodian.url, who);
    for (const id of await navPages(page)) {
      await openPage(page, id);
      const text = await visibleText(page);
      await new ConsoleShell(page).screenshot(`staff-view-${who.role}-${id}`, { fullPage: false });
      for (const j of JARGON) {
        const m = j.pattern.exec(text);
        if (m) found.push(`${who.role} · ${id}: "${j.word}" in …${text.slice(Math.max(0, m.index - 40), m.index + 40).replace(/\s+/g, ' ')}…`);
      }
    }
    await new ConsoleShell(page).signOut();
  }
  expect(found).toEqual([]);
});

test('every page of every role has no serious or critical axe violation', async ({ page, custodian }, testInfo) => {
  test.setTimeout(600_000);
  await provisionStaff(custodian, [STAFF.manager, STAFF.clerk, STAFF.auditor]);
  await seedSyncedConsent(custodian);
  const blocking: string[] = [];
  for (const who of [STAFF.clerk, STAFF.manager, STAFF.auditor, ADMIN]) {
    await signInAs(page, custodian.url, who);
    for (const id of await navPages(page)) {
      await openPage(page, id);
      blocking.push(...(await seriousAxeFindings(page, testInfo, `${who.role}-${id}`, [...WCAG_AA, 'best-practice'])));
    }
    await new ConsoleShell(page).signOut();
  }
  expect(blocking).toEqual([]);
});
