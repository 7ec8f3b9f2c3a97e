// edr.ts against the real hardhat node: loopback only, OS-chosen ports, readiness, stop by process group, and no
// node left behind when the process that started it is killed outright.
import { spawn } from 'node:child_process';
import { existsSync, readFileSync, readlinkSync } from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import { startEdr } from './edr';
import type { LocalNode } from './local-node';
import { createProvider, readChainStatus } from './provider';
import { startTwoNodes } from './test-support';

const started: LocalNode[] = [];
afterEach(async () => {
  await Promise.all(started.splice(0).map((n) => n.stop()));
});

/** Alive and not a zombie: an orphan reparented to a PID 1 that does not reap stays a zombie, which is not running. */
function isRunning(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch {
    return false;
  }
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3) !== 'Z';
  } catch {
    return process.platform !== 'linux';
  }
}

function groupExists(pgid: number): boolean {
  try {
    process.kill(-pgid, 0);
    return true;
  } catch {
    return false;
  }
}

async function until(what: string, check: () => boolean, timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

function connects(host: string, port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = net.connect({ host, port, timeout: 2_000 });
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
    socket.once('timeout', () => {
      socket.destroy();
      resolve(false);
    });
  });
}

describe('startEdr', () => {
  it('starts two nodes on distinct loopback ports with the asked chain id; stop ends the process and its group', async () => {
    const [a, b] = await startTwoNodes(startEdr, started, async (provider) => {
      expect(await provider.send('web3_clientVersion', [])).toMatch(/^HardhatNetwork\//);
    });

    // Loopback only: every other address of this machine refuses the port.
    const external = Object.values(os.networkInterfaces())
      .flat()
      .filter((i) => i !== undefined && !i.internal && i.family === 'IPv4')
      .map((i) => i!.address);
    for (const address of external) expect(await connects(address, a.port)).toBe(false);
    expect(await connects('127.0.0.1', a.port)).toBe(true);

    await a.stop();
    await a.stop(); // a second stop is harmless
    expect(isRunning(a.pid)).toBe(false);
    expect(groupExists(a.pid)).toBe(false);
    expect(isRunning(b.pid)).toBe(true);
  });

  it('reports a taken port as EDR_PORT_IN_USE when the port was given explicitly', async () => {
    const first = await startEdr();
    started.push(first);
    await expect(startEdr({ port: first.port })).rejects.toMatchObject({ code: 'EDR_PORT_IN_USE' });
  });

  it('leaves no orphan: a node whose starting process is SIGKILLed exits by itself', async () => {
    const here = path.dirname(fileURLToPath(import.meta.url));
    const parent = spawn(process.execPath, ['--import', 'tsx', path.join(here, 'fixtures', 'edr-parent.ts')], {
      cwd: path.resolve(here, '..', '..'),
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    let err = '';
    parent.stderr.on('data', (c: Buffer) => (err += c.toString()));
    const line = await new Promise<string>((resolve, reject) => {
      parent.stdout.on('data', (c: Buffer) => {
        out += c.toString();
        if (out.includes('\n')) resolve(out.slice(0, out.indexOf('\n')));
      });
      parent.once('exit', (code) => reject(new Error(`edr-parent exited (${code}) before starting a node: ${err}`)));
    });
    const { pid, rpcUrl } = JSON.parse(line) as { pid: number; rpcUrl: string };
    const provider = createProvider(rpcUrl, 31337);
    try {
      expect((await readChainStatus(provider)).chainId).toBe(31337);
    } finally {
      provider.destroy();
    }
    expect(isRunning(pid)).toBe(true);
    const projectDir = process.platform === 'linux' ? readlinkSync(`/proc/${pid}/cwd`) : null;
    if (projectDir !== null) expect(path.basename(projectDir)).toMatch(/^custodian-edr-/);
    const parentGone = new Promise((resolve) => parent.once('exit', resolve));
    parent.kill('SIGKILL');
    await parentGone;
    try {
      await until(`node ${pid} to exit after its parent died`, () => !isRunning(pid));
    } finally {
      // A failed check must not leave the orphan behind (the group may vanish between check and kill).
      if (isRunning(pid)) {
        try {
          process.kill(-pid, 'SIGKILL');
        } catch {
          // already gone
        }
      }
    }
    if (projectDir !== null) expect(existsSync(projectDir)).toBe(false); // its throwaway project folder went with it
  });
});
