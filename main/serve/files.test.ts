// Browser mode's file routes at the HTTP level: real services on a real SQLite file, a real loopback server,
// raw requests. A person uploads, imports and downloads; every bypass (token, Origin, Host, session, role, names,
// sizes, ids) is refused and leaves nothing on disk; each download and export is in the audit trail.
import fs from 'node:fs';
import http from 'node:http';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { csvText, line } from '../imports/test-support';
import { silentLogger } from '../runtime/log';
import { startServices, type Services } from '../compose/services';
import { startConsoleServer, type ConsoleServer } from './server';

const LIMIT = 64 * 1024;
let dir: string;
let services: Services;
let server: ConsoleServer;
const cookies: Record<'admin' | 'manager' | 'auditor', string> = { admin: '', manager: '', auditor: '' };

interface Reply {
  status: number;
  headers: http.IncomingHttpHeaders;
  body: Buffer;
  json: () => { ok: boolean; value?: any; error?: { code: string; message: string } };
}

function request(pathname: string, options: { method?: string; headers?: Record<string, string>; body?: string | Buffer } = {}): Promise<Reply> {
  return new Promise((resolve, reject) => {
    // Like a browser, state the body's length (Node would otherwise send it chunked).
    const length = options.body !== undefined ? { 'Content-Length': String(Buffer.byteLength(options.body)) } : {};
    const req = http.request({ host: '127.0.0.1', port: server.port, path: pathname, method: options.method ?? 'GET', headers: { ...length, ...options.headers } }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => {
        const body = Buffer.concat(chunks);
        resolve({ status: res.statusCode ?? 0, headers: res.headers, body, json: () => JSON.parse(body.toString('utf8')) });
      });
    });
    req.on('error', reject);
    if (options.body !== undefined) req.write(options.body);
    req.end();
  });
}

const bearer = () => ({ Authorization: `Bearer ${server.token}` });
const as = (who: keyof typeof cookies) => ({ ...bearer(), Cookie: cookies[who] });

async function invoke(who: keyof typeof cookies, channel: string, input: unknown) {
  const res = await request(`/api/invoke/${channel}`, { method: 'POST', headers: { ...as(who), 'Content-Type': 'application/json' }, body: JSON.stringify(input) });
  return res.json();
}

function upload(name: string, content: string | Buffer, headers: Record<string, string> = as('manager')) {
  return request(`/api/upload?name=${encodeURIComponent(name)}`, { method: 'POST', headers: { 'Content-Type': 'application/octet-stream', ...headers }, body: content });
}

const uploadsRoot = () => path.join(services.dataDir, 'uploads');
const uploadDirs = () => (fs.existsSync(uploadsRoot()) ? fs.readdirSync(uploadsRoot()) : []);
const auditActions = (action: string) =>
  services.db.prepare('SELECT action, outcome, subject, actor_id FROM audit_log WHERE action = ? ORDER BY id').all(action) as { action: string; outcome: string; subject: string | null }[];

async function signIn(who: keyof typeof cookies, username: string, password = 'correct horse battery') {
  const res = await request('/api/invoke/auth.login', {
    method: 'POST',
    headers: { ...bearer(), 'Content-Type': 'application/json' },
    body: JSON.stringify({ username, password }),
  });
  expect(res.status).toBe(200);
  cookies[who] = String(res.headers['set-cookie']?.[0]).split(';')[0]!;
}

beforeAll(async () => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'custodian-files-'));
  const staticDir = path.join(dir, 'renderer');
  fs.mkdirSync(staticDir);
  fs.writeFileSync(path.join(staticDir, 'index.html'), '<!doctype html><title>Custodian</title>');
  services = await startServices({ dataDir: path.join(dir, 'data'), runtime: 'browser', logger: silentLogger, config: { chain: { mode: 'none' } }, sync: 'manual', uploads: { maxBytes: LIMIT } });
  server = await startConsoleServer({ services, staticDir });
  const setup = await request('/api/invoke/auth.setup', {
    method: 'POST',
    headers: { ...bearer(), 'Content-Type': 'application/json' },
    body: JSON.stringify({ username: 'admin', displayName: 'Ada Admin', password: 'correct horse battery' }),
  });
  cookies.admin = String(setup.headers['set-cookie']?.[0]).split(';')[0]!;
  for (const [username, role] of [['manager', 'records_manager'], ['auditor', 'auditor']] as const) {
    // The administrator's password is temporary: the person replaces it at first sign-in (then signs in again).
    const created = await invoke('admin', 'staff.create', { username, displayName: `A ${role}`, role, password: 'temporary horse battery' });
    expect(created.ok).toBe(true);
    await signIn(username, username, 'temporary horse battery');
    // Attacker: the administrator knows the temporary password; over HTTP it opens no channel and no file route.
    const before = uploadDirs().length;
    const blocked = await upload('x.csv', 'a,b\n', as(username));
    expect(blocked.status).toBe(403);
    expect(blocked.json().error?.code).toBe('PASSWORD_CHANGE_REQUIRED');
    expect((await invoke(username, 'imports.list', {})).error?.code).toBe('PASSWORD_CHANGE_REQUIRED');
    expect(uploadDirs().length).toBe(before);
    expect((await invoke(username, 'auth.changePassword', { currentPassword: 'temporary horse battery', newPassword: 'correct horse battery' })).ok).toBe(true);
    await signIn(username, username);
  }
}, 60_000);
afterAll(async () => {
  await server.close();
  await services.stop();
  fs.rmSync(dir, { recursive: true, force: true });
});

