// The attacker's test of "audit fails closed". A staff member sends a lone UTF-16 surrogate (which canonical JSON
// cannot encode) in a field copied into the audit entry, over browser mode's HTTP and through the dispatcher as
// Electron's IPC uses it: the schema refuses it naming the field, and nothing changes. Then the audit trail itself
// is made unwritable (a trigger refuses every insert): every audited call is refused with AUDIT_WRITE_FAILED, its
// change is rolled back, and no data leaves.
import fs from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import type { z } from 'zod';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { api, CHANNEL_NAMES } from '../api';
import { refusesUnencodableText, unencodableText } from '../api/text';
import { memorySession, type SessionHolder } from '../runtime/dispatcher';
import { silentLogger } from '../runtime/log';
import { startServices, type Services } from '../compose/services';
import { startConsoleServer, type ConsoleServer } from './server';

const PASSWORD = 'correct horse battery';
const LONE = '\uD800';
let dir: string;
let services: Services;
let server: ConsoleServer;
let adminCookie = '';
let clerkId = '';
let patientId = 0;
const adminSession: SessionHolder = memorySession();

function post(pathname: string, body: string, cookie = ''): Promise<{ status: number; cookie: string; json: any }> {
  return new Promise((resolve, reject) => {
    const req = http.request(
      {
        host: '127.0.0.1',
        port: server.port,
        path: pathname,
        method: 'POST',
        headers: { Authorization: `Bearer ${server.token}`, 'Content-Type': 'application/json', 'Content-Length': String(Buffer.byteLength(body)), ...(cookie ? { Cookie: cookie } : {}) },
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, cookie: String(res.headers['set-cookie']?.[0] ?? '').split(';')[0]!, json: JSON.parse(Buffer.concat(chunks).toString('utf8')) }));
      },
    );
    req.on('error', reject);
    req.end(body);
  });
}
/** JSON.stringify writes a lone surrogate as the escape \ud800, which JSON.parse on the server turns back into one. */
const invokeHttp = (channel: string, input: unknown) => post(`/api/invoke/${channel}`, JSON.stringify(input), adminCookie);
const invokeIpc = (channel: string, input: unknown) => services.dispatch(channel, input, { transport: 'electron', session: adminSession });

const auditCount = () => (services.db.prepare('SELECT count(*) AS n FROM audit_log').get() as { n: number }).n;
const roleOf = (id: string) => (services.db.prepare('SELECT role FROM staff WHERE id = ?').get(id) as { role: string }).role;
const consentCount = () => (services.db.prepare('SELECT count(*) AS n FROM consents').get() as { n: number }).n;

beforeAll(async () => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'custodian-audit-closed-'));
  const staticDir = path.join(dir, 'renderer');
  fs.mkdirSync(staticDir);
  fs.writeFileSync(path.join(staticDir, 'index.html'), '<!doctype html><title>Custodian</title>');
  services = await startServices({ dataDir: path.join(dir, 'data'), runtime: 'browser', logger: silentLogger, config: { chain: { mode: 'none' } }, sync: 'manual' });
  server = await startConsoleServer({ services, staticDir });
  adminCookie = (await post('/api/invoke/auth.setup', JSON.stringify({ username: 'admin', displayName: 'Ada Admin', password: PASSWORD }))).cookie;
  expect(adminCookie).toMatch(/=/);
  expect((await invokeIpc('auth.login', { username: 'admin', password: PASSWORD })).ok).toBe(true);
  const clerk = await invokeHttp('staff.create', { username: 'clerk', displayName: 'Cal Clerk', role: 'records_clerk', password: PASSWORD });
  clerkId = clerk.json.value.id;
  const manager = { id: 'mgr-seed', name: 'Seeding manager', role: 'records_manager' as const };
  const granted = await services.call(
    'consents.grant',
    { facility: 'GH01', mrn: 'MRN-FC-1', patientName: 'Roe, Jane', grantee: '1234567893', decision: 'permit', purpose: 'TREAT', category: 'general', periodStart: '2024-01-01' },
    manager,
  );
  expect(granted.ok, JSON.stringify(granted)).toBe(true);
  patientId = (granted as { value: { patient: { id: number } } }).value.patient.id;
  expect(patientId).toBeGreaterThan(0);
}, 60_000);
afterAll(async () => {
  await server.close();
  await services.stop();
  fs.rmSync(dir, { recursive: true, force: true });
});

const ATTACKS: [string, () => Record<string, unknown>, string][] = [
  ['staff.update', () => ({ id: clerkId, role: 'it_admin', displayName: `Cal${LONE}` }), 'displayName'],
  ['access.check', () => ({ grantee: `1234567893${LONE}`, patientId, purpose: 'TREAT', category: 'general' }), 'grantee'],
  ['access.check', () => ({ grantee: '1234567893', patientId, purpose: 'ETREAT', category: 'general', breakGlassReason: `cardiac arrest ${LONE}` }), 'breakGlassReason'],
  ['staff.create', () => ({ username: 'mallory', displayName: 'Mallory\u0000', role: 'it_admin', password: PASSWORD }), 'displayName'],
];

