// The Credentials page as a records manager uses it. Set-up, as a licensing board and an installer would do it:
// an issuer key is registered in CredentialRegistry and signs six credentials with the CLI (`custodian credentials
// issue`), which go into a roster CSV with two bad rows (an invalid NPI, a field changed after signing). In the
// console the manager imports the roster, runs Verify all and sees each verdict; the board's "active" statuses are
// signed by the board's key (`credentials set-status --issuer-key`) and published through the sync. The manager then verifies one credential, suspends it, and finds the
// licence that is about to expire on the dashboard.
import AxeBuilder from '@axe-core/playwright';
import { execFile } from 'node:child_process';
import fs from 'node:fs/promises';
import path from 'node:path';
import { promisify } from 'node:util';
import type { APIRequestContext, Page, TestInfo } from '@playwright/test';
import { Wallet } from 'ethers';
import { signStatus, statusDomain } from '../main/credentials/status-signature';
import { ADMIN, expect, invokeAs, provisionStaff, REPO_ROOT, signedInApi, STAFF, test, type CustodianServer } from './fixtures';
import { ConsoleShell } from './pages/ConsoleShell';
import { CredentialsPage } from './pages/CredentialsPage';
import { SignInPage } from './pages/SignInPage';

const CLI = process.env.CUSTODIAN_BIN ?? path.join(REPO_ROOT, 'bin', 'custodian.mjs');

async function custodianCli(args: string[], env: NodeJS.ProcessEnv = {}): Promise<string> {
  try {
    const { stdout } = await promisify(execFile)(process.execPath, [CLI, ...args], { cwd: REPO_ROOT, timeout: 60_000, env: { ...process.env, ...env } });
    return stdout;
  } catch (err) {
    const e = err as Error & { stdout?: string; stderr?: string };
    throw new Error(`custodian ${args.slice(0, 2).join(' ')} failed: ${e.message}\n${e.stderr ?? ''}${e.stdout ?? ''}`);
  }
}

async function call<T>(api: APIRequestContext, server: CustodianServer, channel: string, input: unknown = {}): Promise<T> {
  const res = await invokeAs(api, server, channel, input);
  const body = (await res.json()) as { ok: boolean; value?: T; error?: { code: string; message: string } };
  if (!res.ok() || !body.ok) throw new Error(`${channel}: HTTP ${res.status()} ${JSON.stringify(body.error ?? body)}`);
  return body.value as T;
}

const dayPlus = (days: number): string => new Date(Date.now() + days * 86_400_000).toISOString().slice(0, 10);

interface Issued {
  npi: string;
  name: string;
  organization: string;
  specialty: string;
  type: string;
  jurisdiction: string;
  number: string;
  validFrom: string;
  validUntil: string;
}

const today = (): string => new Date().toISOString().slice(0, 10);

// Five providers, six credentials: verified (A, both of B, one expiring in 20 days), expired (C), not yet valid (D),
// correctly signed but never published on the registry (E).
const ISSUED: Issued[] = [
  { npi: '1234567893', name: 'Amelia Hart', organization: 'General Hospital', specialty: 'Cardiology', type: 'license', jurisdiction: 'US-CA', number: 'A-48213', validFrom: '2020-01-01', validUntil: '2099-12-31' },
  { npi: '1245319599', name: 'Benjamin Osei', organization: 'General Hospital', specialty: 'Oncology', type: 'board_certification', jurisdiction: 'US', number: 'ABIM-300112', validFrom: '2021-07-01', validUntil: '2099-06-30' },
  { npi: '1245319599', name: 'Benjamin Osei', organization: 'General Hospital', specialty: 'Oncology', type: 'license', jurisdiction: 'US-CA', number: 'G-90871', validFrom: '2019-03-01', validUntil: dayPlus(20) },
  { npi: '1003000126', name: 'Chloe Ramirez', organization: 'Northside Clinic', specialty: 'Pediatrics', type: 'license', jurisdiction: 'US-NV', number: 'NV-5521', validFrom: '2015-01-01', validUntil: '2020-12-31' },
  { npi: '1558444216', name: 'Daniel Kim', organization: 'Northside Clinic', specialty: 'Radiology', type: 'license', jurisdiction: 'US-OR', number: 'OR-7710', validFrom: dayPlus(40), validUntil: dayPlus(770) },
  { npi: '1679576722', name: 'Eva Novak', organization: 'Lakeside Surgical Center', specialty: 'Anesthesiology', type: 'dea_registration', jurisdiction: 'US', number: 'FN1234563', validFrom: '2022-01-01', validUntil: '2099-12-31' },
];
const PUBLISHED = ['A-48213', 'ABIM-300112', 'G-90871'];

