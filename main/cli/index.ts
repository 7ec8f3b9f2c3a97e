// The `custodian` command for IT admins and scripts: thin over the same services and API as the console.
// Every command goes through the dispatcher, so validation and permissions are the same as in the UI.
import fs from 'node:fs';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { AppError } from '../api/errors';
import type { SystemStatus } from '../api/system';
import { resolveDataDir } from '../runtime/config';
import { createLogger } from '../runtime/log';
import { startServices, type Services } from '../runtime/services';
import { startConsoleServer } from '../serve/server';

const USAGE = `Usage: custodian <command> [options]

Commands:
  status                 Database, chain and outbox status (--json for machine output)
  serve                  Browser mode: serve the console on http://127.0.0.1 (--port N, default random)

Options:
  --data-dir DIR         Data folder (default: $CUSTODIAN_HOME or the platform's user-data folder)
  --help                 This text`;

const repoRoot = path.resolve(path.dirname(new URL(import.meta.url).pathname), '../..');

export function formatStatus(s: SystemStatus): string {
  const chain = s.chain;
  const chainLine =
    chain.state === 'connected'
      ? `connected (${chain.mode}) ${chain.rpcUrl} chain id ${chain.chainId}, block ${chain.blockNumber}`
      : chain.state === 'offline'
        ? `offline since ${chain.since}: ${chain.reason}`
        : chain.state === 'mismatch'
          ? `chain id mismatch at ${chain.rpcUrl}: expected ${chain.expectedChainId}, node says ${chain.actualChainId}`
          : `connecting (${chain.mode})`;
  const kinds = Object.entries(s.outbox.byKind)
    .map(([k, n]) => `${k}: ${n}`)
    .join(', ');
  return [
    `Custodian ${s.app.version}`,
    `Database: ${s.database.path} (schema v${s.database.schemaVersion}, ${s.database.sizeBytes} bytes)`,
    `Chain:    ${chainLine}`,
    `Outbox:   ${s.outbox.pending} queued${kinds ? ` (${kinds})` : ''}`,
  ].join('\n');
}

async function withServices<T>(dataDir: string, fn: (services: Services) => Promise<T>, waitForChain = true): Promise<T> {
  const services = await startServices({ dataDir, runtime: 'cli', waitForChain, logger: createLogger({ file: path.join(dataDir, 'custodian.log'), quiet: true }) });
  try {
    return await fn(services);
  } finally {
    await services.stop();
  }
}

async function unwrap<T>(result: Promise<{ ok: true; value: unknown } | { ok: false; error: { code: string; message: string; details?: unknown } }>): Promise<T> {
  const r = await result;
  if (!r.ok) throw new AppError(r.error.code, r.error.message, r.error.details);
  return r.value as T;
}

async function serve(dataDir: string, port: number | undefined): Promise<void> {
  const staticDir = path.join(repoRoot, 'build', 'renderer');
  if (!fs.existsSync(path.join(staticDir, 'index.html'))) {
    throw new AppError('RENDERER_NOT_BUILT', 'The console UI is not built: run `npm run build` (npm run serve does it for you).');
  }
  const services = await startServices({ dataDir, runtime: 'browser', logger: createLogger({ file: path.join(dataDir, 'custodian.log'), quiet: true }) });
  const server = await startConsoleServer({ services, staticDir, ...(port !== undefined ? { port } : {}) });
  process.stdout.write(`Custodian console: ${server.url}\n`);
  process.stdout.write(`Data folder: ${services.dataDir} (Ctrl+C to stop)\n`);
  let closing = false;
  const shutdown = async () => {
    if (closing) return;
    closing = true;
    await server.close();
    await services.stop();
    process.exit(0);
  };
  process.on('SIGINT', () => void shutdown());
  process.on('SIGTERM', () => void shutdown());
}

export async function main(argv: string[]): Promise<number> {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: {
      'data-dir': { type: 'string' },
      port: { type: 'string' },
      json: { type: 'boolean', default: false },
      help: { type: 'boolean', default: false },
    },
  });
  const [command] = positionals;
  if (values.help || !command) {
    process.stdout.write(`${USAGE}\n`);
    return command || values.help ? 0 : 2;
  }
  const dataDir = resolveDataDir(values['data-dir']);
  switch (command) {
    case 'status': {
      const status = await withServices(dataDir, (s) => unwrap<SystemStatus>(s.call('system.status', {})));
      process.stdout.write(values.json ? `${JSON.stringify(status, null, 2)}\n` : `${formatStatus(status)}\n`);
      return 0;
    }
    case 'serve': {
      const port = values.port === undefined ? undefined : Number(values.port);
      if (port !== undefined && (!Number.isInteger(port) || port < 0 || port > 65535)) throw new AppError('VALIDATION_FAILED', `--port must be 0-65535, got ${values.port}`);
      await serve(dataDir, port);
      return -1; // keeps running until a signal
    }
    default:
      process.stderr.write(`Unknown command: ${command}\n\n${USAGE}\n`);
      return 2;
  }
}

export async function runCli(argv: string[]): Promise<void> {
  try {
    const code = await main(argv);
    if (code >= 0) process.exit(code);
  } catch (err) {
    const e = err as { code?: string; message?: string };
    process.stderr.write(`custodian: ${e.code ? `[${e.code}] ` : ''}${e.message ?? String(err)}\n`);
    process.exit(1);
  }
}
