// The attacker's test of "no API reads a path the caller chose": a records manager and an IT admin, signed in to
// browser mode over real HTTP (and the same through the dispatcher as Electron's IPC uses it), try to make main
// read the organisation's key, /etc/shadow or each other's uploads. Every path field is refused by the schema; an id
// that is not the caller's, or not an id at all, gets one named error that names no path.
import fs from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import type { z } from 'zod';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { api, CHANNEL_NAMES } from '../api';
import { withoutLocalPaths } from '../runtime/answer-paths';
import { memorySession } from '../runtime/dispatcher';
import { csvText, line } from '../imports/test-support';
import { silentLogger } from '../runtime/log';
import { startServices, type Services } from '../compose/services';
import { startConsoleServer, type ConsoleServer } from './server';
import { createStaffReady } from '../staff/test-support';

let dir: string;
let services: Services;
let server: ConsoleServer;
const cookies: Record<'admin' | 'manager', string> = { admin: '', manager: '' };
const PASSWORD = 'correct horse battery';

interface Reply {
  status: number;
  body: string;
  json: () => { ok: boolean; value?: any; error?: { code: string; message: string } };
}

function request(pathname: string, options: { method?: string; headers?: Record<string, string>; body?: string } = {}): Promise<Reply> {
  return new Promise((resolve, reject) => {
    const length = options.body !== undefined ? { 'Content-Length': String(Buffer.byteLength(options.body)) } : {};
    const req = http.request({ host: '127.0.0.1', port: server.port, path: pathname, method: options.method ?? 'GET', headers: { ...length, ...options.headers } }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => {
        const body = Buffer.concat(chunks).toString('utf8');
        resolve({ status: res.statusCode ?? 0, body, json: () => JSON.parse(body) });
      });
    });
    req.on('error', reject);
    if (options.body !== undefined) req.write(options.body);
    req.end();
  });
}

const headers = (who: keyof typeof cookies) => ({ Authorization: `Bearer ${server.token}`, Cookie: cookies[who], 'Content-Type': 'application/json' });
const invoke = (who: keyof typeof cookies, channel: string, input: unknown) =>
  request(`/api/invoke/${channel}`, { method: 'POST', headers: headers(who), body: JSON.stringify(input) });
const upload = (who: keyof typeof cookies, name: string, content: string) =>
  request(`/api/upload?name=${encodeURIComponent(name)}`, { method: 'POST', headers: { ...headers(who), 'Content-Type': 'application/octet-stream' }, body: content });

beforeAll(async () => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'custodian-file-attack-'));
  const staticDir = path.join(dir, 'renderer');
  fs.mkdirSync(staticDir);
  fs.writeFileSync(path.join(staticDir, 'index.html'), '<!doctype html><title>Custodian</title>');
  services = await startServices({ dataDir: path.join(dir, 'data'), runtime: 'browser', logger: silentLogger, config: { chain: { mode: 'none' } }, sync: 'manual' });
  server = await startConsoleServer({ services, staticDir });
  const setup = await request('/api/invoke/auth.setup', {
    method: 'POST',
    headers: { Authorization: `Bearer ${server.token}`, 'Content-Type': 'application/json' },
    body: JSON.stringify({ username: 'admin', displayName: 'Ada Admin', password: PASSWORD }),
  });
  expect(setup.status).toBe(200);
  const login = (username: string) =>
    new Promise<string>((resolve, reject) => {
      const body = JSON.stringify({ username, password: PASSWORD });
      const req = http.request(
        { host: '127.0.0.1', port: server.port, path: '/api/invoke/auth.login', method: 'POST', headers: { Authorization: `Bearer ${server.token}`, 'Content-Type': 'application/json', 'Content-Length': String(Buffer.byteLength(body)) } },
        (res) => {
          res.resume();
          res.on('end', () => resolve(String(res.headers['set-cookie']?.[0]).split(';')[0]!));
        },
      );
      req.on('error', reject);
      req.end(body);
    });
  cookies.admin = await login('admin');
  // Made as an office makes one: a temporary password replaced at first sign-in (a pending change blocks the rest).
  const adminId = (services.db.prepare("SELECT id FROM staff WHERE username = 'admin'").get() as { id: string }).id;
  await createStaffReady(services, { id: adminId, name: 'Ada Admin', role: 'it_admin' }, { username: 'manager', displayName: 'Rita Records', role: 'records_manager', password: PASSWORD });
  cookies.manager = await login('manager');
}, 60_000);
afterAll(async () => {
  await server.close();
  await services.stop();
  fs.rmSync(dir, { recursive: true, force: true });
});

