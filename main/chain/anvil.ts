// Finds and runs the anvil binary as a child process: the local EVM node behind the embedded devnet and tests.
// Bottom of the chain folder: devnet.ts starts it with a state file; contract tests start throwaway nodes.
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { AppError } from '../api/errors';
import { delay, freePort, rpcChainId, type LocalNode } from './local-node';

export interface AnvilOptions {
  /** Load state from this file at start and dump to it on exit and every 5 s. */
  stateFile?: string;
  /** Port to bind; a free one is chosen when omitted. */
  port?: number;
  chainId?: number;
  /** Interval mining in seconds; automine (a block per transaction) when omitted. */
  blockTime?: number;
  host?: '127.0.0.1';
}

/** stop(): SIGTERM, wait for exit (anvil writes its state file on the way out), SIGKILL after 5 s. */
export type AnvilNode = LocalNode;

const READY_TIMEOUT_MS = 20_000;
const STOP_GRACE_MS = 5_000;
const PORT_ATTEMPTS = 5;
const TAIL_LINES = 20;

const PLATFORMS: Record<string, string> = { linux: 'linux', darwin: 'darwin', win32: 'win32' };
const ARCHES: Record<string, string> = { x64: 'amd64', arm64: 'arm64' };

/** Locates anvil: env override, then the copy shipped in a packaged app, then the npm platform package. */
export function findAnvilBinary(): string {
  const exe = process.platform === 'win32' ? 'anvil.exe' : 'anvil';
  const fromEnv = process.env.CUSTODIAN_ANVIL_BIN;
  if (fromEnv) {
    if (existsSync(fromEnv)) return fromEnv;
    throw new AppError('ANVIL_NOT_FOUND', `CUSTODIAN_ANVIL_BIN points to ${fromEnv}, which does not exist.`);
  }
  const resourcesPath = (process as NodeJS.Process & { resourcesPath?: string }).resourcesPath;
  if (resourcesPath) {
    const packaged = path.join(resourcesPath, 'anvil', exe);
    if (existsSync(packaged)) return packaged;
  }
  const platform = PLATFORMS[process.platform];
  const arch = ARCHES[process.arch];
  const pkg = platform && arch ? `@foundry-rs/anvil-${platform}-${arch}` : null;
  if (pkg) {
    try {
      const pkgJson = requireHere().resolve(`${pkg}/package.json`);
      const bin = path.join(path.dirname(pkgJson), 'bin', exe);
      if (existsSync(bin)) return bin;
    } catch {
      // not installed for this platform: fall through to the error below
    }
  }
  throw new AppError(
    'ANVIL_NOT_FOUND',
    `No anvil binary found for ${process.platform}/${process.arch}` +
      (pkg ? ` (npm package ${pkg} is not installed)` : '') +
      '. Set CUSTODIAN_ANVIL_BIN to the path of an anvil executable.',
  );
}

/** createRequire anchored at this module; falls back to the working directory when bundled to CommonJS. */
function requireHere(): NodeRequire {
  const url = import.meta.url as string | undefined;
  return createRequire(url ?? path.join(process.cwd(), 'package.json'));
}

// Children by PID, so a process 'exit' handler can end them even when a test forgot stop().
const running = new Map<number, ChildProcess>();
let exitHandlerInstalled = false;

function installExitHandler(): void {
  if (exitHandlerInstalled) return;
  exitHandlerInstalled = true;
  // 'exit' handlers must be synchronous: signal each child and let it finish (SIGTERM still writes the state file).
  process.on('exit', () => {
    for (const pid of running.keys()) {
      try {
        process.kill(pid, 'SIGTERM');
      } catch {
        // already gone
      }
    }
  });
}

/** Stops every anvil started by this process; for test teardown and app shutdown. */
export async function stopAllAnvilNodes(): Promise<void> {
  await Promise.all([...running.values()].map((child) => stopChild(child)));
}

/** Starts anvil bound to 127.0.0.1 and resolves once it answers eth_chainId. */
export async function startAnvil(opts: AnvilOptions = {}): Promise<AnvilNode> {
  const binary = findAnvilBinary();
  const chainId = opts.chainId ?? 31337;
  if (opts.stateFile) mkdirSync(path.dirname(opts.stateFile), { recursive: true });
  let lastError: unknown;
  for (let attempt = 0; attempt < (opts.port === undefined ? PORT_ATTEMPTS : 1); attempt++) {
    const port = opts.port ?? (await freePort());
    try {
      return await launch(binary, port, chainId, opts);
    } catch (err) {
      lastError = err;
      // Another process may take the port between our probe and anvil's bind: try another one.
      if (!(err instanceof AppError && err.code === 'ANVIL_PORT_IN_USE')) throw err;
    }
  }
  throw lastError;
}