const GOOD_CSV = csvText([line({ external_id: 'U-1', mrn: 'MRN1' }), line({ external_id: 'U-2', mrn: 'MRN2', category: 'HIV' })]);

describe('upload route', () => {
  it('streams a file into uploads/<id>/<sanitised name>; the page imports it by id and the upload goes once imported', async () => {
    const res = await upload('../../outside/March consents.csv', GOOD_CSV);
    expect(res.status).toBe(200);
    const { uploadId, fileName, sizeBytes } = res.json().value;
    expect({ fileName, sizeBytes }).toEqual({ fileName: 'March consents.csv', sizeBytes: Buffer.byteLength(GOOD_CSV) });
    expect(res.body.toString()).not.toContain(services.dataDir);
    const stored = path.join(uploadsRoot(), uploadId, 'March consents.csv');
    expect(fs.readFileSync(stored, 'utf8')).toBe(GOOD_CSV);
    expect(fs.statSync(stored).mode & 0o777).toBe(0o600);
    expect(fs.existsSync(path.join(services.dataDir, '..', 'outside'))).toBe(false);
    expect(auditActions('imports.upload').at(-1)).toMatchObject({ outcome: 'success', subject: `upload:${uploadId}` });

    const preview = await invoke('manager', 'imports.preview', { uploadId });
    expect(preview.value).toMatchObject({ fileName: 'March consents.csv', format: 'csv', problem: null });
    expect(preview.value.rows).toHaveLength(2);

    const dry = await invoke('manager', 'imports.start', { uploadId, dryRun: true });
    await services.jobs.waitFor(dry.value.jobId);
    expect(fs.existsSync(stored)).toBe(true); // kept after a dry run, for the real run
    const started = await invoke('manager', 'imports.start', { uploadId });
    expect(await services.jobs.waitFor(started.value.jobId)).toMatchObject({ state: 'succeeded' });
    const run = await invoke('manager', 'imports.get', { runId: started.value.runId });
    expect(run.value).toMatchObject({ fileName: 'March consents.csv', accepted: 2 });
    expect(fs.existsSync(path.join(uploadsRoot(), uploadId))).toBe(false);
    expect((await invoke('manager', 'imports.preview', { uploadId })).error).toMatchObject({ code: 'UPLOAD_NOT_FOUND' });
  });

  it.each<[string, () => Record<string, string>, number, string]>([
    ['no token', () => ({ Cookie: cookies.manager }), 401, 'NOT_AUTHENTICATED'],
    ['a wrong token', () => ({ Authorization: 'Bearer nope', Cookie: cookies.manager }), 401, 'NOT_AUTHENTICATED'],
    ['a foreign Origin', () => ({ ...as('manager'), Origin: 'http://evil.example' }), 403, 'FORBIDDEN_ORIGIN'],
    ['a foreign Host', () => ({ ...as('manager'), Host: `evil.example:${server.port}` }), 403, 'FORBIDDEN_HOST'],
    ['no session', () => bearer(), 401, 'NOT_AUTHENTICATED'],
    ['a forged session', () => ({ ...bearer(), Cookie: 'custodian_session=forged' }), 401, 'NOT_AUTHENTICATED'],
    ['a role without imports.run', () => as('auditor'), 403, 'PERMISSION_DENIED'],
  ])('refuses an upload with %s and keeps nothing', async (_name, headers, status, code) => {
    const before = uploadDirs();
    const res = await upload('x.csv', GOOD_CSV, headers());
    expect(res.status).toBe(status);
    expect(res.json().error?.code).toBe(code);
    expect(uploadDirs()).toEqual(before);
  });

  it('refuses other content types, a missing name and a missing length', async () => {
    const form = await request('/api/upload?name=x.csv', { method: 'POST', headers: { ...as('manager'), 'Content-Type': 'multipart/form-data; boundary=x' }, body: 'x' });
    expect(form.status).toBe(415);
    const plain = await request('/api/upload?name=x.csv', { method: 'POST', headers: { ...as('manager'), 'Content-Type': 'text/plain' }, body: 'x' });
    expect(plain.status).toBe(415);
    const noName = await request('/api/upload', { method: 'POST', headers: { ...as('manager'), 'Content-Type': 'application/octet-stream' }, body: 'x' });
    expect(noName.status).toBe(400);
    const get = await request('/api/upload?name=x.csv', { headers: as('manager') });
    expect(get.status).toBe(405);
  });

  it('refuses an upload over the limit before reading it', async () => {
    const before = uploadDirs();
    const res = await upload('big.csv', Buffer.alloc(LIMIT + 1, 0x61));
    expect(res.status).toBe(413);
    expect(res.json().error).toMatchObject({ code: 'UPLOAD_TOO_LARGE' });
    expect(uploadDirs()).toEqual(before);
    const exact = await upload('exact.csv', Buffer.alloc(LIMIT, 0x61));
    expect(exact.status).toBe(200);
  });

  it('keeps nothing of an upload cut off before its last byte', async () => {
    const before = uploadDirs();
    const socket = net.connect(server.port, '127.0.0.1');
    await new Promise((resolve) => socket.once('connect', resolve));
    socket.write(
      `POST /api/upload?name=cut.csv HTTP/1.1\r\nHost: 127.0.0.1:${server.port}\r\nAuthorization: Bearer ${server.token}\r\nCookie: ${cookies.manager}\r\n` +
        `Content-Type: application/octet-stream\r\nContent-Length: 1000\r\n\r\nonly a few bytes`,
    );
    // The reservation exists once the route starts streaming; then the client goes away.
    await vitestWaitFor(() => uploadDirs().length > before.length);
    socket.destroy();
    await vitestWaitFor(() => uploadDirs().length === before.length);
    expect(uploadDirs()).toEqual(before);
  });

  it('resolves only ids it issued: unknown and malformed ids, and a path with an id, are refused', async () => {
    expect((await invoke('manager', 'imports.preview', { uploadId: 'AAAAAAAAAAAAAAAAAAAAAA' })).error).toMatchObject({ code: 'UPLOAD_NOT_FOUND' });
    expect((await invoke('manager', 'imports.start', { uploadId: '../../../etc/passwd' })).error).toMatchObject({ code: 'VALIDATION_FAILED' });
    const both = await invoke('manager', 'imports.start', { uploadId: 'AAAAAAAAAAAAAAAAAAAAAA', path: '/etc/passwd' });
    expect(both.error).toMatchObject({ code: 'VALIDATION_FAILED' });
    expect(both.error!.message).toMatch(/Unrecognized key: "path"/);
  });
});

