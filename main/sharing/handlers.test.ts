// The sharing channels through the real services (dispatcher, permissions, audit) with no chain configured:
// identity says why nothing can be signed, proposals are refused with nothing written, release requests are
// decided and audited, and the CLI commands run over the same channels.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Wallet } from 'ethers';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Principal } from '../api/permissions';
import { patientValues, PATIENT_STORED_COLUMNS } from '../consents/patient-columns';
import type { ReleaseRequestView, SharingIdentity } from '../api/sharing';
import { silentLogger } from '../runtime/log';
import { startServices, type Services } from '../compose/services';
import { sharingCommand } from './cli-commands';

let dir: string;
let services: Services;
const manager: Principal = { id: 'm1', name: 'Test Manager', role: 'records_manager' };
const clerk: Principal = { id: 'c1', name: 'Test Clerk', role: 'records_clerk' };
let patientId: number;

beforeAll(async () => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'custodian-sharing-h-'));
  services = await startServices({ dataDir: dir, runtime: 'cli', logger: silentLogger, config: { chain: { mode: 'none' } } });
  patientId = Number(services.db.prepare(`INSERT INTO patients (facility, mrn, name, birth_date, ${PATIENT_STORED_COLUMNS}) VALUES ('GH', 'MRN1', 'Roe, Jane', '1980-01-01', ?, ?, ?)`).run(...patientValues(`0x${'0a'.repeat(32)}`, new Date().toISOString())).lastInsertRowid);
});
afterAll(async () => {
  await services.stop();
  fs.rmSync(dir, { recursive: true, force: true });
});

const outbox = () => services.db.prepare(`SELECT count(*) FROM outbox`).pluck().get() as number;

describe('sharing handlers', () => {
  it('shows the organisation identity, and why agreements cannot be signed without a chain', async () => {
    const r = await services.call('sharing.identity', {}, manager);
    expect(r.ok).toBe(true);
    const me = (r as { value: SharingIdentity }).value;
    expect(me.address).toMatch(/^0x[0-9a-fA-F]{40}$/);
    expect(me.orgId).toMatch(/^ORG-/);
    expect(me.notConfigured).toContain('no chain');
    expect(fs.statSync(path.join(dir, 'secrets', 'org-key')).mode & 0o777).toBe(0o600);
    expect(JSON.stringify(me)).not.toContain(fs.readFileSync(path.join(dir, 'secrets', 'org-key'), 'utf8').trim().slice(2));
  });

  it('renames the organisation, refusing an invalid id with the field named', async () => {
    expect(await services.call('sharing.setOrgId', { orgId: 'GENHOSP' }, manager)).toMatchObject({ ok: true, value: { orgId: 'GENHOSP' } });
    expect(await services.call('sharing.setOrgId', { orgId: 'bad id!' }, manager)).toMatchObject({ ok: false, error: { code: 'VALIDATION_FAILED', message: expect.stringContaining('orgId') } });
  });

  it('refuses a proposal while no chain is configured, writing nothing', async () => {
    const before = outbox();
    const r = await services.call(
      'sharing.propose',
      { partnerOrgId: 'STMARY', partnerPublicKey: Wallet.createRandom().signingKey.compressedPublicKey, direction: 'outbound', categories: ['general'], purposes: ['TREAT'], validFrom: '2026-01-01', validUntil: '2027-12-31', documentHash: 'ab'.repeat(32) },
      manager,
    );
    expect(r).toMatchObject({ ok: false, error: { code: 'SHARING_NOT_CONFIGURED' } });
    expect(outbox()).toBe(before);
    expect(services.db.prepare(`SELECT count(*) FROM sharing_agreements`).pluck().get()).toBe(0);
  });

  it('names the bad field of a proposal', async () => {
    const r = await services.call('sharing.propose', { partnerOrgId: 'STMARY', partnerPublicKey: 'nope', direction: 'sideways', categories: [], purposes: ['ETREAT'], validFrom: 'x', validUntil: '2027-12-31', documentHash: 'ab' }, manager);
    expect(r.ok).toBe(false);
    const fields = ((r as { error: { details: { issues: { field: string }[] } } }).error.details.issues).map((i) => i.field);
    expect(fields).toEqual(expect.arrayContaining(['partnerPublicKey', 'direction', 'categories', 'purposes.0', 'validFrom', 'documentHash']));
  });

  it('decides a release request with every reason, stores and audits it; the CLI lists it', async () => {
    const r = await services.call('sharing.request', { partnerOrgId: 'STMARY', patientId, category: 'general', purpose: 'TREAT' }, clerk);
    expect(r.ok).toBe(true);
    const v = (r as { value: ReleaseRequestView }).value;
    expect(v).toMatchObject({ decision: 'deny', releasedHash: null });
    expect(v.reasons.map((x) => x.code)).toEqual(['AGREEMENT_MISSING', 'CONSENT_DENIED']);
    const entries = services.db.prepare(`SELECT action, outcome FROM audit_log WHERE subject = ?`).all(`release:${v.id}`);
    expect(entries).toEqual(expect.arrayContaining([{ action: 'sharing.release.decide', outcome: 'deny' }, { action: 'sharing.request', outcome: 'deny' }]));
    expect(await services.call('sharing.request', { partnerOrgId: 'STMARY', patientId: 999, category: 'general', purpose: 'TREAT' }, clerk)).toMatchObject({ ok: false, error: { code: 'NOT_FOUND' } });

    const lines: string[] = [];
    const code = await sharingCommand(services, { transport: 'cli', principal: clerk }, ['requests'], { json: false }, (t) => lines.push(t));
    expect(code).toBe(0);
    expect(lines.join('\n')).toContain(`#${v.id} DENY STMARY`);
    expect(lines.join('\n')).toContain('AGREEMENT_MISSING');
    const denied = await sharingCommand(services, { transport: 'cli', principal: clerk }, ['request'], { json: true, partner: 'STMARY', patient: String(patientId), category: 'HIV', purpose: 'TREAT' }, (t) => lines.push(t));
    expect(denied).toBe(3);
  });
});
