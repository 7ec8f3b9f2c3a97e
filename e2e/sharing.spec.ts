// Two organisations, two consoles, one chain: server A runs the embedded devnet; server B is configured with an
// external chain pointing at A's anvil and A's contracts, and signs its transactions with its own keystore. A's
// records manager proposes an agreement to B in the Sharing page; B's manager sees it arrive from the chain and
// signs it; both show it active. A release request from B is then released while agreement and consent hold,
// denied with CONSENT_DENIED after the consent is revoked, and with AGREEMENT_TERMINATED after B terminates.
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import AxeBuilder from '@axe-core/playwright';
import type { Browser, Page, TestInfo } from '@playwright/test';
import { encryptKeystoreJsonSync, Wallet } from 'ethers';
import { dataDirFor, expect, invokeAs, provisionStaff, signedInApi, STAFF, startCustodian, test, type CustodianServer } from './fixtures';
import { ConsoleShell } from './pages/ConsoleShell';
import { SharingPage } from './pages/SharingPage';
import { SignInPage } from './pages/SignInPage';

/** Anvil's well-known dev account #1: funded on the devnet only; B's sender key (A's engine uses #0). */
const ANVIL_ACCOUNT_1 = '0x59c6995e998f97a5a0044966f0945389dc9e86dae88c7a8412f4603b6b78690d';
const KEYSTORE_PASSPHRASE = 'e2e keystore pass phrase';
const day = (offset: number) => new Date(Date.now() + offset * 86_400_000).toISOString().slice(0, 10);

async function expectAccessible(page: Page, testInfo: TestInfo, name: string): Promise<void> {
  const results = await new AxeBuilder({ page }).withTags(['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa']).analyze();
  await testInfo.attach(`axe-${name}.json`, { body: JSON.stringify(results.violations, null, 2), contentType: 'application/json' });
  const blocking = results.violations.filter((v) => v.impact === 'serious' || v.impact === 'critical');
  expect(blocking.map((v) => `${v.id}: ${v.help} — ${v.nodes.map((n) => n.target.join(' ')).slice(0, 3).join(' | ')}`), `axe on ${name}`).toEqual([]);
}

async function openConsole(browser: Browser, server: CustodianServer): Promise<{ page: Page; shell: ConsoleShell; sharing: SharingPage }> {
  const context = await browser.newContext();
  const page = await context.newPage();
  const shell = new ConsoleShell(page);
  await shell.open(server.url);
  await new SignInPage(page).signIn(STAFF.manager);
  await shell.waitForConnectedChain();
  const sharing = new SharingPage(page);
  await sharing.open();
  return { page, shell, sharing };
}

async function call<T>(server: CustodianServer, channel: string, input: unknown): Promise<T> {
  const api = await signedInApi(server, STAFF.manager);
  try {
    const res = await invokeAs(api, server, channel, input);
    const body = (await res.json()) as { ok: boolean; value?: T; error?: unknown };
    if (!body.ok) throw new Error(`${channel} failed: ${JSON.stringify(body.error)}`);
    return body.value as T;
  } finally {
    await api.dispose();
  }
}

