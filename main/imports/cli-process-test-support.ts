// For tests that run `custodian` as a real process (CUSTODIAN_CHAIN=none unless a test names a node), as a person or a script does: one
// way to spawn it, collect its output and exit, kill it mid-run, and set up a data folder with an IT admin.
import { spawn } from 'node:child_process';
import path from 'node:path';

export const CLI_BIN = path.resolve(import.meta.dirname, '../../bin/custodian.mjs');
/** The password of every account these tests create (the CLI reads it from CUSTODIAN_PASSWORD). */
export const CLI_PASSWORD = 'correct horse battery staple 42';

export interface CliRun {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

export interface CliOptions {
  /** The account that signs in (default admin, the one cliSetUp creates). */
  user?: string;
  /** Called with all of stderr so far on every chunk; kill() ends the process with SIGKILL (a crash, mid-write). */
  onStderr?: (text: string, kill: () => void) => void;
  /** Environment over the defaults (e.g. CUSTODIAN_RPC_URL for a real node instead of CUSTODIAN_CHAIN=none). */
  env?: Record<string, string>;
  /** A hang guard, not a timing: the process is killed (SIGKILL) if it has not ended after this long. */
  killAfterMs?: number;
}

/** Runs `custodian ARGS --data-dir DATA` to its end. */
export function runCli(dataDir: string, args: string[], options: CliOptions = {}): Promise<CliRun> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [CLI_BIN, ...args, '--data-dir', dataDir], {
      env: { ...process.env, CUSTODIAN_CHAIN: 'none', CUSTODIAN_PASSWORD: CLI_PASSWORD, CUSTODIAN_USER: options.user ?? 'admin', CUSTODIAN_RPC_URL: '', ...options.env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const guard = options.killAfterMs === undefined ? null : setTimeout(() => child.kill('SIGKILL'), options.killAfterMs);
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => {
      stderr += d;
      options.onStderr?.(stderr, () => child.kill('SIGKILL'));
    });
    child.on('error', reject);
    child.on('close', (code, signal) => {
      if (guard) clearTimeout(guard);
      resolve({ code, signal, stdout, stderr });
    });
  });
}

/** A new data folder with the IT admin `admin` (Ada Admin); throws with the CLI's stderr when setup fails. */
export async function cliSetUp(dataDir: string): Promise<void> {
  const r = await runCli(dataDir, ['setup', '--user', 'admin', '--name', 'Ada Admin']);
  if (r.code !== 0) throw new Error(`custodian setup exited ${r.code}: ${r.stderr}`);
}