const orgKey = () => path.join(services.dataDir, 'secrets', 'org-key');
const TARGETS = () => [orgKey(), '/etc/shadow', '/etc/passwd', path.join(services.dataDir, 'custodian.sqlite'), path.join(services.dataDir, 'nope.csv')];
const PATH_INPUTS: [string, (target: string) => unknown][] = [
  ['imports.preview', (p) => ({ path: p })],
  ['imports.start', (p) => ({ path: p })],
  ['imports.start', (p) => ({ path: p, uploadId: 'AAAAAAAAAAAAAAAAAAAAAA' })],
  ['claims.import', (p) => ({ path: p })],
  ['credentials.import', (p) => ({ filePath: p })],
];

describe('a staff member naming a file on the server', () => {
  it('is refused by the schema for every path field, over HTTP, for a records manager and an IT admin', async () => {
    expect(fs.existsSync(orgKey())).toBe(true);
    const secret = fs.readFileSync(orgKey(), 'utf8').trim();
    for (const who of ['manager', 'admin'] as const) {
      for (const target of TARGETS()) {
        for (const [channel, input] of PATH_INPUTS) {
          const res = await invoke(who, channel, input(target));
          expect(res.json().error?.code, `${who} ${channel} ${target}`).toBe('VALIDATION_FAILED');
          expect(res.body).not.toContain(secret);
          expect(res.body).not.toContain('root:');
          expect(res.body).not.toContain(process.cwd());
          expect(res.body).not.toContain(services.dataDir);
        }
      }
    }
  });

  it('cannot use another person’s upload, an unknown id or a malformed one: one named error, no path in it', async () => {
    const mine = (await upload('manager', 'consents.csv', csvText([line({ external_id: 'X-1', mrn: 'MRN1' })]))).json().value as { uploadId: string };
    const ids = [mine.uploadId, 'AAAAAAAAAAAAAAAAAAAAAA'];
    const channels: [string, (id: string) => unknown][] = [
      ['imports.preview', (id) => ({ uploadId: id })],
      ['imports.start', (id) => ({ uploadId: id })],
      ['claims.import', (id) => ({ uploadId: id })],
      ['credentials.import', (id) => ({ uploadId: id })],
    ];
    const messages = new Set<string>();
    for (const [channel, input] of channels) {
      for (const id of ids) {
        const res = await invoke('admin', channel, input(id));
        const error = res.json().error!;
        expect(error.code, `${channel} ${id}`).toBe('UPLOAD_NOT_FOUND');
        expect(res.body).not.toContain(services.dataDir);
        expect(res.body).not.toContain(process.cwd());
        messages.add(error.message);
      }
      const malformed = await invoke('admin', channel, input('../../secrets/org-key'));
      expect(malformed.json().error?.code).toBe('VALIDATION_FAILED');
    }
    // Someone else's upload and an id never issued are answered alike.
    expect(messages.size).toBe(1);
    // The owner still can.
    expect((await invoke('manager', 'imports.preview', { uploadId: mine.uploadId })).json().value).toMatchObject({ fileName: 'consents.csv', problem: null });
  });

  it('cannot re-run an import run that another person started', async () => {
    const up = (await upload('manager', 'rerun.csv', csvText([line({ external_id: 'R-1', mrn: 'MRN7' })]))).json().value as { uploadId: string };
    const dry = (await invoke('manager', 'imports.start', { uploadId: up.uploadId, dryRun: true })).json().value as { runId: number; jobId: string };
    await services.jobs.waitFor(dry.jobId);
    expect((await invoke('admin', 'imports.start', { rerunOf: dry.runId })).json().error?.code).toBe('NOT_FOUND');
    const again = (await invoke('manager', 'imports.start', { rerunOf: dry.runId })).json();
    expect(again.ok).toBe(true);
    await services.jobs.waitFor(again.value.jobId);
    // That run committed, so its upload is gone: the run says so, and running it again is refused by name.
    const committed = (await invoke('manager', 'imports.get', { runId: again.value.runId })).json().value as { state: string; fileKept: boolean };
    expect(committed).toMatchObject({ state: 'succeeded', fileKept: false });
    expect((await invoke('manager', 'imports.get', { runId: dry.runId })).json().value).toMatchObject({ fileKept: false });
    const gone = (await invoke('manager', 'imports.start', { rerunOf: again.value.runId })).json();
    expect(gone.error?.code).toBe('IMPORT_FILE_GONE');
    expect(gone.error?.message).toContain('rerun.csv');
  });

  it('gets the same answers through the dispatcher as Electron’s IPC calls it', async () => {
    const session = memorySession();
    expect((await services.dispatch('auth.login', { username: 'admin', password: PASSWORD }, { transport: 'electron', session })).ok).toBe(true);
    for (const target of TARGETS()) {
      for (const [channel, input] of PATH_INPUTS) {
        const r = await services.dispatch(channel, input(target), { transport: 'electron', session });
        expect(r.ok ? 'ok' : r.error.code).toBe('VALIDATION_FAILED');
      }
    }
    const r = await services.dispatch('imports.preview', { uploadId: 'AAAAAAAAAAAAAAAAAAAAAA' }, { transport: 'electron', session });
    expect(r.ok ? 'ok' : r.error.code).toBe('UPLOAD_NOT_FOUND');
  });
});