async function vitestWaitFor(condition: () => boolean, timeoutMs = 10_000): Promise<void> {
  const until = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > until) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 20));
  }
}

describe('download route', () => {
  let runId: number;
  let exportId: string;

  beforeAll(async () => {
    const csv = csvText([line({ external_id: 'R-1', mrn: 'MRN5' }), line({ external_id: 'R-2', mrn: 'MRN6', grantee: '1234567890' })]);
    const up = (await upload('with-rejects.csv', csv)).json().value;
    const started = await invoke('manager', 'imports.start', { uploadId: up.uploadId });
    await services.jobs.waitFor(started.value.jobId);
    runId = started.value.runId;
    const exp = await invoke('manager', 'consents.exportFhir', { filter: {} });
    exportId = exp.value.exportId;
    expect(await services.jobs.waitFor(exportId)).toMatchObject({ state: 'succeeded' });
  });

  it('serves a run’s rejects file as an attachment, and audits the download', async () => {
    const res = await request(`/api/download/rejects/${runId}`, { headers: as('manager') });
    expect(res.status).toBe(200);
    expect(res.headers['content-disposition']).toBe(`attachment; filename="run-${runId}-rejects.csv"; filename*=UTF-8''run-${runId}-rejects.csv`);
    expect(res.headers['x-content-type-options']).toBe('nosniff');
    expect(res.headers['content-type']).toBe('text/csv; charset=utf-8');
    const text = res.body.toString('utf8');
    expect(Number(res.headers['content-length'])).toBe(res.body.length);
    expect(text).toContain('R-2');
    expect(text).not.toContain('R-1');
    expect(text.split('\r\n')[0]).toMatch(/row/);
    expect(auditActions('imports.rejectsFile').at(-1)).toMatchObject({ outcome: 'success', subject: `import-run:${runId}` });
  });

  it('serves a finished consent export as FHIR NDJSON, and audits the export and its download', async () => {
    const res = await request(`/api/download/export/${exportId}`, { headers: as('manager') });
    expect(res.status).toBe(200);
    expect(res.headers['content-type']).toBe('application/fhir+ndjson');
    expect(res.headers['content-disposition']).toMatch(/^attachment; filename="consents-.*\.ndjson"/);
    const lines = res.body.toString('utf8').trim().split('\n').map((l) => JSON.parse(l) as { resourceType: string });
    expect(lines.length).toBeGreaterThanOrEqual(3);
    expect(new Set(lines.map((l) => l.resourceType))).toEqual(new Set(['Consent']));
    expect(auditActions('consents.exportFhir').at(-1)).toMatchObject({ outcome: 'success', subject: `export:${exportId}` });
    expect(auditActions('consents.exportFile').at(-1)).toMatchObject({ outcome: 'success', subject: `export:${exportId}` });
  });

  it.each<[string, () => string, () => Record<string, string>, number, string]>([
    ['no token', () => `/api/download/rejects/${runId}`, () => ({ Cookie: cookies.manager }), 401, 'NOT_AUTHENTICATED'],
    ['a foreign Origin', () => `/api/download/rejects/${runId}`, () => ({ ...as('manager'), Origin: 'http://evil.example' }), 403, 'FORBIDDEN_ORIGIN'],
    ['a foreign Host', () => `/api/download/export/${exportId}`, () => ({ ...as('manager'), Host: 'evil.example' }), 403, 'FORBIDDEN_HOST'],
    ['no session', () => `/api/download/export/${exportId}`, () => bearer(), 401, 'NOT_AUTHENTICATED'],
    ['rejects for a role without imports.run', () => `/api/download/rejects/${runId}`, () => as('auditor'), 403, 'PERMISSION_DENIED'],
    ['an export for a role without consents.export', () => `/api/download/export/${exportId}`, () => as('admin'), 403, 'PERMISSION_DENIED'],
    ['an unknown run', () => '/api/download/rejects/999999', () => as('manager'), 404, 'NOT_FOUND'],
    ['an unknown export', () => '/api/download/export/00000000-0000-4000-8000-000000000000', () => as('manager'), 404, 'NOT_FOUND'],
    ['a path instead of an id', () => '/api/download/rejects/..%2F..%2Fcustodian.sqlite', () => as('manager'), 404, 'NOT_FOUND'],
    // The URL's dot segments resolve before routing: this lands outside /api/download/ altogether.
    ['a traversal', () => '/api/download/export/../../custodian.sqlite', () => as('manager'), 404, 'UNKNOWN_CHANNEL'],
    ['an unknown kind', () => `/api/download/database/${runId}`, () => as('manager'), 404, 'NOT_FOUND'],
  ])('refuses a download with %s', async (_name, url, headers, status, code) => {
    const res = await request(url(), { headers: headers() });
    expect(res.status).toBe(status);
    expect(res.json().error?.code).toBe(code);
    expect(res.headers['content-disposition']).toBeUndefined();
  });

  it('audits a refused download as denied', async () => {
    await request(`/api/download/rejects/${runId}`, { headers: as('auditor') });
    expect(auditActions('imports.rejectsFile').at(-1)).toMatchObject({ outcome: 'denied' });
  });

  it('serves a clean run’s rejects file with its header only', async () => {
    const up = (await upload('clean.csv', csvText([line({ external_id: 'C-1', mrn: 'MRN9' })]))).json().value;
    const started = await invoke('manager', 'imports.start', { uploadId: up.uploadId });
    await services.jobs.waitFor(started.value.jobId);
    const res = await request(`/api/download/rejects/${started.value.runId}`, { headers: as('manager') });
    expect(res.status).toBe(200);
    expect(res.body.toString('utf8').split('\r\n').filter(Boolean)).toHaveLength(1);
  });
});