async function launch(binary: string, port: number, chainId: number, opts: AnvilOptions): Promise<AnvilNode> {
  const host = opts.host ?? '127.0.0.1';
  // --no-cors: anvil answers every origin with `Access-Control-Allow-Origin: *` by default, so any web page the
  // workstation's browser opens could drive the devnet's RPC. Only local processes (never browsers) talk to it.
  const args = ['--host', host, '--port', String(port), '--chain-id', String(chainId), '--no-cors'];
  if (opts.blockTime !== undefined) args.push('--block-time', String(opts.blockTime));
  if (opts.stateFile) args.push('--state', opts.stateFile, '--state-interval', '5');

  const child = spawn(binary, args, { stdio: ['ignore', 'pipe', 'pipe'], windowsHide: true });
  const tail: string[] = [];
  // Ready means anvil said it bound the port and then answered RPC. The RPC answer alone is not enough: when
  // the port is taken, another node answers on it while ours is still failing to bind.
  let listening = false;
  const lineReader = (): ((chunk: Buffer) => void) => {
    let partial = '';
    return (chunk) => {
      const lines = (partial + chunk.toString('utf8')).split(/\r?\n/);
      partial = lines.pop() ?? '';
      for (const line of lines) {
        if (line.trim() === '') continue;
        if (line.includes(`Listening on ${host}:${port}`)) listening = true;
        tail.push(line);
        if (tail.length > TAIL_LINES) tail.shift();
      }
    };
  };
  // Both streams must be drained, or anvil blocks once a pipe buffer is full.
  child.stdout?.on('data', lineReader());
  child.stderr?.on('data', lineReader());

  // Written by the child's event handlers, read by the readiness loop below.
  const status: { exit: { code: number | null; signal: string | null } | null; spawnError: Error | null } = {
    exit: null,
    spawnError: null,
  };
  child.on('exit', (code, signal) => {
    status.exit = { code, signal };
    if (child.pid !== undefined) running.delete(child.pid);
  });
  child.on('error', (err) => {
    status.spawnError = err;
  });

  const rpcUrl = `http://${host}:${port}`;
  const deadline = Date.now() + READY_TIMEOUT_MS;
  let lastRpcError = '';
  if (child.pid !== undefined) {
    running.set(child.pid, child);
    installExitHandler();
  }
  for (;;) {
    if (status.spawnError) {
      throw new AppError('ANVIL_START_FAILED', `Could not run ${binary}: ${status.spawnError.message}`);
    }
    if (status.exit) {
      const out = tail.join('\n');
      if (/address already in use/i.test(out)) throw new AppError('ANVIL_PORT_IN_USE', `Port ${port} is in use.`);
      if (opts.stateFile && /for '--state/.test(out)) {
        throw new AppError('ANVIL_STATE_UNREADABLE', `anvil cannot read its state file ${opts.stateFile}:\n${out}`);
      }
      const { code, signal } = status.exit;
      throw new AppError(
        'ANVIL_START_FAILED',
        `anvil exited during start (code ${code ?? 'none'}, signal ${signal ?? 'none'}):\n${out}`,
      );
    }
    const answered = !listening ? null : await rpcChainId(rpcUrl).catch((err: unknown) => {
      lastRpcError = err instanceof Error ? err.message : String(err);
      return null;
    });
    if (answered !== null) {
      if (answered !== chainId) {
        await stopChild(child);
        throw new AppError('CHAIN_ID_MISMATCH', `anvil on ${rpcUrl} reports chain id ${answered}, expected ${chainId}.`);
      }
      break;
    }
    if (Date.now() > deadline) {
      await stopChild(child);
      throw new AppError(
        'ANVIL_START_FAILED',
        `anvil did not ${listening ? 'answer' : 'start listening'} on ${rpcUrl} within ${READY_TIMEOUT_MS / 1000} s` +
          (lastRpcError ? ` (last error: ${lastRpcError})` : '') +
          '. Last output:\n' +
          tail.join('\n'),
      );
    }
    await delay(100);
  }

  const pid = child.pid as number;
  return { rpcUrl, port, pid, chainId, stop: () => stopChild(child) };
}

/** SIGTERM, then SIGKILL if the child has not exited after the grace period. Safe to call twice. */
function stopChild(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise<void>((resolve) => {
    const timer = setTimeout(() => {
      if (child.pid !== undefined) {
        try {
          process.kill(child.pid, 'SIGKILL');
        } catch {
          // exited in the meantime
        }
      }
    }, STOP_GRACE_MS);
    child.once('exit', () => {
      clearTimeout(timer);
      resolve();
    });
    if (child.pid !== undefined) {
      try {
        process.kill(child.pid, 'SIGTERM');
      } catch {
        clearTimeout(timer);
        resolve();
      }
    }
  });
}
