// Shared by the tests that drive the real services as staff members (dispatcher, permissions, zod, real SQLite,
// no chain): a console on a temporary data folder with the fixed facility secret, and calls made as a principal.
import fs from 'node:fs';
import path from 'node:path';
import type { ApiErrorShape } from '../api/errors';
import type { Principal } from '../api/permissions';
import { seedSecret, tempDir } from '../consents/test-support';
import { silentLogger } from '../runtime/log';
import { startServices, type Services } from './services';

/** Staff members of each role, as the tests act (ids are what the audit trail and undo ownership record). */
export const staff = {
  manager: { id: 'mgr-1', name: 'Manager', role: 'records_manager' },
  otherManager: { id: 'mgr-2', name: 'Other manager', role: 'records_manager' },
  clerk: { id: 'clerk-1', name: 'Clerk', role: 'records_clerk' },
  auditor: { id: 'aud-1', name: 'Auditor', role: 'auditor' },
  admin: { id: 'it-1', name: 'Admin', role: 'it_admin' },
} as const satisfies Record<string, Principal>;

export interface TestConsole {
  /** The suite's temporary folder (the data folder is its data/; files a test hands in may sit beside it). */
  readonly dir: string;
  /** The running services (throws before start and after close). */
  readonly services: Services;
  /** Starts the services on the data folder (made, with its facility secret, at the first start). */
  start(): Promise<Services>;
  /** Stops the services and starts them again on the same data folder: nothing of the first run's memory is left. */
  restart(): Promise<Services>;
  /** Stops the services (if running) and removes the folder. */
  close(): Promise<void>;
  /** The channel's value; a refusal throws an Error whose message is `CODE: message`, with `code` and `details`. */
  call<T>(channel: string, input: unknown, principal?: Principal): Promise<T>;
  /** The channel's refusal; a success throws. */
  refusal(channel: string, input: unknown, principal?: Principal): Promise<ApiErrorShape>;
}

/** A console for one suite: CLI runtime, manual sync, no chain; calls are made as `principal` unless told. */
export function testConsole(prefix: string, principal: Principal): TestConsole {
  let dir: string | null = null;
  let running: Services | null = null;
  const services = (): Services => {
    if (!running) throw new Error('the test console is not running');
    return running;
  };
  const start = async (): Promise<Services> => {
    if (!dir) {
      dir = tempDir(prefix);
      seedSecret(path.join(dir, 'data'));
    }
    running = await startServices({ dataDir: path.join(dir, 'data'), runtime: 'cli', sync: 'manual', logger: silentLogger, config: { chain: { mode: 'none' } } });
    return running;
  };
  return {
    get dir() {
      if (!dir) throw new Error('the test console has no folder before its first start');
      return dir;
    },
    get services() {
      return services();
    },
    start,
    async restart() {
      await services().stop();
      running = null;
      return start();
    },
    async close() {
      await running?.stop();
      running = null;
      if (dir) fs.rmSync(dir, { recursive: true, force: true });
      dir = null;
    },
    async call<T>(channel: string, input: unknown, as: Principal = principal): Promise<T> {
      const r = await services().call(channel, input, { principal: as });
      if (!r.ok) throw Object.assign(new Error(`${r.error.code}: ${r.error.message}`), { code: r.error.code, details: r.error.details });
      return r.value as T;
    },
    async refusal(channel: string, input: unknown, as: Principal = principal): Promise<ApiErrorShape> {
      const r = await services().call(channel, input, { principal: as });
      if (r.ok) throw new Error(`${channel} unexpectedly succeeded`);
      return r.error;
    },
  };
}
