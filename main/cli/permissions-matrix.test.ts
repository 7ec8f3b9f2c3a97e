// The permission matrix of main/runtime/permissions-matrix.test.ts again, through the CLI's own call path: a staff
// member of each role signs in as `custodian` does (signInCli: auth.login over the 'cli' transport, password from
// CUSTODIAN_PASSWORD) and calls every channel with the typed call the commands use. Each answer must be the
// dispatcher's for that role: the CLI has no permission rules of its own to drift.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { api, CHANNEL_NAMES, type ChannelName } from '../api';
import type { ApiErrorShape } from '../api/errors';
import { ROLES, type Role } from '../api/permissions';
import { roleAllows } from '../api/role-check';
import { typedCall } from '../runtime/call';
import { memorySession } from '../runtime/dispatcher';
import { silentLogger } from '../runtime/log';
import { startServices, type Services } from '../compose/services';
import { createStaffReady } from '../staff/test-support';
import { payerRegisterCommand } from '../claims/cli-commands';
import { signIn, type SignedIn } from './command';

const PASSWORD = 'correct horse battery staple 42';
const USER: Record<Role, string> = { it_admin: 'admin', records_clerk: 'clerk', records_manager: 'manager', auditor: 'auditor' };

let dir: string;
let services: Services;

beforeAll(async () => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'custodian-cli-perm-'));
  services = await startServices({ dataDir: dir, runtime: 'cli', logger: silentLogger, config: { chain: { mode: 'none' } }, sync: 'manual' });
  const admin = memorySession();
  expect(await services.call('auth.setup', { username: USER.it_admin, displayName: 'Ada Admin', password: PASSWORD }, { session: admin })).toMatchObject({ ok: true });
  for (const role of ROLES.filter((r) => r !== 'it_admin')) await createStaffReady(services, { session: admin }, { username: USER[role], displayName: `Test ${role}`, role, password: PASSWORD });
  // signInCli reads the password as the command does: CUSTODIAN_PASSWORD.
  vi.stubEnv('CUSTODIAN_PASSWORD', PASSWORD);
}, 120_000);
afterAll(async () => {
  vi.unstubAllEnvs();
  await services?.stop();
  fs.rmSync(dir, { recursive: true, force: true });
});

/** The refusal the CLI's typed call throws, or null when the dispatcher let the call through to validation or further. */
async function refusal(session: SignedIn, channel: ChannelName): Promise<ApiErrorShape | null> {
  try {
    await session.call(channel, { __probe: true } as never);
    return null;
  } catch (err) {
    return err as ApiErrorShape;
  }
}