describe('unencodable text', () => {
  it.each(ATTACKS)('%s with it in %s… is refused over HTTP and IPC, naming the field; nothing changes', async (channel, input, field) => {
    const audits = auditCount();
    const consents = consentCount();
    for (const send of [invokeHttp, async (c: string, i: unknown) => ({ json: await invokeIpc(c, i) })]) {
      const { json } = await send(channel, input());
      expect(json.ok).toBe(false);
      expect(json.error.code).toBe('VALIDATION_FAILED');
      expect(json.error.details.issues.map((i: { field: string }) => i.field)).toContain(field);
    }
    expect(roleOf(clerkId)).toBe('records_clerk');
    expect(consentCount()).toBe(consents);
    expect(auditCount()).toBe(audits);
  });

  it('is refused by every channel’s schema: each one goes through the shared check', () => {
    const unchecked = CHANNEL_NAMES.filter((name) => !refusesUnencodableText(api[name].input as z.ZodType));
    expect(unchecked).toEqual([]);
  });

  it.each([
    ['a lone high surrogate', { a: 'x\uD800' }, ['a']],
    ['a lone low surrogate in an array', { a: ['ok', '\uDC00y'] }, ['a', 1]],
    ['NUL in a nested object', { a: { b: 'x\u0000' } }, ['a', 'b']],
    ['an escape character', { a: '\u001b[31m' }, ['a']],
    ['a bad key', { ['k\uD800']: 'v' }, ['k\uD800']],
  ])('finds %s', (_name, value, at) => {
    expect(unencodableText(value).map((i) => i.path)).toContainEqual(at);
  });

  it.each([['an emoji (a surrogate pair)', { a: 'ok 😀' }], ['tabs and line breaks', { a: 'line\tone\r\nline two' }], ['accents', { a: 'Zoë Ångström' }]])('accepts %s', (_name, value) => {
    expect(unencodableText(value)).toEqual([]);
  });
});

describe('an audit trail that cannot be written', () => {
  const breakTrail = () => services.db.exec(`CREATE TRIGGER audit_offline BEFORE INSERT ON audit_log BEGIN SELECT RAISE(ABORT, 'audit trail offline'); END;`);
  const mendTrail = () => services.db.exec('DROP TRIGGER IF EXISTS audit_offline');

  it('rolls back every change and returns no data: staff.update, staff.create, consents.grant, a break-glass, a read', async () => {
    const consents = consentCount();
    const staff = (services.db.prepare('SELECT count(*) AS n FROM staff').get() as { n: number }).n;
    const audits = auditCount();
    breakTrail();
    try {
      const calls: [string, unknown][] = [
        ['staff.update', { id: clerkId, role: 'it_admin' }],
        ['staff.create', { username: 'mallory', displayName: 'Mallory', role: 'it_admin', password: PASSWORD }],
        ['access.check', { grantee: '1234567893', patientId, purpose: 'ETREAT', category: 'general', breakGlassReason: 'no entry for this one' }],
        ['consents.list', {}],
      ];
      // A sign-in whose entry cannot be written opens no session.
      const session = memorySession();
      const signIn = await services.dispatch('auth.login', { username: 'clerk', password: PASSWORD }, { transport: 'electron', session, source: 'window-9' });
      expect(signIn.ok ? 'ok' : signIn.error.code).toBe('AUDIT_WRITE_FAILED');
      expect(session.get()).toBeUndefined();
      expect((services.db.prepare("SELECT count(*) AS n FROM staff_sessions s JOIN staff t ON t.id = s.staff_id WHERE t.username = 'clerk'").get() as { n: number }).n).toBe(0);
      for (const [channel, input] of calls) {
        for (const r of [(await invokeHttp(channel, input)).json, await invokeIpc(channel, input)]) {
          expect(r.ok, `${channel} succeeded with its audit entry unwritten`).toBe(false);
          expect(r.error.code).toBe('AUDIT_WRITE_FAILED');
          expect(r.value).toBeUndefined();
        }
      }
      const manager = { id: 'mgr-seed', name: 'Seeding manager', role: 'records_manager' as const };
      const grant = await services.call(
        'consents.grant',
        { facility: 'GH01', mrn: 'MRN-FC-2', grantee: '1234567893', decision: 'permit', purpose: 'TREAT', category: 'general', periodStart: '2024-01-01' },
        manager,
      );
      expect(grant.ok ? 'ok' : grant.error.code).toBe('AUDIT_WRITE_FAILED');
    } finally {
      mendTrail();
    }
    expect(roleOf(clerkId)).toBe('records_clerk');
    expect(services.db.prepare("SELECT 1 FROM staff WHERE username = 'mallory'").get()).toBeUndefined();
    expect((services.db.prepare('SELECT count(*) AS n FROM staff').get() as { n: number }).n).toBe(staff);
    expect(consentCount()).toBe(consents);
    expect(auditCount()).toBe(audits);
    // Mended, the same calls work and are audited.
    expect((await invokeIpc('staff.update', { id: clerkId, displayName: 'Cal C. Clerk' })).ok).toBe(true);
    expect(auditCount()).toBe(audits + 1);
  });
});
