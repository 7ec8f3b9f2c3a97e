// The shape of one `custodian` command in the command table (main/cli/commands/): its words, arguments, flags,
// the channels it calls, and how it runs. main/cli/index.ts reads the table; nothing else knows the commands.
import path from 'node:path';
import type { ChannelName } from '../api';
import { typedCall, type TypedCall } from '../runtime/call';
import type { CallerContext } from '../runtime/dispatcher';
import { createLogger } from '../runtime/log';
import { startServices, type Services } from '../compose/services';
import { dbPassphraseFromEnvOrPrompt, signInCli } from './session';
import { releaseIdleHeap } from './heap';

/** Every flag any command takes; parsed once, handed only to the commands that declare it. */
export const FLAGS = {
  json: { type: 'boolean' },
  quick: { type: 'boolean' },
  once: { type: 'boolean' },
  'dry-run': { type: 'boolean' },
  released: { type: 'boolean' },
  port: { type: 'string' },
  name: { type: 'string' },
  out: { type: 'string' },
  rpc: { type: 'string' },
  format: { type: 'string' },
  'issuer-key': { type: 'string' },
  signature: { type: 'string' },
  'credential-hash': { type: 'string' },
  status: { type: 'string' },
  'expires-at': { type: 'string' },
  npi: { type: 'string' },
  type: { type: 'string' },
  jurisdiction: { type: 'string' },
  number: { type: 'string' },
  'valid-from': { type: 'string' },
  'valid-until': { type: 'string' },
  'chain-id': { type: 'string' },
  registry: { type: 'string' },
  partner: { type: 'string' },
  'public-key': { type: 'string' },
  direction: { type: 'string' },
  categories: { type: 'string' },
  purposes: { type: 'string' },
  'document-hash': { type: 'string' },
  patient: { type: 'string' },
  category: { type: 'string' },
  purpose: { type: 'string' },
  'org-id': { type: 'string' },
  reason: { type: 'string' },
  ledger: { type: 'string' },
  'at-block': { type: 'string' },
  'key-file': { type: 'string' },
} as const satisfies Record<string, { type: 'string' | 'boolean' }>;

/** Flags every command takes: where the data folder is, who signs in, and help. */
export const GLOBAL_FLAGS = {
  'data-dir': { type: 'string' },
  user: { type: 'string' },
  help: { type: 'boolean' },
} as const;

export type FlagName = keyof typeof FLAGS;
type FlagValue<F extends FlagName> = (typeof FLAGS)[F]['type'] extends 'boolean' ? boolean : string | undefined;

export interface CliOutput {
  out(text: string): void;
  err(text: string): void;
}

/** What a running command gets: its positional arguments, its declared flags, the data folder and the terminal. */
export interface CliContext {
  dataDir: string;
  /** The words that named the command (its name, or the alias typed). */
  words: readonly string[];
  /** The positional arguments after the command's words. */
  args: string[];
  flag<F extends FlagName>(name: F): FlagValue<F>;
  /** --user, or CUSTODIAN_USER when absent (read by signInCli). */
  user: string | undefined;
  io: CliOutput;
  /** Prints `json` as indented JSON with --json, else `text`, each followed by a newline. */
  print(text: string, json: unknown): void;
  /** Starts the data folder's services for `fn` and stops them after; the CLI never syncs in the background. */
  withServices<T>(fn: (services: Services) => Promise<T>, options?: { waitForChain?: boolean }): Promise<T>;
}

/** A signed-in command's session: the services, the caller and the typed call bound to that caller. */
export interface SignedIn {
  services: Services;
  caller: CallerContext;
  call: TypedCall;
}

export interface ArgSpec {
  name: string;
  optional?: boolean;
  /** Takes the rest of the words (e.g. a REASON of several words). */
  rest?: boolean;
}

interface CommandBase {
  /** The words that name the command: ['audit', 'verify']. */
  name: readonly string[];
  /** Other words for the same command: [['audit', 'batch']]. */
  aliases?: readonly (readonly string[])[];
  args?: readonly ArgSpec[];
  flags?: readonly FlagName[];
  /** Usage after the words and arguments when the flag list alone does not say it (alternatives, pairs). */
  usage?: string;
  /** What it does, for the help text (may run over several lines). */
  summary: string;
  /** The API channels it calls through the dispatcher (none for the offline tools). */
  channels: readonly ChannelName[];
}

export type CliCommand =
  /** Needs no data folder (offline tools), or decides itself whether to open one. */
  | (CommandBase & { needs: 'nothing'; run(ctx: CliContext): Promise<number> })
  /** Opens the data folder's services without signing anyone in (public channels, the folder owner's tools). */
  | (CommandBase & { needs: 'services'; waitForChain?: boolean; run(ctx: CliContext, services: Services): Promise<number> })
  /** Signs a staff member in (--user, CUSTODIAN_PASSWORD) and calls the dispatcher as them. */
  | (CommandBase & { needs: 'signed-in'; waitForChain?: boolean; run(ctx: CliContext, session: SignedIn): Promise<number> });

/** The table's entries, as each domain file declares them. */
export function commands(...list: CliCommand[]): CliCommand[] {
  return list;
}

/** Starts services for one command run (shared by the reader and the commands that decide for themselves). */
export async function withServices<T>(dataDir: string, fn: (services: Services) => Promise<T>, waitForChain = true): Promise<T> {
  const dbPassphrase = await dbPassphraseFromEnvOrPrompt(dataDir);
  // The services unwrap the database key first: a 128 MiB scrypt on top of what this thread's heap holds after
  // loading the command table, so that heap is given back first (heap.ts; the CLI's peak RSS at start-up).
  releaseIdleHeap();
  const services = await startServices({
    dataDir,
    runtime: 'cli',
    dbPassphrase,
    waitForChain,
    sync: 'manual',
    logger: createLogger({ file: path.join(dataDir, 'custodian.log'), quiet: true }),
  });
  try {
    return await fn(services);
  } finally {
    await services.stop();
  }
}

/** Signs `user` in on started services: the session every later call of the command uses. */
export async function signIn(services: Services, user: string | undefined): Promise<SignedIn> {
  const caller = await signInCli(services, user);
  return { services, caller, call: typedCall(services.dispatch, caller) };
}
