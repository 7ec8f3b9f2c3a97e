// Minimum necessary over browser mode's HTTP transport: staff members signed in with real sessions (cookies), the
// IT administrator and the auditor answered without identity, the clerk with it. The full channel × role scan runs
// through the dispatcher in main/runtime/minimum-necessary.test.ts.
import http from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Role } from '../api/permissions';
import { leaks, PATIENTS, startIdentityFixture, type IdentityFixture } from '../compose/identity-fixture';
import { startConsoleServer, type ConsoleServer } from './server';
import { createStaffReady } from '../staff/test-support';

let f: IdentityFixture;

describe('minimum necessary over browser mode HTTP', () => {
  let server: ConsoleServer;
  const cookies: Partial<Record<Role, string>> = {};

  function post(channel: string, body: unknown, cookie = ''): Promise<{ status: number; body: string; setCookie: string }> {
    return new Promise((resolve, reject) => {
      const req = http.request(
        {
          host: '127.0.0.1',
          port: server.port,
          path: `/api/invoke/${channel}`,
          method: 'POST',
          headers: { Authorization: `Bearer ${server.token}`, 'Content-Type': 'application/json', Cookie: cookie },
        },
        (res) => {
          let text = '';
          res.on('data', (c) => (text += c));
          res.on('end', () => resolve({ status: res.statusCode ?? 0, body: text, setCookie: String(res.headers['set-cookie']?.[0] ?? '').split(';')[0]! }));
        },
      );
      req.on('error', reject);
      req.end(JSON.stringify(body));
    });
  }

  beforeAll(async () => {
    f = await startIdentityFixture();
    server = await startConsoleServer({ services: f.services, staticDir: f.dir });
    const setup = await post('auth.setup', { username: 'admin', displayName: 'Ada Admin', password: 'correct horse battery' });
    cookies.it_admin = setup.setCookie;
    for (const role of ['auditor', 'records_clerk'] as const) {
      const adminId = (f.services.db.prepare("SELECT id FROM staff WHERE username = 'admin'").get() as { id: string }).id;
      await createStaffReady(f.services, { id: adminId, name: 'Ada Admin', role: 'it_admin' }, { username: role.replace('_', '.'), displayName: `Http ${role}`, role, password: 'correct horse battery' });
      cookies[role] = (await post('auth.login', { username: role.replace('_', '.'), password: 'correct horse battery' })).setCookie;
    }
  }, 120_000);
  afterAll(async () => {
    await server?.close();
    await f?.stop();
  });

  it('answers the IT admin and the auditor without identity, the clerk with it', async () => {
    const samples: [string, unknown][] = [
      ['consents.list', {}],
      ['consents.get', { id: f.consentIds[0] }],
      ['claims.list', {}],
      ['claims.get', { id: f.claimIds[0] }],
      ['imports.preview', { uploadId: f.uploadFor((f.services.db.prepare("SELECT id FROM staff WHERE username = 'admin'").get() as { id: string }).id) }],
      ['sharing.requests', {}],
      ['audit.disclosures', { patientId: f.patientIds[0] }],
      ['jobs.get', { jobId: f.jobId }],
    ];
    // Real answers, not refusals, where the role may read the channel.
    const answered = {
      it_admin: ['consents.list', 'consents.get', 'imports.preview', 'sharing.requests', 'jobs.get'],
      auditor: ['consents.list', 'consents.get', 'claims.list', 'claims.get', 'sharing.requests', 'audit.disclosures'],
    };
    for (const [channel, input] of samples) {
      for (const role of ['it_admin', 'auditor'] as const) {
        const res = await post(channel, input, cookies[role]);
        expect(leaks(res.body), `${channel} as ${role} over HTTP`).toEqual([]);
        if (answered[role].includes(channel)) expect(res.status, `${channel} as ${role}: ${res.body.slice(0, 200)}`).toBe(200);
      }
    }
    const clerk = await post('consents.get', { id: f.consentIds[0] }, cookies.records_clerk);
    expect(leaks(clerk.body)).toContain(PATIENTS[0].name);
  });
});
