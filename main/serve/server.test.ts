// Browser mode end to end at the HTTP level: real services on a real SQLite file (chain disabled here; the
// e2e suite covers the embedded chain), real loopback server, raw requests trying each bypass.
import fs from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { silentLogger } from '../runtime/log';
import { startServices, type Services } from '../compose/services';
import { startConsoleServer, type ConsoleServer } from './server';

let dir: string;
let services: Services;
let server: ConsoleServer;

interface Reply {
  status: number;
  headers: http.IncomingHttpHeaders;
  body: string;
}

function request(pathname: string, options: { method?: string; headers?: Record<string, string>; body?: string } = {}): Promise<Reply> {
  return new Promise((resolve, reject) => {
    const req = http.request({ host: '127.0.0.1', port: server.port, path: pathname, method: options.method ?? 'GET', headers: options.headers }, (res) => {
      let body = '';
      res.on('data', (c) => (body += c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body }));
    });
    req.on('error', reject);
    if (options.body) req.write(options.body);
    req.end();
  });
}

let sessionCookie = '';
const auth = () => ({ Authorization: `Bearer ${server.token}`, 'Content-Type': 'application/json', Cookie: sessionCookie });

beforeAll(async () => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'custodian-serve-'));
  const staticDir = path.join(dir, 'renderer');
  fs.mkdirSync(staticDir);
  fs.writeFileSync(path.join(staticDir, 'index.html'), '<!doctype html><title>Custodian</title>');
  fs.writeFileSync(path.join(staticDir, 'app.js'), 'console.log(1)\n//# sourceMappingURL=app.js.map');
  fs.writeFileSync(path.join(staticDir, 'app.js.map'), '{"sources":["../src/App.tsx"],"sourcesContent":["the renderer source"]}');
  fs.writeFileSync(path.join(dir, 'secret.txt'), 'outside the static folder');
  services = await startServices({ dataDir: path.join(dir, 'data'), runtime: 'browser', logger: silentLogger, config: { chain: { mode: 'none' } } });
  server = await startConsoleServer({ services, staticDir });
  const setup = await request('/api/invoke/auth.setup', {
    method: 'POST',
    headers: { Authorization: `Bearer ${server.token}`, 'Content-Type': 'application/json' },
    body: JSON.stringify({ username: 'admin', displayName: 'Ada Admin', password: 'correct horse battery' }),
  });
  expect(setup.status).toBe(200);
  sessionCookie = String(setup.headers['set-cookie']?.[0] ?? '').split(';')[0]!;
});
afterAll(async () => {
  await server.close();
  await services.stop();
  fs.rmSync(dir, { recursive: true, force: true });
});