describe('permission matrix through the CLI transport', () => {
  it.each(ROLES)('every channel called through the CLI as %s is refused exactly when the dispatcher refuses the role', async (role: Role) => {
    let session = await signIn(services, USER[role]);
    const principal = { id: `probe-${role}`, name: `Probe ${role}`, role };
    for (const channel of CHANNEL_NAMES) {
      let error = await refusal(session, channel);
      // A probe that ended the session (none should: every input is refused by zod first) signs in again once.
      if (error?.code === 'NOT_AUTHENTICATED') {
        session = await signIn(services, USER[role]);
        error = await refusal(session, channel);
      }
      const deniedByCli = error?.code === 'PERMISSION_DENIED';
      const direct = await services.call(channel, { __probe: true }, principal);
      const deniedByDispatcher = !direct.ok && direct.error.code === 'PERMISSION_DENIED';
      expect(deniedByCli, `${channel} as ${role} through the CLI (needs ${api[channel].permission})`).toBe(!roleAllows(role, api[channel].permission));
      expect(deniedByCli, `${channel} as ${role}: the CLI and the dispatcher disagree`).toBe(deniedByDispatcher);
      expect(error?.code, `${channel} as ${role} through the CLI`).not.toBe('NOT_AUTHENTICATED');
    }
  }, 300_000);

  it('asks a CLI caller who did not sign in to sign in for every channel that is not public', async () => {
    const anonymous = typedCall(services.dispatch, { transport: 'cli', session: memorySession() });
    for (const channel of CHANNEL_NAMES) {
      const code = await anonymous(channel, { __probe: true } as never).then(
        () => null,
        (err: ApiErrorShape) => err.code,
      );
      if (api[channel].permission !== 'public') expect(code, channel).toBe('NOT_AUTHENTICATED');
      else expect(code, channel).not.toBe('NOT_AUTHENTICATED');
    }
  }, 120_000);

  it('audits a refused CLI call under the transport it came from', async () => {
    const clerk = await signIn(services, USER.records_clerk);
    await expect(clerk.call('facilitySecret.export', { targetId: 'x'.repeat(22), passphrase: 'not used at all' })).rejects.toMatchObject({ code: 'PERMISSION_DENIED' });
    const row = services.db.prepare("SELECT outcome, details FROM audit_log WHERE action = 'facilitySecret.export' ORDER BY id DESC LIMIT 1").get() as { outcome: string; details: string };
    expect(row.outcome).toBe('denied');
    expect(JSON.parse(row.details)).toMatchObject({ transport: 'cli', error: 'PERMISSION_DENIED' });
  });

  it('runs `payer register` through the dispatcher as every role: only claims.configure addresses a payer, a refusal is audited and touches nothing', async () => {
    const quiet = { out: () => {}, err: () => {} };
    const address = '0x70997970C51812dc3A010C7d01b50e0d17dc79C8';
    const payerRow = (id: string) => services.db.prepare('SELECT address FROM claim_payers WHERE payer_id = ?').pluck().get(id);
    const entries = () => services.db.prepare("SELECT actor_role, outcome, subject, details FROM audit_log WHERE action = 'claims.payers.register' ORDER BY id").all() as { actor_role: string; outcome: string; subject: string | null; details: string }[];
    expect(ROLES.filter((r) => roleAllows(r, 'claims.configure')).sort()).toEqual(['it_admin', 'records_manager']);
    for (const role of ROLES) {
      const payerId = `PAYER-${role}`;
      const session = await signIn(services, USER[role]);
      const before = entries().length;
      // The command path: the channel first, then the chain (none in this folder: CHAIN_UNAVAILABLE after the channel).
      const outcome = await payerRegisterCommand(payerId, address, {}, session, quiet).then(
        () => 'ran to the end',
        (err: ApiErrorShape) => err.code,
      );
      const [entry] = entries().slice(before);
      if (roleAllows(role, 'claims.configure')) {
        expect(outcome, role).toBe('CHAIN_UNAVAILABLE');
        expect(payerRow(payerId), role).toBe(address);
        expect(entry, role).toMatchObject({ actor_role: role, outcome: 'success', subject: `payer:${payerId}` });
        expect(JSON.parse(entry!.details), role).toEqual({ transport: 'cli', address, queued: 0 });
      } else {
        // Refused before the chain is even looked at, the folder unchanged, the refusal in the trail.
        expect(outcome, role).toBe('PERMISSION_DENIED');
        expect(payerRow(payerId), role).toBeUndefined();
        expect(entry, role).toMatchObject({ actor_role: role, outcome: 'denied' });
        expect(JSON.parse(entry!.details), role).toMatchObject({ transport: 'cli', error: 'PERMISSION_DENIED' });
      }
    }
    // A malformed address is the dispatcher's zod's to refuse, naming the field, before anything is written.
    const manager = await signIn(services, USER.records_manager);
    await expect(payerRegisterCommand('PAYER-X', '0x1234', {}, manager, quiet)).rejects.toMatchObject({ code: 'VALIDATION_FAILED', message: expect.stringContaining('address') });
    expect(payerRow('PAYER-X')).toBeUndefined();
  });
});
