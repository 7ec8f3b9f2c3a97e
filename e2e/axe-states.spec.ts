// axe over every page STATE a role can reach, not only every page: each tab, each page with its Technical details
// opened, and each dialog and drawer (consent drawer, grant dialog, the access answer, break-glass, bulk revoke with
// its typed confirmation, roster import, provider drawer, staff dialog, audit entry, outbox event, sharing proposal,
// a claim's detail drawer, the imports preview and dry-run summary, user menu), for the four roles, in the light and
// the dark colour scheme. 0 serious or critical violations.
// The dialogs a role should reach come from the permission table: a state the role may reach but whose opener is
// missing fails the spec, and so does a run that visits fewer states than expected (it cannot pass by seeing less).
// STATES_BY_ROLE names each role's states once more by hand, so deleting a state (or a permission change that drops
// one) fails the spec instead of shrinking it.
import AxeBuilder from '@axe-core/playwright';
import fs from 'node:fs/promises';
import { expect, type Locator, type Page, type TestInfo } from '@playwright/test';
import path from 'node:path';
import { ROLE_PERMISSIONS, ROLES, type Permission, type Role } from '../main/api/permissions';
import { ADMIN, invokeAs, provisionStaff, REPO_ROOT, signedInApi, STAFF, test, uploadAs, type CustodianServer, type StaffCredentials } from './fixtures';
import { ConsoleShell } from './pages/ConsoleShell';
import { chooseFileIn, ImportsPage } from './pages/ImportsPage';
import { SignInPage } from './pages/SignInPage';
import { asStaff } from './staff-api';

const DR_QUINN = '1245319599';
/** Above the 50 consents at which bulk revoke asks for a typed confirmation. */
const BULK_PATIENTS = 52;
/** Good and refused rows: the preview maps its columns, the dry run counts what an import would add and refuse. */
const MIXED_CSV = path.join(REPO_ROOT, 'e2e', 'data', 'consents-mixed.csv');
/** A claim that fails its pre-check (no consent for payment to this payer): its drawer lists every reason. */
const AXE_CLAIM = { claimId: 'AXE-CLAIM-1', facility: 'GH01', mrn: 'AX-0000', renderingNpi: DR_QUINN, payerId: 'PAYER-AXE', serviceDate: '2026-06-01', codes: '99213; 9921', amount: '125.00' };

/** A provider in the directory, consents enough for the typed bulk confirmation, a stored claim, and one sync round. */
async function seed(server: CustodianServer, rosterFile: string): Promise<void> {
  await fs.writeFile(rosterFile, `npi,name,organization\n${DR_QUINN},"Quinn, Harper",Lakeside Cardiology\n`);
  const api = await signedInApi(server, STAFF.manager);
  try {
    const res = await invokeAs(api, server, 'credentials.import', { uploadId: await uploadAs(api, server, rosterFile) });
    expect(res.status(), await res.text()).toBe(200);
    await expect.poll(async () => (await invokeAs(api, server, 'providers.get', { npi: DR_QUINN })).status(), { timeout: 30_000 }).toBe(200);
  } finally {
    await api.dispose();
  }
  await asStaff(server, STAFF.manager, async (call) => {
    for (let i = 0; i < BULK_PATIENTS; i++) {
      await call('consents.grant', { facility: 'GH01', mrn: `AX-${String(i).padStart(4, '0')}`, patientName: `Axe, Patient ${i}`, grantee: DR_QUINN, decision: 'permit', purpose: 'TREAT', category: 'general', periodStart: '2024-01-01' });
    }
    await call('claims.check', { claim: AXE_CLAIM, submit: true });
    await call('sync.now', {});
  });
}

/** A dialog or drawer state: who may reach it (every listed permission), how to open it, and what shows it is open. */
interface DialogState {
  name: string;
  page: string;
  needs: readonly Permission[];
  /** Part of the page, not an overlay: nothing to close with Escape. */
  inline?: true;
  open: (page: Page) => Promise<Locator>;
}

const dialog = (page: Page, name: string | RegExp): Locator => page.getByRole('dialog', { name });

