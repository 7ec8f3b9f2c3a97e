// Browser mode's guards, tried from outside as an attacker would: no token, a rebound Host, a foreign
// Origin, an unknown channel, no staff session, malformed input. Every answer is a JSON ApiResult with a stable code.
import { dataDirFor, expect, invokeAs, startCustodian, test as base, type CustodianServer } from './fixtures';

// These tests only send requests, each from its own request context (own cookies): one server serves them all.
let shared: Awaited<ReturnType<typeof startCustodian>> | null = null;
const test = base.extend<{ custodian: CustodianServer }>({
  custodian: async ({}, use) => {
    await use(shared!.server);
  },
});
test.beforeAll(async ({}, workerInfo) => {
  shared = await startCustodian(dataDirFor(`security-${workerInfo.workerIndex}`));
});
test.afterAll(async () => {
  await shared?.stop();
  shared = null;
});

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

  test('with the token but no staff session, a signed-in channel is 401 NOT_AUTHENTICATED', async ({ request, custodian }) => {
    const res = await invokeAs(request, custodian, 'jobs.list', { limit: 5 });
    expect(res.status()).toBe(401);
    expect(await res.json()).toMatchObject({ ok: false, error: { code: 'NOT_AUTHENTICATED' } });
    // The session is refused before the input is even looked at: no validation details leak to anonymous callers.
    const bad = await invokeAs(request, custodian, 'jobs.list', { limit: 'x' });
    expect(bad.status()).toBe(401);
    expect(await bad.json()).toMatchObject({ ok: false, error: { code: 'NOT_AUTHENTICATED' } });
  });

  test('the staff session cookie is HttpOnly, SameSite=Strict and scoped to the API', async ({ request, custodian }) => {
    const res = await invokeAs(request, custodian, 'auth.login', { username: custodian.admin!.username, password: custodian.admin!.password });
    expect(res.status()).toBe(200);
    const cookie = res.headers()['set-cookie'] ?? '';
    expect(cookie).toMatch(/^custodian_session=/);
    expect(cookie).toContain('HttpOnly');
    expect(cookie).toContain('SameSite=Strict');
    expect(cookie).toContain('Path=/api');
    // The token itself never appears in the answer's body.
    expect(JSON.stringify(await res.json())).not.toContain(cookie.split(';')[0]!.split('=')[1]!);
  });

  test('bad input is 400 VALIDATION_FAILED naming the field', async ({ request, custodian }) => {
    // Signed in first: anonymous calls are refused before validation.
    const login = await invokeAs(request, custodian, 'auth.login', { username: custodian.admin!.username, password: custodian.admin!.password });
    expect(login.status()).toBe(200);
    const res = await invokeAs(request, custodian, 'jobs.list', { limit: 'x' });
    expect(res.status()).toBe(400);
    const body = await res.json();
    expect(body).toMatchObject({ ok: false, error: { code: 'VALIDATION_FAILED' } });
    expect(JSON.stringify(body.error.details ?? null), 'details name the invalid field').toContain('limit');
  });
});
