import { describe, expect, it } from 'vitest';
import { checkHost, checkOrigin, checkToken, guardApiRequest, newToken } from './guards';

const PORT = 43210;
const TOKEN = 'a'.repeat(43);

describe('browser-mode guards', () => {
  it.each([
    ['127.0.0.1:43210', true],
    ['localhost:43210', true],
    ['LOCALHOST:43210', true],
    ['127.0.0.1:1', false],
    ['127.0.0.1', false],
    ['evil.example', false],
    ['evil.example:43210', false],
    ['127.0.0.1.evil.example:43210', false],
    ['[::1]:43210', false],
    [undefined, false],
  ])('Host %s allowed: %s', (host, allowed) => {
    expect(checkHost(host, PORT).ok).toBe(allowed);
  });

  it.each([
    [undefined, true],
    ['http://127.0.0.1:43210', true],
    ['http://localhost:43210', true],
    ['http://127.0.0.1:43211', false],
    ['https://127.0.0.1:43210', false],
    ['http://evil.example', false],
    ['null', false],
    ['file://', false],
  ])('Origin %s allowed: %s', (origin, allowed) => {
    expect(checkOrigin(origin, PORT).ok).toBe(allowed);
  });

  it.each([
    [`Bearer ${TOKEN}`, true],
    [`Bearer ${TOKEN}x`, false],
    [`Bearer ${TOKEN.slice(1)}`, false],
    [`bearer ${TOKEN}`, false],
    [TOKEN, false],
    ['Bearer ', false],
    [undefined, false],
  ])('Authorization %s accepted: %s', (authorization, ok) => {
    expect(checkToken(authorization, TOKEN).ok).toBe(ok);
  });

  it('checks host before token so a rebinding page learns nothing about the token', () => {
    const verdict = guardApiRequest({ host: 'evil.example', origin: undefined, authorization: undefined }, PORT, TOKEN);
    expect(verdict).toMatchObject({ ok: false, status: 403, code: 'FORBIDDEN_HOST' });
  });

  it('makes a new 256-bit token each launch', () => {
    const a = newToken();
    expect(a).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(newToken()).not.toBe(a);
  });
});
