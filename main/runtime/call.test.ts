// The typed call over the real dispatcher: a value comes back typed, a refusal comes back as its AppError (code,
// message, details kept), and a command's refusal wording names who was refused without deciding anything itself.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AppError } from '../api/errors';
import { createStaffReady } from '../staff/test-support';
import { typedCall, unwrap } from './call';
import { memorySession } from './dispatcher';
import { silentLogger } from './log';
import { startServices, type Services } from '../compose/services';

let dir: string;
let services: Services;
const PASSWORD = 'correct horse battery staple';

beforeAll(async () => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'custodian-call-'));
  services = await startServices({ dataDir: dir, runtime: 'cli', logger: silentLogger, config: { chain: { mode: 'none' } }, sync: 'manual' });
  const admin = memorySession();
  expect(await services.call('auth.setup', { username: 'admin', displayName: 'Ada Admin', password: PASSWORD }, { session: admin })).toMatchObject({ ok: true });
  await createStaffReady(services, { session: admin }, { username: 'clerk', displayName: 'Cole Clerk', role: 'records_clerk', password: PASSWORD });
});
afterAll(async () => {
  await services.stop();
  fs.rmSync(dir, { recursive: true, force: true });
});

async function signedIn(username: string) {
  const caller = { transport: 'cli' as const, session: memorySession() };
  await typedCall(services.dispatch, caller)('auth.login', { username, password: PASSWORD });
  return caller;
}

describe('typedCall', () => {
  it('returns the channel value as the channel table types it', async () => {
    const status = await typedCall(services.dispatch, await signedIn('clerk'))('auth.status', {});
    expect(status.principal).toMatchObject({ name: 'Cole Clerk', role: 'records_clerk' });
  });

  it('throws the refusal as an AppError with its code, message and details', async () => {
    const call = typedCall(services.dispatch, await signedIn('clerk'));
    const err = await call('facilitySecret.fingerprint', {}).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(AppError);
    expect(err).toMatchObject({ code: 'PERMISSION_DENIED', message: expect.stringMatching(/records_clerk/), details: { permission: 'settings.configure' } });
    await expect(call('imports.get', { runId: 'one' as unknown as number })).rejects.toMatchObject({ code: 'VALIDATION_FAILED', message: expect.stringMatching(/runId/) });
  });

  it("words a refusal for a person, naming who was refused, only when the dispatcher refused", async () => {
    const clerk = typedCall(services.dispatch, await signedIn('clerk'));
    await expect(clerk('facilitySecret.fingerprint', {}, { refusal: 'The facility secret needs the IT-admin role' })).rejects.toMatchObject({
      code: 'PERMISSION_DENIED',
      message: 'The facility secret needs the IT-admin role; Cole Clerk is records_clerk.',
    });
    const nobody = typedCall(services.dispatch, { transport: 'cli', session: memorySession() });
    await expect(nobody('facilitySecret.fingerprint', {}, { refusal: 'Needs an IT admin' })).rejects.toMatchObject({ code: 'PERMISSION_DENIED', message: 'Needs an IT admin; nobody is signed in.' });
    const admin = typedCall(services.dispatch, await signedIn('admin'));
    await expect(admin('facilitySecret.fingerprint', {}, { refusal: 'Needs an IT admin' })).resolves.toMatchObject({ fingerprint: null });
  });

  it('unwrap passes a value through and throws an error value', () => {
    expect(unwrap({ ok: true, value: 3 })).toBe(3);
    expect(() => unwrap({ ok: false, error: { code: 'NOT_FOUND', message: 'gone' } })).toThrow(expect.objectContaining({ code: 'NOT_FOUND', message: 'gone' }));
  });
});
