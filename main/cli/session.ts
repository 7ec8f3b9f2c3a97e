// Signing the CLI in: commands that touch records run as a named staff member (--user or CUSTODIAN_USER), with
// the password from CUSTODIAN_PASSWORD or typed at a hidden prompt, through the same auth.login as the console.
import fs from 'node:fs';
import readline from 'node:readline';
import { AppError } from '../api/errors';
import { databaseKeyFiles } from '../db/key-store';
import { memorySession, type CallerContext } from '../runtime/dispatcher';
import { typedCall } from '../runtime/call';
import type { Services } from '../compose/services';

export async function promptHidden(question: string): Promise<string> {
  if (!process.stdin.isTTY) throw new AppError('AUTH_FAILED', 'No password: set CUSTODIAN_PASSWORD or run in a terminal to be asked.');
  const rl = readline.createInterface({ input: process.stdin, output: process.stderr, terminal: true });
  const output = rl as unknown as { _writeToOutput: (s: string) => void };
  let asked = false;
  output._writeToOutput = (s: string) => {
    // Echo the question once, then nothing of what is typed.
    if (!asked) process.stderr.write(s);
    asked = true;
  };
  try {
    return await new Promise<string>((resolve) => rl.question(question, resolve));
  } finally {
    rl.close();
    process.stderr.write('\n');
  }
}

export async function passwordFromEnvOrPrompt(label = 'Password: '): Promise<string> {
  return process.env.CUSTODIAN_PASSWORD ?? (await promptHidden(label));
}

/** Signs in through auth.login and returns the caller context every later call of the command uses. */
export async function signInCli(services: Services, user: string | undefined): Promise<CallerContext> {
  const username = user ?? process.env.CUSTODIAN_USER;
  if (!username) throw new AppError('NOT_AUTHENTICATED', 'This command needs a staff account: pass --user NAME (or set CUSTODIAN_USER).');
  const session = memorySession();
  const password = await passwordFromEnvOrPrompt(`Password for ${username}: `);
  const login = () => typedCall(services.dispatch, { transport: 'cli', session })('auth.login', { username, password });
  await login();
  // A command outlives the console's inactivity lock when it waits on its own job (a 1,000,000-row import takes half
  // an hour): its next call is refused SESSION_LOCKED, and it signs the same account in again with the password it
  // was given, which this process holds until it exits anyway. A changed password or a disabled account refuses it.
  const caller: CallerContext = { transport: 'cli', session, reauthenticate: async () => void (await login()) };
  return caller;
}

/**
 * The database passphrase for the CLI and browser mode: CUSTODIAN_DB_PASSPHRASE, or typed at a hidden prompt in a
 * terminal (twice when the folder has no key yet, so a typo cannot lock the data away). Null without either:
 * startServices then fails closed with DB_KEY_MISSING.
 */
export async function dbPassphraseFromEnvOrPrompt(dataDir: string): Promise<string | null> {
  const fromEnv = process.env.CUSTODIAN_DB_PASSPHRASE;
  if (fromEnv !== undefined) return fromEnv;
  if (!process.stdin.isTTY) return null;
  const first = await promptHidden('Database passphrase: ');
  if (!fs.existsSync(databaseKeyFiles(dataDir).wrapped) && (await promptHidden('The same database passphrase again: ')) !== first) {
    throw new AppError('DB_KEY_MISSING', 'The two database passphrases differ; nothing was created.');
  }
  return first;
}

/** The signed-in staff member's id, to register files for (NOT_AUTHENTICATED without one). */
async function principalId(services: Services, caller: CallerContext): Promise<string> {
  const { principal } = await typedCall(services.dispatch, caller)('auth.status', {});
  if (!principal) throw new AppError('NOT_AUTHENTICATED', 'Sign in before naming a file.');
  return principal.id;
}

/** A file the command writes (an export): registered by id for the signed-in staff member; the channel gets the id. */
export async function registerCliSaveTarget(services: Services, caller: CallerContext, file: string): Promise<string> {
  return services.uploads.registerSaveTarget(file, await principalId(services, caller)).targetId;
}

/**
 * The CLI acts for the OS user who runs it, so it may name a file by path: it registers the file for the signed-in
 * staff member and the import channels get its id, like an upload's. No channel takes a path from any transport.
 */
export async function registerCliFile(services: Services, caller: CallerContext, file: string): Promise<string> {
  return services.uploads.registerPicked(file, await principalId(services, caller)).uploadId;
}
