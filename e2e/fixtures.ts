// Per-test browser-mode server: each test gets its own data folder (from its testId) and its own
// `custodian serve` process, and waits for the line announcing the console URL — never a fixed sleep.
// Before serving, the first IT administrator is created with the CLI's `setup` command (as an installer would),
// unless a test sets `adminSetup: 'none'` to go through the console's own set-up screen.
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { test as base, expect, request as playwrightRequest, type APIRequestContext, type APIResponse } from '@playwright/test';
import type { Role } from '../main/api/permissions';

// Every `custodian serve` and `setup` these fixtures start unwraps its data folder's database key with this
// passphrase (the database is encrypted at rest); a spec can override it in extraEnv.
process.env.CUSTODIAN_DB_PASSPHRASE ??= 'e2e database passphrase';

export const REPO_ROOT = fileURLToPath(new URL('..', import.meta.url));
export const SCREENSHOT_DIR = path.join(REPO_ROOT, 'e2e', 'output', 'screenshots');

/** The CLI to start; overridable to test an installed or packaged `custodian`. */
const CUSTODIAN_BIN = process.env.CUSTODIAN_BIN ?? path.join(REPO_ROOT, 'bin', 'custodian.mjs');
const READY_LINE = /^Custodian console: (http:\/\/127\.0\.0\.1:\d+\/\?token=\S+)$/m;
const START_TIMEOUT_MS = 90_000;
const STOP_TIMEOUT_MS = 15_000;

export interface StaffCredentials {
  username: string;
  displayName: string;
  password: string;
  role: Role;
}

/** The first IT administrator every server gets from `custodian setup` (unless adminSetup is 'none'). */
export const ADMIN: StaffCredentials = { username: 'it.admin', displayName: 'Iris Admin', password: 'admin pass phrase 1', role: 'it_admin' };

/** Staff the tests create, one per role that is not the administrator. */
export const STAFF = {
  clerk: { username: 'clerk.cole', displayName: 'Cole Clerk', password: 'clerk pass phrase 1', role: 'records_clerk' },
  manager: { username: 'manager.mae', displayName: 'Mae Manager', password: 'manager pass phrase 1', role: 'records_manager' },
  auditor: { username: 'auditor.abe', displayName: 'Abe Auditor', password: 'auditor pass phrase 1', role: 'auditor' },
} satisfies Record<string, StaffCredentials>;

export interface CustodianServer {
  /** The full console URL, token included, as printed by `custodian serve`. */
  url: string;
  dataDir: string;
  /** Origin of the server, e.g. http://127.0.0.1:43127. */
  baseURL: string;
  token: string;
  /** The administrator created before serving, or null when the test sets up through the console. */
  admin: StaffCredentials | null;
}

/** A data folder unique to this test, under the system temp folder. */
export function dataDirFor(testId: string): string {
  return path.join(os.tmpdir(), 'custodian-e2e', testId.replace(/[^a-zA-Z0-9_-]/g, '_'));
}

interface RunningServe {
  server: CustodianServer;
  output: () => { stdout: string; stderr: string };
  stop: () => Promise<void>;
}

function hasExited(child: ChildProcess): boolean {
  return child.exitCode !== null || child.signalCode !== null;
}

async function waitForExit(child: ChildProcess, ms: number): Promise<boolean> {
  if (hasExited(child)) return true;
  const timer = new Promise<false>((resolve) => setTimeout(() => resolve(false), ms).unref());
  return Promise.race([once(child, 'exit').then(() => true), timer]);
}

