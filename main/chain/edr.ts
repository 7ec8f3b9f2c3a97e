// Runs Hardhat's EDR network (`hardhat node`) as a child process: the second, independent EVM node the chain
// suites run against besides anvil (test-node.ts picks one). Tests only: hardhat is a dev dependency, never bundled.
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import os from 'node:os';
import path from 'node:path';
import { delay, LocalNodeError, rpcChainId, type LocalNode } from './local-node';

export interface EdrOptions {
  chainId?: number;
  /** Port to bind; the OS picks a free one (port 0) when omitted, and the node reports which. */
  port?: number;
}

const READY_TIMEOUT_MS = 60_000;
const STOP_GRACE_MS = 5_000;
const TAIL_LINES = 20;

/**
 * Loaded into the node before Hardhat (node --import): the node exits when its stdin closes. Stdin is a pipe
 * from this process, and the OS closes it when this process ends in any way (SIGKILL included), so a node can
 * never outlive the test process that started it, although it runs in its own process group. On that exit it
 * also removes its throwaway project folder (its working directory), which a killed parent cannot.
 */
const EXIT_WITH_PARENT =
  'data:text/javascript,import{rmSync}from"node:fs";const dir=process.cwd();' +
  'const leave=()=>{try{rmSync(dir,{recursive:true,force:true})}catch{}process.exit(0)};' +
  'process.stdin.on("end",leave);process.stdin.on("error",leave);process.stdin.resume();';

/** The directory of the installed hardhat package (its CLI is dist/src/cli.js there). */
export function findHardhatPackage(): string {
  const url = import.meta.url as string | undefined;
  const req = createRequire(url ?? path.join(process.cwd(), 'package.json'));
  let entry: string;
  try {
    entry = req.resolve('hardhat');
  } catch {
    throw new LocalNodeError('EDR_NOT_FOUND', 'The hardhat package is not installed (it is a dev dependency: run npm install).');
  }
  // Walk up from the entry point to the package root; the exports map does not expose package.json.
  for (let dir = path.dirname(entry); dir !== path.dirname(dir); dir = path.dirname(dir)) {
    const pkg = path.join(dir, 'package.json');
    if (existsSync(pkg) && (JSON.parse(readFileSync(pkg, 'utf8')) as { name?: string }).name === 'hardhat') return dir;
  }
  throw new LocalNodeError('EDR_NOT_FOUND', `No hardhat package.json above ${entry}.`);
}

/**
 * Hardhat 3 runs only inside a project: an ESM package.json, a config file, and hardhat resolvable from there
 * (it refuses a "non-local installation"). A throwaway folder with a link to the installed package is enough.
 */
function makeProjectFolder(hardhatDir: string): string {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'custodian-edr-'));
  writeFileSync(path.join(dir, 'package.json'), JSON.stringify({ name: 'custodian-edr-node', private: true, type: 'module' }));
  writeFileSync(path.join(dir, 'hardhat.config.js'), 'export default {};\n');
  mkdirSync(path.join(dir, 'node_modules'));
  symlinkSync(hardhatDir, path.join(dir, 'node_modules', 'hardhat'), 'junction');
  return dir;
}

