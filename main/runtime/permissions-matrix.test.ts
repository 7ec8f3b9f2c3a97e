// Calls every channel as every role through the real services and checks the outcome against the permission
// table — the one in main/api/permissions.ts and the one documented in the README, which must agree.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { api, CHANNEL_NAMES } from '../api';
import { PERMISSIONS, ROLE_LABELS, ROLE_PERMISSIONS, ROLES, type Role } from '../api/permissions';
import { roleAllows } from '../api/role-check';
import { silentLogger } from './log';
import { startServices, type Services } from '../compose/services';

let dir: string;
let services: Services;

beforeAll(async () => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'custodian-perm-'));
  services = await startServices({ dataDir: dir, runtime: 'cli', logger: silentLogger, config: { chain: { mode: 'none' } } });
});
afterAll(async () => {
  await services.stop();
  fs.rmSync(dir, { recursive: true, force: true });
});

describe('permission table', () => {
  it('is the one documented in the README', () => {
    const readme = fs.readFileSync(path.resolve(import.meta.dirname, '../../README.md'), 'utf8');
    const header = `| permission | ${ROLES.map((r) => ROLE_LABELS[r]).join(' | ')} |`;
    expect(readme).toContain(header);
    for (const p of PERMISSIONS) {
      const row = `| \`${p}\` | ${ROLES.map((r) => (ROLE_PERMISSIONS[r].has(p) ? '✓' : '')).join(' | ')} |`;
      expect(readme.replace(/ +\|/g, ' |').replace(/\| +/g, '| ')).toContain(row.replace(/ +\|/g, ' |').replace(/\| +/g, '| '));
    }
  });

  it.each(ROLES)('every channel called as %s is refused exactly when the role lacks its permission', async (role: Role) => {
    const principal = { id: `test-${role}`, name: `Test ${role}`, role };
    for (const channel of CHANNEL_NAMES) {
      const result = await services.call(channel, { __probe: true }, principal);
      const denied = !result.ok && result.error.code === 'PERMISSION_DENIED';
      expect(denied, `${channel} as ${role} (needs ${api[channel].permission})`).toBe(!roleAllows(role, api[channel].permission));
    }
  });

  it('asks anonymous callers to sign in for every channel that is not public', async () => {
    for (const channel of CHANNEL_NAMES) {
      const result = await services.call(channel, { __probe: true }, {});
      const isPublic = api[channel].permission === 'public';
      if (!isPublic) expect(result, channel).toMatchObject({ ok: false, error: { code: 'NOT_AUTHENTICATED' } });
      else expect(!result.ok && result.error.code === 'NOT_AUTHENTICATED', channel).toBe(false);
    }
  });
});
