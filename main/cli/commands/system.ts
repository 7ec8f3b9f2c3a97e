// `custodian status`, `setup`, `staff unlock` and `serve`: the data folder itself, its first account and browser mode.
import fs from 'node:fs';
import path from 'node:path';
import { AppError } from '../../api/errors';
import type { SystemStatus } from '../../api/system';
import { typedCall } from '../../runtime/call';
import { memorySession } from '../../runtime/dispatcher';
import { createLogger } from '../../runtime/log';
import { startServices } from '../../compose/services';
import { startConsoleServer } from '../../serve/server';
import { assertOwnsDataDir, staffUnlockCommand } from '../../staff/cli-unlock';
import { commands } from '../command';
import { dbPassphraseFromEnvOrPrompt, passwordFromEnvOrPrompt } from '../session';

const repoRoot = path.resolve(import.meta.dirname, '../../..');

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

async function serve(dataDir: string, port: number | undefined): Promise<void> {
  const staticDir = path.join(repoRoot, 'build', 'renderer');
  if (!fs.existsSync(path.join(staticDir, 'index.html'))) {
    throw new AppError('RENDERER_NOT_BUILT', 'The console UI is not built: run `npm run build` (npm run serve does it for you).');
  }
  const services = await startServices({ dataDir, runtime: 'browser', dbPassphrase: await dbPassphraseFromEnvOrPrompt(dataDir), logger: createLogger({ file: path.join(dataDir, 'custodian.log'), quiet: true }) });
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

export const systemCommands = commands(
  {
    name: ['status'],
    flags: ['json'],
    summary: 'Database, chain and outbox status (--json for machine output)',
    channels: ['system.status'],
    needs: 'services',
    // The status bar's channel: public, shows no patient data.
    run: async (ctx, services) => {
      const status = await typedCall(services.dispatch, { transport: 'cli' })('system.status', {});
      ctx.print(formatStatus(status), status);
      return 0;
    },
  },
  {
    name: ['serve'],
    flags: ['port'],
    summary: 'Browser mode: serve the console on http://127.0.0.1 (--port N, default random)',
    channels: [],
    needs: 'nothing',
    run: async (ctx) => {
      const text = ctx.flag('port');
      const port = text === undefined ? undefined : Number(text);
      if (port !== undefined && (!Number.isInteger(port) || port < 0 || port > 65535)) throw new AppError('VALIDATION_FAILED', `--port must be 0-65535, got ${text}`);
      await serve(ctx.dataDir, port);
      return -1; // keeps running until a signal
    },
  },
  {
    name: ['setup'],
    flags: ['name'],
    usage: '--user NAME --name "Full Name"',
    summary: "Create the first IT-admin account of a new data folder (same as the console's set-up)",
    channels: ['auth.setup'],
    needs: 'nothing',
    run: async (ctx) => {
      const username = ctx.user ?? process.env.CUSTODIAN_USER;
      const displayName = ctx.flag('name');
      if (!username || !displayName) throw new AppError('VALIDATION_FAILED', 'setup needs --user NAME and --name "Full Name".');
      const password = await passwordFromEnvOrPrompt(`New password for ${username}: `);
      const created = await ctx.withServices((s) => typedCall(s.dispatch, { transport: 'cli', session: memorySession() })('auth.setup', { username, displayName, password }), { waitForChain: false });
      ctx.io.out(`Created IT administrator ${created.principal.name} (${username}).\n`);
      return 0;
    },
  },
  {
    name: ['staff', 'unlock'],
    args: [{ name: 'USER' }],
    summary: "Clear an account's failed sign-ins (only as the OS user owning the data folder)",
    channels: ['staff.update'],
    needs: 'nothing',
    run: async (ctx) => {
      const [username] = ctx.args;
      assertOwnsDataDir(ctx.dataDir);
      const unlocked = await ctx.withServices((s) => staffUnlockCommand(s, username!), { waitForChain: false });
      ctx.io.out(`Unlocked ${unlocked.username} (${unlocked.displayName}).\n`);
      return 0;
    },
  },
);
