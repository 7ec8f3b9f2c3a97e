import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  APP_CONTENT_SECURITY_POLICY,
  APP_ENTRY_URL,
  isAllowedRequestUrl,
  isAppUrl,
  isSafeExternalUrl,
  navigationVerdict,
  safeExternalUrl,
  withContentSecurityPolicy,
} from './url-policy';

describe('isAppUrl', () => {
  it.each([
    [APP_ENTRY_URL, true],
    ['app://custodian/', true],
    ['app://custodian/index.html#/consents', true],
    ['app://custodian/assets/index.js?v=1', true],
    ['app://evil/index.html', false],
    ['app://custodian.evil.com/', false],
    ['app://custodian@evil/', false],
    ['app://user:pw@custodian/', false],
    ['app://custodian:8080/', false],
    ['app:custodian/index.html', false],
    ['https://custodian/', false],
    ['file:///work/main/build/renderer/index.html', false],
    ['http://127.0.0.1:5173/', false],
    ['javascript:alert(1)', false],
    ['data:text/html,<script>alert(1)</script>', false],
    ['about:blank', false],
    ['', false],
    ['not a url', false],
  ])('%s -> %s', (url, expected) => {
    expect(isAppUrl(url)).toBe(expected);
  });

  it('is false for anything that is not a string', () => {
    for (const value of [undefined, null, 42, {}, ['app://custodian/'], new URL('app://custodian/')]) expect(isAppUrl(value)).toBe(false);
  });
});

describe('safeExternalUrl', () => {
  it.each([
    ['https://www.hl7.org/fhir/consent.html', 'https://www.hl7.org/fhir/consent.html'],
    ['http://intranet.hospital.example/help', 'http://intranet.hospital.example/help'],
    ['HTTPS://EXAMPLE.org/a b', 'https://example.org/a%20b'],
    ['javascript:alert(document.domain)', null],
    ['JavaScript:alert(1)', null],
    [' javascript:alert(1)', null],
    ['file:///etc/passwd', null],
    ['file://server/share/records.csv', null],
    ['data:text/html;base64,PHNjcmlwdD4=', null],
    ['vbscript:msgbox(1)', null],
    ['smb://fileserver/records', null],
    ['ms-msdt:/id PCWDiagnostic', null],
    ['mailto:records@hospital.example', null],
    ['app://custodian/index.html', null],
    ['https://user:secret@example.org/', null],
    ['https:///nohost', 'https://nohost/'],
    ['//example.org/relative', null],
    ['', null],
  ])('%s -> %s', (url, expected) => {
    expect(safeExternalUrl(url)).toBe(expected);
    expect(isSafeExternalUrl(url)).toBe(expected !== null);
  });
});

describe('navigationVerdict', () => {
  it.each([
    ['app://custodian/index.html#/audit', 'allow'],
    ['https://docs.example.org/custodian', 'open-external'],
    ['http://example.org/', 'open-external'],
    ['file:///C:/Windows/System32/calc.exe', 'deny'],
    ['javascript:void(0)', 'deny'],
    ['data:text/html,hi', 'deny'],
    ['app://other/index.html', 'deny'],
    ['chrome://gpu', 'deny'],
    ['devtools://devtools/bundled/inspector.html', 'deny'],
  ])('%s -> %s', (url, expected) => {
    expect(navigationVerdict(url)).toBe(expected);
  });
});

describe('isAllowedRequestUrl', () => {
  it.each([
    ['app://custodian/assets/index.js', true],
    ['data:image/png;base64,iVBORw0KGgo=', true],
    ['blob:app://custodian/5f1c7b2e-0000-4000-8000-000000000000', true],
    ['blob:https://evil.example/5f1c7b2e', false],
    ['devtools://devtools/bundled/inspector.html', true],
    ['https://fonts.googleapis.com/css', false],
    ['http://127.0.0.1:8545/', false],
    ['ws://127.0.0.1:8545/', false],
    ['file:///etc/passwd', false],
    ['app://evil/x.js', false],
  ])('%s -> %s', (url, expected) => {
    expect(isAllowedRequestUrl(url)).toBe(expected);
  });
});

describe('withContentSecurityPolicy', () => {
  it('replaces any policy, whatever the header case, and keeps other headers', () => {
    const out = withContentSecurityPolicy({ 'content-security-policy': ["default-src *"], 'Content-Type': 'text/html', 'X-Other': ['a', 'b'] });
    expect(out).toEqual({ 'Content-Type': ['text/html'], 'X-Other': ['a', 'b'], 'Content-Security-Policy': [APP_CONTENT_SECURITY_POLICY] });
    expect(withContentSecurityPolicy(undefined)).toEqual({ 'Content-Security-Policy': [APP_CONTENT_SECURITY_POLICY] });
  });

  it('is the same policy as the meta tag in renderer/index.html, and strict', () => {
    const html = fs.readFileSync(path.resolve(import.meta.dirname, '../../renderer/index.html'), 'utf8');
    const meta = /http-equiv="Content-Security-Policy"\s+content="([^"]+)"/.exec(html)?.[1];
    expect(meta).toBe(APP_CONTENT_SECURITY_POLICY);
    expect(APP_CONTENT_SECURITY_POLICY).toMatch(/default-src 'self'/);
    expect(APP_CONTENT_SECURITY_POLICY).toMatch(/script-src 'self';/);
    expect(APP_CONTENT_SECURITY_POLICY).not.toMatch(/unsafe-eval|script-src[^;]*unsafe-inline|https?:|\*/);
    expect(APP_CONTENT_SECURITY_POLICY).toMatch(/object-src 'none'/);
    expect(APP_CONTENT_SECURITY_POLICY).toMatch(/frame-ancestors 'none'/);
  });
});