async function fillAccessQuestion(page: Page): Promise<void> {
  await page.getByTestId('consents-tab-access').click();
  await page.getByTestId('access-grantee').fill(DR_QUINN);
  const picker = page.getByTestId('access-patient');
  if (await picker.count()) {
    await picker.fill('AX-0001');
    await page.getByRole('option').filter({ hasText: 'AX-0001' }).first().click();
  } else {
    await page.getByTestId('access-patient-id').fill('2');
  }
}

const DIALOG_STATES: readonly DialogState[] = [
  {
    name: 'user-menu',
    page: 'dashboard',
    needs: [],
    open: async (page) => {
      await page.getByTestId('user-menu').click();
      return page.getByTestId('menu-sign-out');
    },
  },
  {
    name: 'consent-drawer',
    page: 'consents',
    needs: ['consents.view'],
    open: async (page) => {
      await page.getByTestId('consent-row').first().click();
      return dialog(page, /Consent #\d+/);
    },
  },
  {
    name: 'grant-dialog',
    page: 'consents',
    needs: ['consents.grant'],
    open: async (page) => {
      await page.getByTestId('consents-grant').click();
      return dialog(page, 'Record a consent');
    },
  },
  {
    name: 'access-answer',
    page: 'consents',
    needs: ['consents.view'],
    inline: true,
    open: async (page) => {
      await fillAccessQuestion(page);
      await page.getByTestId('access-submit').click();
      return page.getByTestId('access-result');
    },
  },
  {
    name: 'break-glass-dialog',
    page: 'consents',
    needs: ['consents.view'],
    open: async (page) => {
      await fillAccessQuestion(page);
      await page.getByTestId('access-break-glass-open').click();
      return dialog(page, 'Emergency access (break-glass)');
    },
  },
  {
    name: 'bulk-revoke-typed-confirm',
    page: 'consents',
    needs: ['consents.revoke'],
    open: async (page) => {
      await page.getByTestId('consents-search').fill('AX-');
      await page.getByTestId('consents-search').press('Enter');
      await page.getByTestId('consents-revoke-matching').click();
      const d = dialog(page, 'Revoke consents in bulk');
      await d.getByTestId('bulk-revoke-reason').fill('Patient withdrew');
      // A wrong typed confirmation: the state with the confirm button disabled.
      await d.getByTestId('bulk-revoke-typed').fill('REVOKE 1');
      await expect(d.getByTestId('bulk-revoke-confirm')).toBeDisabled();
      return d;
    },
  },
  {
    name: 'roster-import-dialog',
    page: 'credentials',
    needs: ['imports.run'],
    open: async (page) => {
      await page.getByTestId('credentials-import').click();
      return dialog(page, 'Import a provider roster');
    },
  },
  {
    name: 'provider-drawer',
    page: 'credentials',
    needs: ['credentials.view'],
    open: async (page) => {
      await page.getByTestId('provider-open').first().click();
      return page.getByTestId('provider-drawer').getByTestId('provider-npi');
    },
  },
  {
    name: 'sharing-propose-dialog',
    page: 'sharing',
    needs: ['sharing.manage'],
    open: async (page) => {
      await page.getByTestId('propose-open').click();
      return dialog(page, 'Propose a sharing agreement');
    },
  },
  {
    name: 'claim-drawer',
    page: 'claims',
    needs: ['claims.view'],
    open: async (page) => {
      await page.getByRole('button', { name: `Open claim ${AXE_CLAIM.claimId}` }).click();
      return page.getByTestId('claim-detail');
    },
  },
  {
    name: 'imports-preview',
    page: 'imports',
    needs: ['imports.run'],
    inline: true,
    open: async (page) => {
      const imports = new ImportsPage(page);
      await imports.previewFile(MIXED_CSV);
      await expect(page.getByTestId('import-preview-table')).toBeVisible();
      return imports.preview;
    },
  },
  {
    // "An import would add N, update M, skip K and refuse R": the counts before anything is committed.
    name: 'imports-dry-run-summary',
    page: 'imports',
    needs: ['imports.run'],
    inline: true,
    open: async (page) => {
      const imports = new ImportsPage(page);
      await chooseFileIn(page, MIXED_CSV, 'import');
      await imports.dryRun.click();
      await imports.waitForFinished();
      await expect(imports.run).toContainText('Dry run #');
      await expect(imports.count('rejected')).toHaveAttribute('data-value', '4');
      return imports.summary;
    },
  },
  {
    name: 'sync-event-drawer',
    page: 'sync',
    needs: ['sync.view'],
    open: async (page) => {
      await page.getByTestId('sync-event-lookup').fill('1');
      await page.getByTestId('sync-event-open').click();
      return dialog(page, /^Outbox event #/);
    },
  },
  {
    name: 'audit-entry-drawer',
    page: 'audit',
    needs: ['audit.view'],
    open: async (page) => {
      await page.getByTestId('audit-open-entry').first().click();
      return page.getByRole('dialog', { name: /^Audit entry #/ });
    },
  },
  {
    name: 'staff-create-dialog',
    page: 'settings',
    needs: ['staff.manage'],
    open: async (page) => {
      await page.getByTestId('settings-tab-staff').click();
      await page.getByTestId('staff-create').click();
      return dialog(page, 'New staff account');
    },
  },
];

/** Each role's dialog states, by hand: the permission table and DIALOG_STATES must agree with it. */
const STATES_BY_ROLE: Record<Role, readonly string[]> = {
  records_clerk: ['user-menu', 'consent-drawer', 'grant-dialog', 'access-answer', 'break-glass-dialog', 'provider-drawer', 'claim-drawer', 'sync-event-drawer'],
  records_manager: [
    'user-menu',
    'consent-drawer',
    'grant-dialog',
    'access-answer',
    'break-glass-dialog',
    'bulk-revoke-typed-confirm',
    'roster-import-dialog',
    'provider-drawer',
    'sharing-propose-dialog',
    'claim-drawer',
    'imports-preview',
    'imports-dry-run-summary',
    'sync-event-drawer',
    'audit-entry-drawer',
  ],
  it_admin: [
    'user-menu',
    'consent-drawer',
    'access-answer',
    'break-glass-dialog',
    'roster-import-dialog',
    'provider-drawer',
    'sharing-propose-dialog',
    'imports-preview',
    'imports-dry-run-summary',
    'sync-event-drawer',
    'staff-create-dialog',
  ],
  auditor: ['user-menu', 'consent-drawer', 'access-answer', 'break-glass-dialog', 'provider-drawer', 'claim-drawer', 'sync-event-drawer', 'audit-entry-drawer'],
};

function expectedDialogs(role: Role): string[] {
  const perms = ROLE_PERMISSIONS[role];
  return DIALOG_STATES.filter((s) => s.needs.every((p) => perms.has(p))).map((s) => s.name);
}

async function signInAs(page: Page, url: string, who: StaffCredentials): Promise<void> {
  await new ConsoleShell(page).open(url);
  await new SignInPage(page).signIn(who);
  await expect(page.getByTestId('nav-dashboard')).toBeVisible();
}

async function settle(page: Page): Promise<void> {
  await expect(page.getByTestId('page-title')).toBeVisible();
  await expect(page.locator('main .mantine-Loader-root')).toHaveCount(0, { timeout: 30_000 });
}

async function openNav(page: Page, id: string): Promise<void> {
  await page.getByTestId(`nav-${id}`).click();
  await settle(page);
}

class AxeRun {
  readonly visited: string[] = [];
  readonly blocking: string[] = [];
  constructor(
    readonly page: Page,
    readonly testInfo: TestInfo,
    readonly scheme: 'light' | 'dark',
  ) {}

  async check(name: string): Promise<void> {
    const results = await new AxeBuilder({ page: this.page }).withTags(['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa', 'best-practice']).analyze();
    const serious = results.violations.filter((v) => v.impact === 'serious' || v.impact === 'critical');
    if (serious.length) await this.testInfo.attach(`axe-${this.scheme}-${name}.json`, { body: JSON.stringify(serious, null, 2), contentType: 'application/json' });
    this.blocking.push(...serious.map((v) => `${this.scheme} · ${name} · ${v.id} (${v.impact}): ${v.help} — ${v.nodes.map((n) => n.target.join(' ')).slice(0, 3).join(' | ')}`));
    this.visited.push(name);
  }
}

/** Each tab of the page (other than the one shown first), then the page with every Technical details opened. */
async function checkTabsAndDetails(run: AxeRun, role: string, id: string): Promise<void> {
  const page = run.page;
  const tabs = page.locator('main [role="tab"]:not([disabled]):not([data-disabled])');
  const count = await tabs.count();
  for (let i = 1; i < count; i++) {
    const tab = tabs.nth(i);
    const label = (await tab.innerText()).trim().toLowerCase().replace(/\W+/g, '-');
    await tab.click();
    await settle(page);
    await run.check(`${role}-${id}-tab-${label}`);
  }
  if (count > 1) {
    await tabs.first().click();
    await settle(page);
  }
  const details = page.locator('main details');
  if ((await details.count()) > 0) {
    await details.evaluateAll((all) => all.forEach((d) => d.setAttribute('open', '')));
    await run.check(`${role}-${id}-technical-details`);
  }
}

// A missing opener fails in seconds, not at the test's timeout.
test.use({ actionTimeout: 15_000 });

const ROLES_TO_CHECK: readonly StaffCredentials[] = [STAFF.clerk, STAFF.manager, STAFF.auditor, ADMIN];

test('every role has its dialog states listed, and every listed state is one the spec opens', () => {
  expect(ROLES_TO_CHECK.map((w) => w.role).sort()).toEqual([...ROLES].sort());
  for (const role of ROLES) expect(expectedDialogs(role).sort(), role).toEqual([...STATES_BY_ROLE[role]].sort());
  // No state that no role reaches: it would never be visited.
  expect(DIALOG_STATES.map((s) => s.name).filter((n) => !ROLES.some((r) => STATES_BY_ROLE[r].includes(n)))).toEqual([]);
});

for (const scheme of ['light', 'dark'] as const) {
  for (const who of ROLES_TO_CHECK) {
    test(`every page state of the ${who.role} has no serious or critical axe violation (${scheme})`, async ({ page, custodian }, testInfo) => {
      test.setTimeout(900_000);
      await page.emulateMedia({ colorScheme: scheme });
      await provisionStaff(custodian, [STAFF.manager, STAFF.clerk, STAFF.auditor]);
      await seed(custodian, testInfo.outputPath('roster.csv'));
      const run = new AxeRun(page, testInfo, scheme);
      const missed: string[] = [];
      await signInAs(page, custodian.url, who);
      const ids = await page.locator('nav [data-testid^="nav-"]').evaluateAll((links) => links.map((l) => l.getAttribute('data-testid')!.slice('nav-'.length)));
      expect(ids.length).toBeGreaterThanOrEqual(5);
      for (const id of ids) {
        await openNav(page, id);
        await run.check(`${who.role}-${id}`);
        await checkTabsAndDetails(run, who.role, id);
      }
      const expected = expectedDialogs(who.role);
      expect([...expected].sort(), `${who.role}: DIALOG_STATES and STATES_BY_ROLE agree`).toEqual([...STATES_BY_ROLE[who.role]].sort());
      for (const state of DIALOG_STATES.filter((s) => expected.includes(s.name))) {
        await openNav(page, state.page);
        let shown: Locator;
        try {
          shown = await state.open(page);
          await expect(shown).toBeVisible();
        } catch (err) {
          missed.push(`${who.role} · ${state.name}: not reachable (${String(err).split('\n')[0]})`);
          await page.keyboard.press('Escape');
          continue;
        }
        await settle(page);
        await run.check(`${who.role}-${state.name}`);
        await new ConsoleShell(page).screenshot(`axe-${scheme}-${who.role}-${state.name}`, { fullPage: false });
        if (state.inline) continue;
        await page.keyboard.press('Escape');
        await expect(shown).toBeHidden();
      }
      await testInfo.attach(`axe-${scheme}-${who.role}-states.txt`, { body: run.visited.join('\n'), contentType: 'text/plain' });
      expect(missed).toEqual([]);
      // Every expected dialog state, at least one tab and one Technical details state: never a vacuous pass.
      for (const name of expected) expect(run.visited, `${who.role} visited ${name}`).toContain(`${who.role}-${name}`);
      expect(run.visited.some((v) => v.includes('-tab-')), `${who.role} visited a tab`).toBe(true);
      expect(run.visited.some((v) => v.endsWith('-technical-details')), `${who.role} opened Technical details`).toBe(true);
      expect(run.visited.length).toBeGreaterThanOrEqual(ids.length + expected.length + 2);
      expect(run.blocking).toEqual([]);
    });
  }
}