describe('answers to a page', () => {
  it('carry no absolute path: every channel, as anonymous, a records manager and an IT admin, over HTTP and IPC', async () => {
    // A run with a rejects file, so imports.list/get have paths to leak.
    const up = (await upload('manager', 'bad rows.csv', csvText([line({ external_id: 'P-1', mrn: 'MRN9' }), line({ external_id: 'P-2', grantee: 'not an npi' })]))).json().value as { uploadId: string };
    const started = (await invoke('manager', 'imports.start', { uploadId: up.uploadId })).json().value as { runId: number; jobId: string };
    await services.jobs.waitFor(started.jobId);
    const inputs: Record<string, unknown> = { 'imports.get': { runId: started.runId }, 'imports.rejectsFile': { runId: started.runId }, 'audit.exportCsv': {} };
    const home = os.homedir();
    const bodies: string[] = [];
    for (const who of ['anonymous', 'manager', 'admin'] as const) {
      for (const channel of CHANNEL_NAMES) {
        if (channel === 'auth.logout' || channel === 'auth.login' || channel === 'auth.setup') continue;
        const input = inputs[channel] ?? {};
        const res = who === 'anonymous' ? await request(`/api/invoke/${channel}`, { method: 'POST', headers: { Authorization: `Bearer ${server.token}`, 'Content-Type': 'application/json' }, body: JSON.stringify(input) }) : await invoke(who, channel, input);
        bodies.push(`${who} ${channel}: ${res.body}`);
      }
    }
    const ipc = withoutLocalPaths(services.dispatch, services.dataDir);
    const session = memorySession();
    expect((await ipc('auth.login', { username: 'manager', password: PASSWORD }, { transport: 'electron', session })).ok).toBe(true);
    for (const channel of CHANNEL_NAMES) {
      if (channel === 'auth.logout') continue;
      bodies.push(`ipc ${channel}: ${JSON.stringify(await ipc(channel, inputs[channel] ?? {}, { transport: 'electron', session }))}`);
    }
    // The answers that had paths still say where things are, relative to the data folder.
    expect(bodies.find((b) => b.startsWith('anonymous system.status'))).toContain('<data folder>/custodian.sqlite');
    expect(bodies.find((b) => b.startsWith('manager imports.get'))).toContain('<data folder>/');
    const leaks = bodies.filter((b) => b.includes(services.dataDir) || b.includes(dir) || (home.length > 1 && b.includes(home)));
    expect(leaks.map((b) => b.slice(0, 160))).toEqual([]);
  }, 120_000);
});

/** The keys of a zod schema's objects, however wrapped (refine, union, default, optional, extend). */
function keysOf(schema: z.ZodType, seen = new Set<unknown>()): string[] {
  if (seen.has(schema)) return [];
  seen.add(schema);
  const def = (schema as unknown as { _zod: { def: Record<string, unknown> } })._zod.def;
  const out: string[] = [];
  if (def.type === 'object') {
    for (const [key, child] of Object.entries(def.shape as Record<string, z.ZodType>)) out.push(key, ...keysOf(child, seen));
  }
  for (const field of ['innerType', 'in', 'out', 'element', 'left', 'right', 'schema']) {
    if (def[field]) out.push(...keysOf(def[field] as z.ZodType, seen));
  }
  if (Array.isArray(def.options)) for (const o of def.options as z.ZodType[]) out.push(...keysOf(o, seen));
  return out;
}

describe('the channel table', () => {
  it('has no input field that names a path, file or folder on the server (a file comes only as an upload id)', () => {
    const offenders: string[] = [];
    for (const name of CHANNEL_NAMES) {
      for (const key of keysOf(api[name].input as z.ZodType)) {
        // fileName: the name an upload is stored under (sanitised to a base name by main).
        if ((/path|file|folder|directory/i.test(key) || /^dir$|Dir$/.test(key)) && !(name === 'imports.upload' && key === 'fileName')) offenders.push(`${name}.${key}`);
      }
    }
    expect(offenders).toEqual([]);
    expect(keysOf(api['imports.start'].input as z.ZodType)).toContain('uploadId');
  });
});
