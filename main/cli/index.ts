// The `custodian` command for IT admins and scripts: a small reader of the command table (commands/index.ts).
// It parses the line, finds the command, checks its arguments and flags, opens the data folder and signs the
// caller in as the command declares, and runs it. Every records command calls the typed dispatcher (runtime/call.ts),
// so validation, permissions and audit are the console's.
import { parseArgs } from 'node:util';
import { AppError } from '../api/errors';
import { resolveDataDir } from '../runtime/config';
import { FLAGS, GLOBAL_FLAGS, signIn, withServices, type CliCommand, type CliContext, type FlagName } from './command';
import { COMMANDS } from './commands';
import { commandWords, synopsis, usageText } from './help';

export { formatStatus } from './commands/system';

const USAGE = usageText(COMMANDS);

/** The command whose words (or an alias's) start the positionals; the longest wins (`sync status` over `sync`). */
export function findCommand(table: readonly CliCommand[], positionals: readonly string[]): { command: CliCommand; words: readonly string[] } | null {
  let best: { command: CliCommand; words: readonly string[] } | null = null;
  for (const command of table) {
    for (const words of [command.name, ...(command.aliases ?? [])]) {
      if (words.every((w, i) => positionals[i] === w) && (!best || words.length > best.words.length)) best = { command, words };
    }
  }
  return best;
}

function unknown(positionals: readonly string[]): number {
  const [group, ...rest] = positionals;
  const inGroup = COMMANDS.filter((c) => c.name[0] === group && c.name.length > 1);
  if (inGroup.length === 0) {
    process.stderr.write(`Unknown command: ${group}\n\n${USAGE}\n`);
  } else {
    const expected = inGroup.map((c) => `${commandWords(c)}${(c.args ?? []).filter((a) => !a.optional).map((a) => ` ${a.name}`).join('')}`).join(', ');
    process.stderr.write(`Unknown ${group} command: ${rest.join(' ') || '(none)'} (expected: ${expected})\n\n${USAGE}\n`);
  }
  return 2;
}

export async function main(argv: string[]): Promise<number> {
  const { values, positionals } = parseArgs({ args: argv, allowPositionals: true, options: { ...FLAGS, ...GLOBAL_FLAGS } });
  if (values.help || positionals.length === 0) {
    process.stdout.write(`${USAGE}\n`);
    return positionals.length > 0 || values.help ? 0 : 2;
  }
  const found = findCommand(COMMANDS, positionals);
  if (!found) return unknown(positionals);
  const { command, words } = found;
  const args = positionals.slice(words.length);
  const specs = command.args ?? [];
  const takesRest = specs.some((a) => a.rest);
  // Words beyond what the command takes: a subcommand that does not exist (`sync foo`).
  if (!takesRest && args.length > specs.length) return unknown(positionals);
  const missing = specs.filter((a, i) => !a.optional && args[i] === undefined);
  if (missing.length) throw new AppError('VALIDATION_FAILED', `${words.join(' ')} needs ${missing.map((a) => a.name).join(' and ')} (usage: custodian ${synopsis(command).replace(/\n\s*/g, ' ')}).`);
  const declared = new Set<string>([...(command.flags ?? []), ...Object.keys(GLOBAL_FLAGS)]);
  const stray = Object.keys(values).filter((f) => !declared.has(f));
  if (stray.length) throw new AppError('VALIDATION_FAILED', `${words.join(' ')} takes no ${stray.map((f) => `--${f}`).join(', ')} (usage: custodian ${synopsis(command).replace(/\n\s*/g, ' ')}).`);

  const dataDir = resolveDataDir(values['data-dir']);
  const flagValues = values as Partial<Record<FlagName, string | boolean>>;
  const ctx: CliContext = {
    dataDir,
    words,
    args,
    user: values.user,
    flag: ((name: FlagName) => (FLAGS[name].type === 'boolean' ? flagValues[name] === true : flagValues[name])) as CliContext['flag'],
    io: { out: (t) => process.stdout.write(t), err: (t) => process.stderr.write(t) },
    print: (text, json) => process.stdout.write(values.json ? `${JSON.stringify(json, null, 2)}\n` : `${text}\n`),
    withServices: (fn, options = {}) => withServices(dataDir, fn, options.waitForChain ?? true),
  };
  switch (command.needs) {
    case 'nothing':
      return command.run(ctx);
    case 'services':
      return withServices(dataDir, (s) => command.run(ctx, s), command.waitForChain ?? true);
    case 'signed-in':
      return withServices(dataDir, async (s) => command.run(ctx, await signIn(s, values.user)), command.waitForChain ?? true);
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