async function startServe(dataDir: string, extraEnv: NodeJS.ProcessEnv = {}): Promise<RunningServe> {
  // Its own process group, so teardown can also reach what it started (the embedded chain node).
  const child = spawn(process.execPath, [CUSTODIAN_BIN, 'serve', '--data-dir', dataDir, '--port', '0'], {
    cwd: REPO_ROOT,
    env: { ...process.env, ...extraEnv },
    stdio: ['ignore', 'pipe', 'pipe'],
    detached: true,
  });
  let stdout = '';
  let stderr = '';
  child.stdout!.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk));
  child.stderr!.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));

  const stop = async (): Promise<void> => {
    const pid = child.pid;
    if (!hasExited(child)) {
      child.kill('SIGTERM');
      if (!(await waitForExit(child, STOP_TIMEOUT_MS)) && pid) {
        try {
          process.kill(-pid, 'SIGKILL');
        } catch {
          // Already gone.
        }
        await waitForExit(child, STOP_TIMEOUT_MS);
      }
    }
    if (pid) {
      try {
        process.kill(-pid, 'SIGTERM'); // anything of its group left behind
      } catch {
        // Nothing left: the usual case.
      }
    }
  };

  const describe = (): string => `\n--- stderr ---\n${stderr || '(empty)'}\n--- stdout ---\n${stdout || '(empty)'}`;
  try {
    const url = await new Promise<string>((resolve, reject) => {
      const timer = setTimeout(
        () => reject(new Error(`custodian serve did not print its console URL within ${START_TIMEOUT_MS / 1000} s.${describe()}`)),
        START_TIMEOUT_MS,
      );
      const onData = (): void => {
        const match = READY_LINE.exec(stdout);
        if (match?.[1]) {
          clearTimeout(timer);
          resolve(match[1]);
        }
      };
      child.stdout!.on('data', onData);
      child.once('exit', (code, signal) => {
        clearTimeout(timer);
        // Let the last output arrive before reporting it.
        setImmediate(() => reject(new Error(`custodian serve exited (code ${code}, signal ${signal}) before printing its console URL.${describe()}`)));
      });
      child.once('error', (err) => {
        clearTimeout(timer);
        reject(new Error(`could not start custodian serve: ${err.message}${describe()}`));
      });
      onData();
    });
    const parsed = new URL(url);
    const token = parsed.searchParams.get('token');
    if (!token) throw new Error(`console URL has no token: ${url}`);
    return { server: { url, dataDir, baseURL: parsed.origin, token, admin: null }, output: () => ({ stdout, stderr }), stop };
  } catch (err) {
    await stop();
    throw err;
  }
}

/** `custodian setup`: the first IT administrator of a new data folder, password from the environment. */
async function setupAdmin(dataDir: string, admin: StaffCredentials, extraEnv: NodeJS.ProcessEnv = {}): Promise<void> {
  try {
    await promisify(execFile)(process.execPath, [CUSTODIAN_BIN, 'setup', '--user', admin.username, '--name', admin.displayName, '--data-dir', dataDir], {
      cwd: REPO_ROOT,
      env: { ...process.env, ...extraEnv, CUSTODIAN_PASSWORD: admin.password },
      timeout: 60_000,
    });
  } catch (err) {
    const e = err as Error & { stdout?: string; stderr?: string };
    throw new Error(`custodian setup failed: ${e.message}\n--- stderr ---\n${e.stderr ?? ''}\n--- stdout ---\n${e.stdout ?? ''}`);
  }
}

/** POST /api/invoke/<channel> with the console token, as the page's own fetch would. */
export function invokeAs(api: APIRequestContext, server: CustodianServer, channel: string, input: unknown = {}): Promise<APIResponse> {
  return api.post(`${server.baseURL}/api/invoke/${channel}`, { data: input, headers: { Authorization: `Bearer ${server.token}` } });
}

/** Uploads a file as the signed-in staff member of `api` (POST /api/upload); its id is what the import channels take. */
export async function uploadAs(api: APIRequestContext, server: CustodianServer, file: string): Promise<string> {
  const res = await api.post(`${server.baseURL}/api/upload?name=${encodeURIComponent(path.basename(file))}`, {
    data: await fs.readFile(file),
    headers: { Authorization: `Bearer ${server.token}`, 'Content-Type': 'application/octet-stream' },
  });
  if (!res.ok()) throw new Error(`upload of ${path.basename(file)} failed: HTTP ${res.status()} ${await res.text()}`);
  return ((await res.json()) as { value: { uploadId: string } }).value.uploadId;
}

/** An API client of its own (own cookie jar) signed in as `who`; dispose it when done. */
export async function signedInApi(server: CustodianServer, who: Pick<StaffCredentials, 'username' | 'password'>): Promise<APIRequestContext> {
  const api = await playwrightRequest.newContext();
  const res = await invokeAs(api, server, 'auth.login', { username: who.username, password: who.password });
  if (!res.ok()) {
    await api.dispose();
    throw new Error(`sign-in of ${who.username} failed: HTTP ${res.status()} ${await res.text()}`);
  }
  return api;
}

