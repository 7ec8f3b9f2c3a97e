// Browser mode's guards, tried from outside as an attacker would: no token, a rebound Host, a foreign
// Origin, an unknown channel, malformed input. Every answer is a JSON ApiResult with a stable code.
import { expect, test } from './fixtures';

test.describe('browser-mode API guards', () => {
  test('a call without the session token is refused with NOT_AUTHENTICATED', async ({ request, custodian }) => {
    const res = await request.post(`${custodian.baseURL}/api/invoke/system.status`, { data: {} });
    expect(res.status()).toBe(401);
    expect(await res.json()).toMatchObject({ ok: false, error: { code: 'NOT_AUTHENTICATED' } });
  });

  test('a call with the token is answered', async ({ request, custodian }) => {
    const res = await request.post(`${custodian.baseURL}/api/invoke/system.status`, {
      data: {},
      headers: { Authorization: `Bearer ${custodian.token}` },
    });
    expect(res.status()).toBe(200);
    const body = await res.json();
    expect(body).toMatchObject({ ok: true, value: { database: { schemaVersion: expect.any(Number) } } });
  });

  test('a foreign Host header is refused even with the token (DNS rebinding)', async ({ request, custodian }) => {
    const res = await request.post(`${custodian.baseURL}/api/invoke/system.status`, {
      data: {},
      headers: { Authorization: `Bearer ${custodian.token}`, Host: 'evil.example' },
    });
    expect(res.status()).toBe(403);
    expect(await res.json()).toMatchObject({ ok: false });
  });

  test('a foreign Origin is refused even with the token', async ({ request, custodian }) => {
    const res = await request.post(`${custodian.baseURL}/api/invoke/system.status`, {
      data: {},
      headers: { Authorization: `Bearer ${custodian.token}`, Origin: 'http://evil.example' },
    });
    expect(res.status()).toBe(403);
    expect(await res.json()).toMatchObject({ ok: false });
  });

  test('the push stream needs the token too', async ({ request, custodian }) => {
    const res = await request.get(`${custodian.baseURL}/api/events`);
    expect(res.status()).toBe(401);
    expect(await res.json()).toMatchObject({ ok: false, error: { code: 'NOT_AUTHENTICATED' } });
  });

  test('an unknown channel is 404 UNKNOWN_CHANNEL', async ({ request, custodian }) => {
    const res = await request.post(`${custodian.baseURL}/api/invoke/no.such.channel`, {
      data: {},
      headers: { Authorization: `Bearer ${custodian.token}` },
    });
    expect(res.status()).toBe(404);
    expect(await res.json()).toMatchObject({ ok: false, error: { code: 'UNKNOWN_CHANNEL' } });
  });

  test('bad input is 400 VALIDATION_FAILED naming the field', async ({ request, custodian }) => {
    const res = await request.post(`${custodian.baseURL}/api/invoke/jobs.list`, {
      data: { limit: 'x' },
      headers: { Authorization: `Bearer ${custodian.token}` },
    });
    expect(res.status()).toBe(400);
    const body = await res.json();
    expect(body).toMatchObject({ ok: false, error: { code: 'VALIDATION_FAILED' } });
    expect(JSON.stringify(body.error.details ?? null), 'details name the invalid field').toContain('limit');
  });
});
