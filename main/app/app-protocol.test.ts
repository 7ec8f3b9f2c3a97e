import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createAppProtocolHandler, resolveAppAsset } from './app-protocol';
import { APP_CONTENT_SECURITY_POLICY } from './url-policy';

const root = path.resolve('/srv/custodian/build/renderer');

describe('resolveAppAsset', () => {
  it.each([
    ['app://custodian/', 'index.html', 'text/html; charset=utf-8'],
    ['app://custodian/index.html', 'index.html', 'text/html; charset=utf-8'],
    ['app://custodian/index.html#/consents?x=1', 'index.html', 'text/html; charset=utf-8'],
    ['app://custodian/assets/index-abc.js', 'assets/index-abc.js', 'text/javascript; charset=utf-8'],
    ['app://custodian/assets/index-abc.css', 'assets/index-abc.css', 'text/css; charset=utf-8'],
    ['app://custodian/assets/my%20logo.svg', 'assets/my logo.svg', 'image/svg+xml'],
    ['app://custodian/assets//double.js', 'assets/double.js', 'text/javascript; charset=utf-8'],
    ['app://custodian/blob.bin', 'blob.bin', 'application/octet-stream'],
  ])('%s serves %s', (url, relative, contentType) => {
    expect(resolveAppAsset(root, url)).toEqual({ ok: true, file: path.join(root, relative), contentType });
  });

  it.each([
    // Dot segments are resolved by the URL parser (encoded or not) and can never climb above the root...
    ['app://custodian/../../etc/passwd', 'etc/passwd'],
    ['app://custodian/%2e%2e/%2e%2e/etc/passwd', 'etc/passwd'],
    ['app://custodian/.%2E/.%2e/etc/passwd', 'etc/passwd'],
    ['app://custodian/assets/../index.html', 'index.html'],
  ])('%s stays inside the root (%s)', (url, relative) => {
    const result = resolveAppAsset(root, url);
    expect(result).toMatchObject({ ok: true, file: path.join(root, relative) });
  });

  it.each([
    // ...and what survives parsing as an encoded separator is refused after decoding.
    ['app://custodian/..%2f..%2fetc%2fpasswd', 403],
    ['app://custodian/assets/..%2F..%2F..%2Fetc/passwd', 403],
    ['app://custodian/%2e%2e%2f%2e%2e%2fetc/passwd', 403],
    ['app://custodian/..%5c..%5cwindows%5cwin.ini', 400],
    ['app://custodian/%5c%5cserver%5cshare', 400],
    ['app://custodian/index.html%00.png', 400],
    ['app://custodian/%E0%A4%A', 400],
    ['app://custodian/C:%2fWindows%2fwin.ini', 403],
    ['app://custodian/%2fetc%2fpasswd', 'inside'],
    ['app://evil/index.html', 403],
    ['app://custodian@evil/index.html', 403],
    ['file:///etc/passwd', 403],
    ['https://custodian/index.html', 403],
  ])('%s is refused (%s)', (url, status) => {
    const result = resolveAppAsset(root, url);
    if (status === 'inside') {
      // A leading encoded slash decodes to an empty segment: still a file under the root, never /etc/passwd.
      expect(result).toMatchObject({ ok: true, file: path.join(root, 'etc/passwd') });
    } else {
      expect(result).toEqual({ ok: false, status });
    }
  });
});

describe('createAppProtocolHandler', () => {
  let dir: string;
  let rendererDir: string;
  beforeAll(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'custodian-app-protocol-'));
    rendererDir = path.join(dir, 'renderer');
    fs.mkdirSync(path.join(rendererDir, 'assets'), { recursive: true });
    fs.writeFileSync(path.join(rendererDir, 'index.html'), '<!doctype html><title>Custodian</title>');
    fs.writeFileSync(path.join(rendererDir, 'assets', 'app.js'), 'console.log(1)');
    fs.writeFileSync(path.join(dir, 'secret.txt'), 'PHI');
    fs.symlinkSync(path.join(dir, 'secret.txt'), path.join(rendererDir, 'assets', 'link.txt'));
    fs.symlinkSync(dir, path.join(rendererDir, 'up'));
  });
  afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

  const get = (url: string, method = 'GET') => createAppProtocolHandler(rendererDir)(new Request(url, { method }));

  it('serves the renderer with the CSP and hardening headers', async () => {
    const res = await get('app://custodian/index.html');
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('text/html; charset=utf-8');
    expect(res.headers.get('content-security-policy')).toBe(APP_CONTENT_SECURITY_POLICY);
    expect(res.headers.get('x-content-type-options')).toBe('nosniff');
    expect(await res.text()).toContain('<title>Custodian</title>');
    expect((await get('app://custodian/assets/app.js')).headers.get('content-type')).toBe('text/javascript; charset=utf-8');
  });

  it('answers HEAD without a body and refuses writes', async () => {
    const head = await get('app://custodian/', 'HEAD');
    expect(head.status).toBe(200);
    expect(await head.text()).toBe('');
    expect((await get('app://custodian/index.html', 'POST')).status).toBe(405);
  });

  it('refuses symlinks that lead outside the renderer folder', async () => {
    const viaFile = await get('app://custodian/assets/link.txt');
    expect(viaFile.status).toBe(403);
    expect(await viaFile.text()).not.toContain('PHI');
    expect((await get('app://custodian/up/secret.txt')).status).toBe(403);
  });

  it('404s for missing files and directories, 403 for traversal and other hosts', async () => {
    expect((await get('app://custodian/missing.js')).status).toBe(404);
    expect((await get('app://custodian/assets')).status).toBe(404);
    expect((await get('app://custodian/..%2fsecret.txt')).status).toBe(403);
    expect((await get('app://other/index.html')).status).toBe(403);
    const refused = await get('app://custodian/..%2fsecret.txt');
    expect(refused.headers.get('content-security-policy')).toBe(APP_CONTENT_SECURITY_POLICY);
  });
});