/** Serious or critical axe findings on the current screen (all findings attached to the report). */
async function expectAccessible(page: Page, testInfo: TestInfo, name: string): Promise<void> {
  const results = await new AxeBuilder({ page }).withTags(['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa']).analyze();
  await testInfo.attach(`axe-${name}.json`, { body: JSON.stringify(results.violations, null, 2), contentType: 'application/json' });
  const blocking = results.violations.filter((v) => v.impact === 'serious' || v.impact === 'critical');
  expect(blocking.map((v) => `${v.id}: ${v.help} — ${v.nodes.map((n) => n.target.join(' ')).slice(0, 3).join(' | ')}`), `axe on ${name}`).toEqual([]);
}

test('credentials: import a signed roster, verify all, see each verdict, verify one and suspend it', async ({ page, custodian }, testInfo) => {
  test.setTimeout(120_000);
  await provisionStaff(custodian, [STAFF.manager]);
  const manager = await signedInApi(custodian, STAFF.manager);
  try {
    // --- Set-up outside the console: the registry, an issuer, signed credentials, a roster file. ---
    let registry = '';
    await expect
      .poll(async () => {
        const status = await call<{ chain: { state: string; contracts?: Record<string, string> } }>(manager, custodian, 'system.status');
        registry = status.chain.contracts?.CredentialRegistry ?? '';
        return registry;
      }, { timeout: 90_000 })
      .toMatch(/^0x[0-9a-fA-F]{40}$/);
    const issuer = Wallet.createRandom();
    /** What the board's tool (`custodian credentials sign-status`) writes: its EIP-712 signature over the status. */
    const boardSigns = (credentialHash: string, status: 'active' | 'suspended', validUntil: string) =>
      signStatus(issuer, statusDomain(31337, registry), { credentialHash, status, expiresAt: Date.parse(`${validUntil}T00:00:00Z`) / 1000 + 86_400, nonce: Date.now(), deadline: Math.floor(Date.now() / 1000) + 3600 });
    const docs = ISSUED.map((_, i) => testInfo.outputPath(`credential-${i}.json`));
    await Promise.all([
      // Issuer governance is an IT-admin action, signed in and audited.
      custodianCli(['credentials', 'register-issuer', issuer.address, 'Medical Board of California', '--data-dir', custodian.dataDir, '--user', ADMIN.username], {
        CUSTODIAN_PASSWORD: ADMIN.password,
      }),
      ...ISSUED.map((c, i) =>
        custodianCli([
          'credentials', 'issue', '--issuer-key', issuer.privateKey, '--npi', c.npi, '--type', c.type, '--jurisdiction', c.jurisdiction, '--number', c.number,
          '--valid-from', c.validFrom, '--valid-until', c.validUntil, '--chain-id', '31337', '--registry', registry, '--out', docs[i]!,
        ]),
      ),
    ]);
    const header = 'npi,name,organization,specialty,credential_type,jurisdiction,number,valid_from,valid_until,issuer,signature,chain_id,registry';
    const lines = await Promise.all(
      ISSUED.map(async (c, i) => {
        const doc = JSON.parse(await fs.readFile(docs[i]!, 'utf8')) as { credential: { issuer: string }; signature: string };
        return [c.npi, c.name, c.organization, c.specialty, c.type, c.jurisdiction, c.number, c.validFrom, c.validUntil, doc.credential.issuer, doc.signature, '31337', registry].join(',');
      }),
    );
    const tampered = lines[0]!.replace('A-48213', 'A-48214');
    const invalidNpi = '1234567890,Frank Invalid,General Hospital,Surgery,,,,,,,,,';
    const rosterPath = testInfo.outputPath('medical-staff-roster.csv');
    await fs.writeFile(rosterPath, [header, ...lines, tampered, invalidNpi].join('\n') + '\n');

    // --- The records manager imports the roster. ---
    const shell = new ConsoleShell(page);
    const credentials = new CredentialsPage(page);
    await shell.open(custodian.url);
    await new SignInPage(page).signIn(STAFF.manager);
    await shell.waitForConnectedChain();
    await credentials.open();
    await expect(credentials.empty).toContainText('The directory is empty');
    const summary = await credentials.importRoster(rosterPath);
    expect(summary).toContain('8 rows read');
    expect(summary).toContain('2 rejected');
    await expect(credentials.rows).toHaveCount(5);
    await expect(credentials.row('1234567890')).toHaveCount(0);
    // A credential past (or before) its own dates says so from the import on; the others wait for verification.
    const dated = (c: (typeof ISSUED)[number]) => c.validUntil < today() || c.validFrom > today();
    for (const c of ISSUED) if (!ISSUED.some((o) => o.npi === c.npi && dated(o))) await expect(credentials.row(c.npi)).toHaveAttribute('data-standing', 'unchecked');
    await expect(credentials.row('1003000126')).toHaveAttribute('data-standing', 'attention');

    // --- The import's history: the run with its counts, and each rejected row with its column and reason. ---
    await expect(credentials.rosterRuns).toHaveCount(1);
    const run = credentials.rosterRuns.first();
    await expect(run).toHaveAttribute('data-state', 'succeeded');
    await expect(run.getByTestId('roster-run-counts')).toContainText('8 read');
    await expect(run.getByTestId('roster-run-counts')).toContainText('5 providers added');
    const rejects = await credentials.openRejects(run);
    await expect(rejects.and(page.locator('[data-row="7"][data-field="signature"]'))).toContainText('does not recover to the issuer');
    await expect(rejects.and(page.locator('[data-row="8"][data-field="npi"]'))).toContainText('check digit');
    await expect(rejects.filter({ hasNot: page.locator('xpath=self::*[@data-row="7" or @data-row="8"]') })).toHaveCount(0);
    await page.screenshot({ path: testInfo.outputPath('roster-history.png'), fullPage: true });
    for (const c of ISSUED) if (!ISSUED.some((o) => o.npi === c.npi && dated(o))) await expect(credentials.row(c.npi).getByTestId('provider-worst-verdict')).toHaveAttribute('data-verdict', 'unchecked');
    await expect(credentials.row('1003000126').getByTestId('provider-worst-verdict')).toHaveAttribute('data-verdict', 'expired');

    // --- The board's "active" statuses reach the registry through the outbox and the sync. ---
    for (const npi of ['1234567893', '1245319599']) {
      const detail = await call<{ credentials: { id: number; number: string; credentialHash: string; validUntil: string }[] }>(manager, custodian, 'providers.get', { npi });
      for (const c of detail.credentials.filter((x) => PUBLISHED.includes(x.number))) {
        // The status is the board's word: signed with its key (as its tool does), relayed by this workstation.
        const { expiresAt, nonce, deadline, signature } = await boardSigns(c.credentialHash, 'active', c.validUntil);
        await call(manager, custodian, 'credentials.setStatus', { credentialId: c.id, status: 'active', reason: 'Published as active by the Medical Board', issuerSignature: { expiresAt, nonce, deadline, signature } });
      }
    }
    await expect
      .poll(async () => (await call<{ queue: { total: number }; batches: { confirmed: number } }>(manager, custodian, 'sync.status')).queue.total, { timeout: 30_000 })
      .toBe(0);

    // --- Verify all: one job with progress; then each provider's standing. ---
    await credentials.runVerifyAll();
    await expect(page.getByTestId('verify-all-summary')).toContainText('Checked 6 credentials');
    // The job's recorded result: counts per verdict, and each provider's worst verdict in the directory.
    expect(await credentials.verifyAllCounts()).toEqual({ verified: 3, expired: 1, not_yet_valid: 1, not_on_registry: 1 });
    await page.screenshot({ path: testInfo.outputPath('verify-all-summary.png'), fullPage: true });
    await expect(credentials.row('1245319599').getByTestId('provider-worst-verdict')).toHaveAttribute('data-verdict', 'verified');
    await expect(credentials.row('1003000126').getByTestId('provider-worst-verdict')).toHaveAttribute('data-verdict', 'expired');
    await expect(credentials.row('1679576722').getByTestId('provider-worst-verdict')).toHaveAttribute('data-verdict', 'not_on_registry');
    await expect(credentials.row('1234567893')).toHaveAttribute('data-standing', 'verified');
    await expect(credentials.row('1245319599')).toHaveAttribute('data-standing', 'verified');
    await expect(credentials.row('1245319599').getByTestId('provider-verified-count')).toHaveText('2 of 2 verified');
    for (const npi of ['1003000126', '1558444216', '1679576722']) await expect(credentials.row(npi)).toHaveAttribute('data-standing', 'attention');

    // Filters and search: by verdict, by name, by NPI prefix.
    await page.getByTestId('credentials-filter-verdict').selectOption('not_on_registry');
    await expect(credentials.rows).toHaveCount(1);
    await expect(credentials.row('1679576722')).toBeVisible();
    await page.getByTestId('credentials-filter-clear').click();
    await credentials.search.fill('Chl');
    await expect(credentials.rows).toHaveCount(1);
    await expect(credentials.row('1003000126')).toBeVisible();
    await credentials.search.fill('1558');
    await expect(credentials.rows).toHaveCount(1);
    await expect(credentials.row('1558444216')).toBeVisible();
    await page.getByTestId('credentials-filter-clear').click();
    await expect(credentials.rows).toHaveCount(5);
    await shell.screenshot('credentials', { fullPage: false });
    await expectAccessible(page, testInfo, 'credentials');

    // Each verdict with its reason, in the providers' detail.
    await credentials.openProvider('1003000126');
    await expect(credentials.credential('NV-5521').getByTestId('verdict-badge')).toHaveAttribute('data-verdict', 'expired');
    await credentials.closeProvider();
    await credentials.openProvider('1558444216');
    await expect(credentials.credential('OR-7710').getByTestId('verdict-badge')).toHaveAttribute('data-verdict', 'not_yet_valid');
    await credentials.closeProvider();
    await credentials.openProvider('1245319599');
    await expect(credentials.credential('G-90871').getByTestId('verdict-badge')).toHaveAttribute('data-verdict', 'verified');
    await expect(credentials.credential('G-90871').getByTestId('credential-expiry')).toHaveText('Expires in 20 days');
    await credentials.closeProvider();

    // --- Amelia Hart: verify her licence on demand, then suspend it. ---
    await credentials.openProvider('1234567893');
    const licence = credentials.credential('A-48213');
    await expect(licence.getByTestId('verdict-badge')).toHaveAttribute('data-verdict', 'verified');
    const trailBefore = await credentials.drawer.getByTestId('credential-trail-row').count();
    await licence.getByTestId('credential-verify').click();
    await expect(credentials.drawer.getByTestId('provider-last-check')).toContainText('on chain 31337');
    await expect(credentials.drawer.getByTestId('credential-trail-row')).toHaveCount(trailBefore + 1);
    await expect(credentials.drawer.getByTestId('credential-trail-row').first()).toHaveAttribute('data-verdict', 'verified');

    // The board signs the suspension with its tool; the manager pastes it (the workstation only relays it).
    const hart = await call<{ credentials: { number: string; credentialHash: string; validUntil: string }[] }>(manager, custodian, 'providers.get', { npi: '1234567893' });
    const a48213 = hart.credentials.find((x) => x.number === 'A-48213')!;
    const signedStatus = JSON.stringify(await boardSigns(a48213.credentialHash, 'suspended', a48213.validUntil));
    await credentials.changeStatus('A-48213', 'suspended', 'Board notice 2025-114: licence under review', signedStatus);
    await expect(licence.getByTestId('verdict-badge')).toHaveAttribute('data-verdict', 'suspended');
    await expect(licence.getByTestId('credential-local-status')).toContainText('Board notice 2025-114');
    await expect(licence.getByTestId('credential-local-status')).toContainText(STAFF.manager.displayName);
    await expect(credentials.drawer.getByTestId('provider-notice')).toContainText('Suspended: Medical license A-48213');
    await expect(credentials.drawer.getByTestId('provider-notice-outbox')).toBeVisible();
    await expect(credentials.drawer.getByTestId('credential-trail-row').first()).toHaveAttribute('data-verdict', 'suspended');
    await shell.screenshot('credential-detail', { fullPage: false });
    await expectAccessible(page, testInfo, 'credential-detail');
    await credentials.closeProvider();
    await expect(credentials.row('1234567893')).toHaveAttribute('data-standing', 'attention');

    // --- The dashboard flags the licence that expires in 20 days. ---
    await page.getByTestId('nav-dashboard').click();
    const card = page.getByTestId('card-credentials-expiring');
    await expect(card.getByTestId('expiring-count')).toHaveAttribute('data-value', '1');
    await expect(card.locator('[data-testid="expiring-row"][data-npi="1245319599"]')).toContainText('Benjamin Osei');
    await card.scrollIntoViewIfNeeded();
    await shell.screenshot('dashboard-credentials-expiring', { fullPage: false });
  } finally {
    await manager.dispose();
  }
});