describe('browser-mode server', () => {
  it('prints a loopback URL carrying the token', () => {
    expect(server.url).toBe(`http://127.0.0.1:${server.port}/?token=${server.token}`);
  });

  it('answers a tokened API call with the migrated database status', async () => {
    const res = await request('/api/invoke/system.status', { method: 'POST', headers: auth(), body: '{}' });
    expect(res.status).toBe(200);
    const body = JSON.parse(res.body);
    expect(body.ok).toBe(true);
    expect(body.value.database.path).toBe('<data folder>/custodian.sqlite'); // never the absolute path
    expect(body.value.database.schemaVersion).toBeGreaterThanOrEqual(1);
    expect(body.value.chain.state).toBe('offline');
  });

  it('keeps the staff session in an HttpOnly SameSite=Strict cookie, never in the response body', async () => {
    expect(sessionCookie).toMatch(/^custodian_session=.{20,}$/);
    const me = await request('/api/invoke/auth.status', { method: 'POST', headers: auth(), body: '{}' });
    expect(JSON.parse(me.body).value).toMatchObject({ setupRequired: false, principal: { name: 'Ada Admin', role: 'it_admin' } });
    expect(me.body).not.toContain(sessionCookie.split('=')[1]);
    const anonymous = await request('/api/invoke/jobs.list', { method: 'POST', headers: { ...auth(), Cookie: '' }, body: '{}' });
    expect(anonymous.status).toBe(401);
    const forged = await request('/api/invoke/jobs.list', { method: 'POST', headers: { ...auth(), Cookie: 'custodian_session=forged' }, body: '{}' });
    expect(forged.status).toBe(401);
  });

  it('ignores a badly encoded cookie another local app set for 127.0.0.1 (shared across ports): no 500', async () => {
    const before = await request('/api/invoke/auth.status', { method: 'POST', headers: auth(), body: '{}' });
    expect(JSON.parse(before.body).value.principal).toMatchObject({ name: 'Ada Admin' });
    // decodeURIComponent throws URIError on each of these.
    for (const foreign of ['a=%E0%A4%A', 'theme=%', 'x=%ZZ; y=%C0%AF']) {
      const withSession = await request('/api/invoke/auth.status', { method: 'POST', headers: { ...auth(), Cookie: `${foreign}; ${sessionCookie}` }, body: '{}' });
      expect(withSession.status, foreign).toBe(200);
      expect(JSON.parse(withSession.body).value.principal).toMatchObject({ name: 'Ada Admin' });
      const alone = await request('/api/invoke/jobs.list', { method: 'POST', headers: { ...auth(), Cookie: foreign }, body: '{}' });
      expect(alone.status, foreign).toBe(401);
    }
    // A badly encoded cookie under our own name is skipped in favour of the next one of that name.
    const shadowed = await request('/api/invoke/jobs.list', { method: 'POST', headers: { ...auth(), Cookie: `custodian_session=%E0%A4%A; ${sessionCookie}` }, body: '{}' });
    expect(shadowed.status).toBe(200);
    const download = await request('/api/download/rejects/1', { headers: { ...auth(), Cookie: `a=%E0%A4%A; ${sessionCookie}` } });
    expect(download.status).not.toBe(500);
  });

  it('signs out: the cookie is cleared and the old session no longer works', async () => {
    const login = await request('/api/invoke/auth.login', {
      method: 'POST',
      headers: { Authorization: `Bearer ${server.token}`, 'Content-Type': 'application/json' },
      body: JSON.stringify({ username: 'admin', password: 'correct horse battery' }),
    });
    const cookie = String(login.headers['set-cookie']?.[0]).split(';')[0]!;
    expect(String(login.headers['set-cookie']?.[0])).toMatch(/HttpOnly; SameSite=Strict; Path=\/api/);
    const out = await request('/api/invoke/auth.logout', { method: 'POST', headers: { ...auth(), Cookie: cookie }, body: '{}' });
    expect(String(out.headers['set-cookie']?.[0])).toMatch(/Max-Age=0/);
    const after = await request('/api/invoke/jobs.list', { method: 'POST', headers: { ...auth(), Cookie: cookie }, body: '{}' });
    expect(after.status).toBe(401);
  });

  it('refuses a call without the token', async () => {
    const res = await request('/api/invoke/system.status', { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: '{}' });
    expect(res.status).toBe(401);
    expect(JSON.parse(res.body)).toMatchObject({ ok: false, error: { code: 'NOT_AUTHENTICATED' } });
  });

  it('refuses a foreign Host header even with the token (DNS rebinding)', async () => {
    const res = await request('/api/invoke/system.status', { method: 'POST', headers: { ...auth(), Host: `evil.example:${server.port}` }, body: '{}' });
    expect(res.status).toBe(403);
    expect(JSON.parse(res.body).error.code).toBe('FORBIDDEN_HOST');
    const page = await request('/', { headers: { Host: 'evil.example' } });
    expect(page.status).toBe(403);
  });

  it('refuses a foreign Origin even with the token', async () => {
    const res = await request('/api/invoke/system.status', { method: 'POST', headers: { ...auth(), Origin: 'http://evil.example' }, body: '{}' });
    expect(res.status).toBe(403);
    expect(JSON.parse(res.body).error.code).toBe('FORBIDDEN_ORIGIN');
  });

  it('refuses a form-encoded (CSRF-style simple) request', async () => {
    const res = await request('/api/invoke/system.status', { method: 'POST', headers: { Authorization: `Bearer ${server.token}`, 'Content-Type': 'text/plain' }, body: '{}' });
    expect(res.status).toBe(415);
  });

  it('rejects bad input with a validation error naming the field', async () => {
    const res = await request('/api/invoke/jobs.list', { method: 'POST', headers: auth(), body: JSON.stringify({ limit: 'x' }) });
    expect(res.status).toBe(400);
    const body = JSON.parse(res.body);
    expect(body.error.code).toBe('VALIDATION_FAILED');
    expect(body.error.details.issues[0].field).toBe('limit');
    expect(body.error.message).toMatch(/limit/);
  });

  it('rejects unknown channels and malformed JSON without a stack trace', async () => {
    const unknown = await request('/api/invoke/system.nope', { method: 'POST', headers: auth(), body: '{}' });
    expect(unknown.status).toBe(404);
    expect(JSON.parse(unknown.body).error.code).toBe('UNKNOWN_CHANNEL');
    const bad = await request('/api/invoke/system.status', { method: 'POST', headers: auth(), body: '{not json' });
    expect(bad.status).toBe(400);
    expect(bad.body).not.toMatch(/at .*\.ts:\d+/);
  });

  it('serves the renderer with a strict CSP and never outside its folder', async () => {
    const page = await request('/');
    expect(page.status).toBe(200);
    expect(page.headers['content-security-policy']).toMatch(/default-src 'self'/);
    expect(page.headers['content-security-policy']).toMatch(/frame-ancestors 'none'/);
    for (const p of ['/../secret.txt', '/%2e%2e/secret.txt', '/..%2fsecret.txt']) {
      const res = await request(p);
      expect(res.status, p).toBe(404);
      expect(res.body).not.toMatch(/outside the static folder/);
    }
  });

  it('does not serve a source map (the renderer’s source), even one left in the build folder', async () => {
    expect((await request('/app.js')).status).toBe(200);
    const map = await request('/app.js.map');
    expect(map.status).toBe(404);
    expect(map.body).not.toMatch(/the renderer source/);
  });

  it('the renderer build makes no source maps', async () => {
    const config = (await import('../../renderer/vite.config')).default as { build?: { sourcemap?: unknown } };
    expect(config.build?.sourcemap).toBe(false);
  });

  it('streams pushed events to a tokened subscriber only', async () => {
    const refused = await request('/api/events');
    expect(refused.status).toBe(401);
    const received = await new Promise<string>((resolve, reject) => {
      const req = http.request({ host: '127.0.0.1', port: server.port, path: '/api/events', headers: { Authorization: `Bearer ${server.token}` } }, (res) => {
        let text = '';
        res.on('data', (chunk) => {
          text += chunk;
          if (text.includes('data: ')) {
            req.destroy();
            resolve(text);
          }
        });
        setTimeout(() => services.events.emit('sync.state', { state: 'idle', pending: 3 }), 50);
      });
      req.on('error', (e) => ((e as NodeJS.ErrnoException).code === 'ECONNRESET' ? undefined : reject(e)));
      req.end();
    });
    const line = received.split('\n').find((l) => l.startsWith('data: '))!;
    expect(JSON.parse(line.slice(6))).toEqual({ event: 'sync.state', payload: { state: 'idle', pending: 3 } });
  });
});
