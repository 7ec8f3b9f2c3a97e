// Issuer governance from the CLI needs a signed-in IT admin; anyone else is refused before the chain is touched.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { memorySession } from '../runtime/dispatcher';
import { silentLogger } from '../runtime/log';
import { startServices, type Services } from '../compose/services';
import { issuerGovernanceCommand } from './cli-commands';
import { createStaffReady } from '../staff/test-support';

let dir: string;
let services: Services;
const io = { out: () => undefined, err: () => undefined };
const PASSWORD = 'correct horse battery';

beforeAll(async () => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'custodian-gov-'));
  services = await startServices({ dataDir: dir, runtime: 'cli', logger: silentLogger, config: { chain: { mode: 'none' } }, sync: 'manual' });
  const admin = memorySession();
  await services.call('auth.setup', { username: 'admin', displayName: 'Admin', password: PASSWORD }, { session: admin });
  await createStaffReady(services, { session: admin }, { username: 'clerk', displayName: 'Clerk', role: 'records_clerk', password: PASSWORD });
});
afterAll(async () => {
  await services.stop();
  fs.rmSync(dir, { recursive: true, force: true });
});

async function signedIn(username: string) {
  const session = memorySession();
  const r = await services.call('auth.login', { username, password: PASSWORD }, { session });
  expect(r.ok).toBe(true);
  return { transport: 'cli' as const, session };
}

describe('credentials register-issuer / revoke-issuer', () => {
  const address = '0x00000000000000000000000000000000000000a1';

  it('refuses callers who are not signed in or not IT admins', async () => {
    await expect(issuerGovernanceCommand(services, { transport: 'cli', session: memorySession() }, 'register', address, 'Board', io)).rejects.toMatchObject({ code: 'PERMISSION_DENIED' });
    await expect(issuerGovernanceCommand(services, await signedIn('clerk'), 'revoke', address, undefined, io)).rejects.toMatchObject({
      code: 'PERMISSION_DENIED',
      message: expect.stringMatching(/Clerk is records_clerk/),
    });
  });

  it('lets an IT admin through to the chain check', async () => {
    await expect(issuerGovernanceCommand(services, await signedIn('admin'), 'register', address, 'Board', io)).rejects.toMatchObject({ code: 'CHAIN_UNAVAILABLE' });
  });
});