/** Starts `hardhat node` bound to 127.0.0.1 and resolves once it answers eth_chainId with the asked chain id. */
export async function startEdr(opts: EdrOptions = {}): Promise<LocalNode> {
  const hardhatDir = findHardhatPackage();
  const chainId = opts.chainId ?? 31337;
  const projectDir = makeProjectFolder(hardhatDir);
  const args = [
    '--import',
    EXIT_WITH_PARENT,
    path.join(hardhatDir, 'dist', 'src', 'cli.js'),
    'node',
    // Hardhat binds 0.0.0.0 inside containers unless told: always loopback.
    '--hostname',
    '127.0.0.1',
    '--port',
    String(opts.port ?? 0),
    '--chain-id',
    String(chainId),
  ];
  // Its own process group (detached), so stop() can signal the node and anything it spawned as one.
  const child = spawn(process.execPath, args, {
    cwd: projectDir,
    detached: true,
    stdio: ['pipe', 'pipe', 'pipe'],
    windowsHide: true,
    env: { ...process.env, HARDHAT_DISABLE_TELEMETRY: 'true', NO_COLOR: '1', FORCE_COLOR: '0' },
  });
  const cleanup = () => rmSync(projectDir, { recursive: true, force: true });
  const tail: string[] = [];
  let listeningPort: number | null = null;
  const lineReader = (): ((chunk: Buffer) => void) => {
    let partial = '';
    return (chunk) => {
      // eslint-disable-next-line no-control-regex -- colour codes, should a terminal setting force them on
      const lines = (partial + chunk.toString('utf8')).replace(/\x1b\[[0-9;]*m/g, '').split(/\r?\n/);
      partial = lines.pop() ?? '';
      for (const line of lines) {
        if (line.trim() === '') continue;
        const started = /JSON-RPC server at http:\/\/127\.0\.0\.1:(\d+)\//.exec(line);
        if (started) listeningPort = Number(started[1]);
        tail.push(line);
        if (tail.length > TAIL_LINES) tail.shift();
      }
    };
  };
  // Both streams must be drained, or the node blocks once a pipe buffer is full.
  child.stdout?.on('data', lineReader());
  child.stderr?.on('data', lineReader());
  const status: { exit: { code: number | null; signal: string | null } | null; spawnError: Error | null } = { exit: null, spawnError: null };
  child.on('exit', (code, signal) => {
    status.exit = { code, signal };
    cleanup();
  });
  child.on('error', (err) => {
    status.spawnError = err;
  });

  const deadline = Date.now() + READY_TIMEOUT_MS;
  let lastRpcError = '';
  for (;;) {
    if (status.spawnError) {
      cleanup();
      throw new LocalNodeError('EDR_START_FAILED', `Could not run hardhat node: ${status.spawnError.message}`);
    }
    if (status.exit) {
      const out = tail.join('\n');
      if (/EADDRINUSE|address already in use/i.test(out)) throw new LocalNodeError('EDR_PORT_IN_USE', `Port ${opts.port} is in use.`);
      throw new LocalNodeError('EDR_START_FAILED', `hardhat node exited during start (code ${status.exit.code ?? 'none'}, signal ${status.exit.signal ?? 'none'}):\n${out}`);
    }
    // Ready means the node said which port it bound and then answered there (not some other process's node).
    const port: number | null = listeningPort;
    if (port !== null) {
      const answered = await rpcChainId(`http://127.0.0.1:${port}`).catch((err: unknown) => {
        lastRpcError = err instanceof Error ? err.message : String(err);
        return null;
      });
      if (answered !== null) {
        if (answered !== chainId) {
          await stopGroup(child);
          throw new LocalNodeError('EDR_START_FAILED', `hardhat node on port ${port} reports chain id ${answered}, expected ${chainId}.`);
        }
        const rpcUrl = `http://127.0.0.1:${port}`;
        await quietLogging(rpcUrl).catch(async (err: unknown) => {
          await stopGroup(child);
          throw err;
        });
        return { rpcUrl, port, pid: child.pid as number, chainId, stop: () => stopGroup(child) };
      }
    }
    if (Date.now() > deadline) {
      await stopGroup(child);
      throw new LocalNodeError(
        'EDR_START_FAILED',
        `hardhat node did not ${port === null ? 'start listening' : 'answer'} within ${READY_TIMEOUT_MS / 1000} s` +
          (lastRpcError ? ` (last error: ${lastRpcError})` : '') +
          '. Last output:\n' +
          tail.join('\n'),
      );
    }
    await delay(100);
  }
}

/** `hardhat node` prints every call it serves; the tests make thousands, so switch that off once ready. */
async function quietLogging(rpcUrl: string): Promise<void> {
  await fetch(rpcUrl, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'hardhat_setLoggingEnabled', params: [false] }),
    signal: AbortSignal.timeout(5_000),
  });
}

/** SIGTERM to the node's process group, SIGKILL to the group after the grace period; resolves on exit. */
function stopGroup(child: ChildProcess): Promise<void> {
  const pid = child.pid;
  if (pid === undefined || child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  const signalGroup = (signal: NodeJS.Signals): boolean => {
    try {
      process.kill(-pid, signal);
      return true;
    } catch {
      return false; // the group is gone already
    }
  };
  return new Promise<void>((resolve) => {
    const timer = setTimeout(() => signalGroup('SIGKILL'), STOP_GRACE_MS);
    child.once('exit', () => {
      clearTimeout(timer);
      // Anything the node left behind in its group goes with it.
      signalGroup('SIGKILL');
      resolve();
    });
    if (!signalGroup('SIGTERM')) {
      clearTimeout(timer);
      resolve();
    }
  });
}