test('sharing: propose and sign between two organisations on one chain; release only while agreement and consent hold', async ({ browser, custodian: a }, testInfo) => {
  test.setTimeout(300_000);
  // --- B: its own data folder, configured for A's chain and contracts, with its own sender keystore. ---
  // A's embedded chain starts in the background: its endpoint record appears once anvil runs and the contracts are on it.
  const endpointFile = path.join(a.dataDir, 'chain', 'endpoint.json');
  await expect.poll(() => fs.existsSync(endpointFile), { timeout: 90_000 }).toBe(true);
  const endpoint = JSON.parse(fs.readFileSync(endpointFile, 'utf8')) as { rpcUrl: string; chainId: number; contracts: Record<string, string> };
  const key = new Wallet(ANVIL_ACCOUNT_1);
  const keystore = encryptKeystoreJsonSync({ address: key.address, privateKey: key.privateKey }, KEYSTORE_PASSPHRASE, { scrypt: { N: 1 << 12 } });
  const dirB = `${dataDirFor(testInfo.testId)}-b`;
  const keystorePath = path.join(path.dirname(dirB), `${path.basename(dirB)}-keystore.json`);
  fs.mkdirSync(path.dirname(keystorePath), { recursive: true });
  fs.writeFileSync(keystorePath, keystore, { mode: 0o600 });
  // Blocks deep, not 'finalized': anvil's finalized block lags 64 blocks behind the head of an idle devnet.
  const config = { chain: { mode: 'external', rpcUrl: endpoint.rpcUrl, chainId: endpoint.chainId, contracts: endpoint.contracts, keystorePath, confirmations: 1, finality: 'confirmations' } };
  const running = await startCustodian(dirB, 'cli', { files: { 'config.json': JSON.stringify(config) }, env: { CUSTODIAN_KEYSTORE_PASSPHRASE: KEYSTORE_PASSPHRASE } });
  const b = running.server;
  try {
    await provisionStaff(a, [STAFF.manager]);
    await provisionStaff(b, [STAFF.manager]);
    await call(a, 'sharing.setOrgId', { orgId: 'GENHOSP' });
    const idB = await call<{ address: string; publicKey: string; chainId: number }>(b, 'sharing.setOrgId', { orgId: 'STMARY' });
    const idA = await call<{ address: string }>(a, 'sharing.identity', {});
    expect(idB.address).not.toBe(idA.address);
    expect(idB.chainId).toBe(31337);

    const A = await openConsole(browser, a);
    const B = await openConsole(browser, b);
    await expect(A.sharing.identity).toHaveAttribute('data-org-id', 'GENHOSP');
    await expect(B.sharing.identity).toHaveAttribute('data-address', idB.address);

    // --- A proposes in the UI; B sees it arrive from the chain and signs. ---
    const id = await A.sharing.propose({
      partnerOrgId: 'STMARY',
      partnerPublicKey: idB.publicKey,
      direction: 'outbound',
      validFrom: day(-1),
      validUntil: day(365),
      documentHash: crypto.createHash('sha256').update('signed paper agreement GENHOSP-STMARY').digest('hex'),
    });
    await expect(A.sharing.agreement(id)).toHaveAttribute('data-status', 'proposed');
    await A.shell.screenshot('sharing-a-proposed');
    await B.sharing.waitForStatus(id, 'proposed');
    await expect(B.sharing.agreement(id)).toContainText('GENHOSP');
    await expect(B.sharing.agreement(id)).toContainText('inbound');
    await B.shell.screenshot('sharing-b-received');
    await expectAccessible(B.page, testInfo, 'sharing');
    await B.sharing.sign(id);
    await A.sharing.waitForStatus(id, 'active');
    await B.sharing.waitForStatus(id, 'active');
    await A.shell.screenshot('sharing-a-active');

    // --- Release: consent for STMARY recorded on A; the request is released with its hash. ---
    const granted = await call<{ id: number; patient: { id: number } }>(a, 'consents.grant', {
      facility: 'GH01',
      mrn: 'E2E-SHARE-1',
      grantee: 'STMARY',
      granteeKind: 'org',
      decision: 'permit',
      purpose: 'TREAT',
      category: 'general',
      periodStart: '2025-01-01',
    });
    const patientId = granted.patient.id;
    const req = { partnerOrgId: 'STMARY', patientId, category: 'general', purpose: 'TREAT' };
    await A.sharing.reopen();
    const released = await A.sharing.request(req);
    await expect(released).toHaveAttribute('data-decision', 'permit');
    await expect(A.sharing.releaseRows).toHaveCount(1);
    await expect(A.sharing.releaseRows.first()).toContainText(/[0-9a-f]{64}/);

    // --- Consent revoked: denied with CONSENT_DENIED, nothing released. ---
    await call(a, 'consents.revoke', { id: granted.id, reason: 'patient withdrew consent' });
    const denied = await A.sharing.request(req);
    await expect(denied).toHaveAttribute('data-decision', 'deny');
    await expect(denied).toHaveAttribute('data-reasons', 'CONSENT_DENIED');
    await A.shell.screenshot('sharing-a-consent-denied');

    // --- Consent again, then B terminates: denied with AGREEMENT_TERMINATED once A has pulled it. ---
    await call(a, 'consents.grant', { facility: 'GH01', mrn: 'E2E-SHARE-1', grantee: 'STMARY', granteeKind: 'org', decision: 'permit', purpose: 'TREAT', category: 'general', periodStart: '2025-01-01', externalId: 'again' });
    await A.sharing.reopen();
    await expect(await A.sharing.request(req)).toHaveAttribute('data-decision', 'permit');
    await B.sharing.terminate(id, 'agreement ended by STMARY');
    await expect(B.sharing.agreement(id)).toHaveAttribute('data-status', 'terminated');
    await A.sharing.waitForStatus(id, 'terminated');
    const afterTermination = await A.sharing.request(req);
    await expect(afterTermination).toHaveAttribute('data-reasons', 'AGREEMENT_TERMINATED');
    await expect(A.sharing.releaseRows).toHaveCount(2);
    await A.shell.screenshot('sharing-a-terminated');
  } finally {
    await running.stop();
    fs.rmSync(keystorePath, { force: true });
  }
});
