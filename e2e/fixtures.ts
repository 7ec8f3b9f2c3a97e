// Per-test browser-mode server: each test gets its own data folder (from its testId) and its own
// `custodian serve` process, and waits for the line announcing the console URL — never a fixed sleep.
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { test as base, expect } from '@playwright/test';

export const REPO_ROOT = fileURLToPath(new URL('..', import.meta.url));
export const SCREENSHOT_DIR = path.join(REPO_ROOT, 'e2e', 'output', 'screenshots');

/** The CLI to start; overridable to test an installed or packaged `custodian`. */
const CUSTODIAN_BIN = process.env.CUSTODIAN_BIN ?? path.join(REPO_ROOT, 'bin', 'custodian.mjs');
const READY_LINE = /^Custodian console: (http:\/\/127\.0\.0\.1:\d+\/\?token=\S+)$/m;
const START_TIMEOUT_MS = 90_000;
const STOP_TIMEOUT_MS = 15_000;

export interface CustodianServer {
  /** The full console URL, token included, as printed by `custodian serve`. */
  url: string;
  dataDir: string;
  /** Origin of the server, e.g. http://127.0.0.1:43127. */
  baseURL: string;
  token: string;
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

async function startServe(dataDir: string): Promise<RunningServe> {
  // Its own process group, so teardown can also reach what it started (the embedded chain node).
  const child = spawn(process.execPath, [CUSTODIAN_BIN, 'serve', '--data-dir', dataDir, '--port', '0'], {
    cwd: REPO_ROOT,
    env: process.env,
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
    return { server: { url, dataDir, baseURL: parsed.origin, token }, output: () => ({ stdout, stderr }), stop };
  } catch (err) {
    await stop();
    throw err;
  }
}

export const test = base.extend<{ custodian: CustodianServer }>({
  custodian: async ({}, use, testInfo) => {
    const dataDir = dataDirFor(testInfo.testId);
    await fs.rm(dataDir, { recursive: true, force: true });
    await fs.mkdir(dataDir, { recursive: true });
    const running = await startServe(dataDir);
    try {
      await use(running.server);
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
