// The embedded anvil's pid file (<data dir>/chain/anvil.pid): who started it and which process it is, so that a
// console killed with SIGKILL (no exit handler runs) does not leave its anvil running forever. The next start
// stops an anvil whose owner is gone, after checking the pid still names an anvil on this state file.
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { processAlive } from '../host/process-alive';

interface PidRecord {
  pid: number;
  ownerPid: number;
  stateFile: string;
}

/** The command line of a process (POSIX ps), or null when it is gone or unknown. */
function commandOf(pid: number): string | null {
  if (process.platform === 'win32') return null;
  try {
    return execFileSync('ps', ['-o', 'command=', '-p', String(pid)], { encoding: 'utf8' }).trim() || null;
  } catch {
    return null;
  }
}

function readRecord(file: string): PidRecord | null {
  try {
    const r = JSON.parse(readFileSync(file, 'utf8')) as Partial<PidRecord>;
    return Number.isSafeInteger(r.pid) && Number.isSafeInteger(r.ownerPid) && typeof r.stateFile === 'string' ? (r as PidRecord) : null;
  } catch {
    return null;
  }
}

/**
 * Stops the anvil a previous console left behind: only when its owner process is gone, and only if the pid is
 * still an anvil on this state file (a reused pid is left alone). Resolves once it has exited. Returns its pid.
 */
export async function stopStaleAnvil(pidFile: string, waitMs = 10_000): Promise<number | null> {
  if (!existsSync(pidFile)) return null;
  const record = readRecord(pidFile);
  if (!record || (record.ownerPid !== process.pid && processAlive(record.ownerPid))) return null;
  const command = commandOf(record.pid);
  if (!processAlive(record.pid) || !command || !/anvil/.test(command) || !command.includes(record.stateFile)) {
    rmSync(pidFile, { force: true });
    return null;
  }
  process.kill(record.pid, 'SIGTERM');
  // anvil dumps its state on SIGTERM; give it the grace period, then SIGKILL.
  const deadline = Date.now() + waitMs;
  while (processAlive(record.pid) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
  if (processAlive(record.pid)) process.kill(record.pid, 'SIGKILL');
  while (processAlive(record.pid)) await new Promise((r) => setTimeout(r, 20));
  rmSync(pidFile, { force: true });
  return record.pid;
}

export function writeAnvilPid(pidFile: string, pid: number, stateFile: string): void {
  writeFileSync(pidFile, `${JSON.stringify({ pid, ownerPid: process.pid, stateFile } satisfies PidRecord)}\n`, { mode: 0o600 });
}

export function removeAnvilPid(pidFile: string, pid: number): void {
  if (readRecord(pidFile)?.pid === pid) rmSync(pidFile, { force: true });
}
