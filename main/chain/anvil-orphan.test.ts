// A console killed with SIGKILL runs no exit handler, so its embedded anvil keeps running. This test starts the
// embedded chain in a real child process, SIGKILLs that process, finds its anvil still alive, and checks that the
// next start stops it (and only it) before starting its own.
import { spawn } from 'node:child_process';
import { createRequire } from 'node:module';
import { pathToFileURL } from 'node:url';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { stopStaleAnvil, writeAnvilPid } from './anvil-pidfile';
import { chainPaths, startEmbeddedChain } from './devnet';
import { TEST_FOLDER_SECRET } from './test-support';

const dirs: string[] = [];
afterAll(() => {
  for (const d of dirs) fs.rmSync(d, { recursive: true, force: true });
});

const alive = (pid: number) => {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};

describe.skipIf(process.platform === 'win32')('an orphaned embedded anvil', () => {
  it('is stopped by the next start after its console was killed with SIGKILL', async () => {
    const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'custodian-orphan-'));
    dirs.push(dataDir);
    const script = path.join(dataDir, 'owner.mjs');
    const devnet = pathToFileURL(path.resolve(import.meta.dirname, 'devnet.ts')).href;
    const tsx = pathToFileURL(createRequire(import.meta.url).resolve('tsx/esm/api')).href;
    fs.writeFileSync(
      script,
      `import { register } from ${JSON.stringify(tsx)};\nregister();\nconst { startEmbeddedChain } = await import(${JSON.stringify(devnet)});\nconst chain = await startEmbeddedChain(${JSON.stringify(dataDir)}, Buffer.alloc(32, 0x5c));\nprocess.stdout.write('anvil ' + chain.node.pid + '\\n');\nsetInterval(() => {}, 1000);\n`,
    );
    const owner = spawn(process.execPath, [script], { cwd: path.resolve(import.meta.dirname, '../..'), stdio: ['ignore', 'pipe', 'pipe'] });
    let err = '';
    owner.stderr.on('data', (c: Buffer) => (err += c.toString()));
    const anvilPid = await new Promise<number>((resolve, reject) => {
      let out = '';
      owner.stdout.on('data', (c: Buffer) => {
        out += c.toString();
        const m = /anvil (\d+)/.exec(out);
        if (m) resolve(Number(m[1]));
      });
      owner.on('exit', (code) => reject(new Error(`owner exited (${code}) before its chain was up: ${err}`)));
    });
    const exited = new Promise((r) => owner.once('exit', r));
    owner.kill('SIGKILL');
    await exited;
    expect(alive(anvilPid), 'the anvil outlives its killed owner').toBe(true);
    expect(JSON.parse(fs.readFileSync(chainPaths(dataDir).pidFile, 'utf8'))).toMatchObject({ pid: anvilPid, ownerPid: owner.pid });

    const next = await startEmbeddedChain(dataDir, TEST_FOLDER_SECRET);
    try {
      expect(alive(anvilPid)).toBe(false);
      expect(next.node.pid).not.toBe(anvilPid);
      expect(JSON.parse(fs.readFileSync(chainPaths(dataDir).pidFile, 'utf8'))).toMatchObject({ pid: next.node.pid, ownerPid: process.pid });
    } finally {
      await next.stop();
    }
    expect(fs.existsSync(chainPaths(dataDir).pidFile)).toBe(false);
  }, 120_000);

  it('leaves alone a pid that is not an anvil on this state file, and an anvil whose owner is alive', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'custodian-orphan-other-'));
    dirs.push(dir);
    const pidFile = path.join(dir, 'anvil.pid');
    // This test process is alive and is not an anvil: a reused pid must not be killed.
    fs.writeFileSync(pidFile, JSON.stringify({ pid: process.pid, ownerPid: 999_999_999, stateFile: path.join(dir, 'state.json') }));
    expect(await stopStaleAnvil(pidFile)).toBeNull();
    expect(alive(process.pid)).toBe(true);
    // An owner that is alive (another console on this folder) keeps its anvil.
    const sleeper = spawn(process.execPath, ['-e', 'setInterval(() => {}, 1000)']);
    try {
      writeAnvilPid(pidFile, sleeper.pid!, path.join(dir, 'state.json'));
      const record = JSON.parse(fs.readFileSync(pidFile, 'utf8'));
      fs.writeFileSync(pidFile, JSON.stringify({ ...record, ownerPid: sleeper.pid }));
      expect(await stopStaleAnvil(pidFile)).toBeNull();
      expect(alive(sleeper.pid!)).toBe(true);
    } finally {
      sleeper.kill('SIGKILL');
    }
  });
});