/** Creates staff accounts through the API as the administrator (for tests whose subject is not account creation). */
export async function provisionStaff(server: CustodianServer, members: readonly StaffCredentials[]): Promise<void> {
  if (!server.admin) throw new Error('provisionStaff needs a server set up with an administrator');
  const api = await signedInApi(server, server.admin);
  try {
    for (const m of members) {
      // As in an office: the administrator sets a temporary password, the person replaces it at first sign-in.
      const temporary = `${m.password} (temporary)`;
      const res = await invokeAs(api, server, 'staff.create', { username: m.username, displayName: m.displayName, role: m.role, password: temporary });
      if (!res.ok()) throw new Error(`staff.create ${m.username} failed: HTTP ${res.status()} ${await res.text()}`);
      const own = await signedInApi(server, { username: m.username, password: temporary });
      try {
        const changed = await invokeAs(own, server, 'auth.changePassword', { currentPassword: temporary, newPassword: m.password });
        if (!changed.ok()) throw new Error(`auth.changePassword ${m.username} failed: HTTP ${changed.status()} ${await changed.text()}`);
      } finally {
        await own.dispose();
      }
    }
  } finally {
    await api.dispose();
  }
}

export interface CustodianOptions {
  /** 'cli' (default): `custodian setup` creates ADMIN before serving. 'none': the console starts at its set-up screen. */
  adminSetup: 'cli' | 'none';
  /** Extra environment of the `custodian serve` process (e.g. a longer audit head interval). */
  serveEnv: NodeJS.ProcessEnv;
}

/**
 * Starts one server (with ADMIN set up unless 'none') on a fresh data folder, for a group of tests that only send
 * requests and may share it; `stop` ends it and removes the folder.
 */
export async function startCustodian(
  dataDir: string,
  adminSetup: CustodianOptions['adminSetup'] = 'cli',
  /** Written into the fresh folder before set-up (e.g. config.json pointing at another server's chain). */
  prepare?: { files?: Record<string, string>; env?: NodeJS.ProcessEnv },
): Promise<{ server: CustodianServer; stop: () => Promise<void> }> {
  await fs.rm(dataDir, { recursive: true, force: true });
  await fs.mkdir(dataDir, { recursive: true });
  for (const [name, text] of Object.entries(prepare?.files ?? {})) await fs.writeFile(path.join(dataDir, name), text, { mode: 0o600 });
  if (adminSetup === 'cli') await setupAdmin(dataDir, ADMIN, prepare?.env);
  const running = await startServe(dataDir, prepare?.env);
  return {
    server: { ...running.server, admin: adminSetup === 'cli' ? ADMIN : null },
    stop: async () => {
      await running.stop();
      await fs.rm(dataDir, { recursive: true, force: true });
    },
  };
}

export const test = base.extend<CustodianOptions & { custodian: CustodianServer }>({
  adminSetup: ['cli', { option: true }],
  serveEnv: [{}, { option: true }],
  custodian: async ({ adminSetup, serveEnv }, use, testInfo) => {
    const dataDir = dataDirFor(testInfo.testId);
    await fs.rm(dataDir, { recursive: true, force: true });
    await fs.mkdir(dataDir, { recursive: true });
    if (adminSetup === 'cli') await setupAdmin(dataDir, ADMIN);
    const running = await startServe(dataDir, serveEnv);
    try {
      await use({ ...running.server, admin: adminSetup === 'cli' ? ADMIN : null });
    } finally {
      await running.stop();
      const { stdout, stderr } = running.output();
      await testInfo.attach('custodian-serve.log', { body: `--- stdout ---\n${stdout}\n--- stderr ---\n${stderr}`, contentType: 'text/plain' });
      // Keep the data folder of a failed test to look at; clean up after a pass.
      if (testInfo.status === testInfo.expectedStatus) await fs.rm(dataDir, { recursive: true, force: true });
    }
  },
});

export { expect };
