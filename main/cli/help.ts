// The help text of `custodian`, generated from the command table: each command's words, arguments and flags, then
// what it does, in the layout of a man page's synopsis.
import { FLAGS, type CliCommand, type FlagName } from './command';

const COLUMN = 25;
/** How the help names a flag's value where its own name would read oddly (--out OUT). */
const VALUE_NAMES: Partial<Record<FlagName, string>> = { out: 'FILE', rpc: 'URL', port: 'N', 'key-file': 'FILE', 'chain-id': 'N', ledger: 'ADDR' };

/** `audit seal|batch`, `payer accept|deny`: a command's words, with its aliases' last words as alternatives. */
export function commandWords(c: CliCommand): string {
  const last = [c.name.at(-1)!, ...(c.aliases ?? []).map((a) => a.at(-1)!)];
  return [...c.name.slice(0, -1), last.join('|')].join(' ');
}

export function synopsis(c: CliCommand): string {
  const args = (c.args ?? []).map((a) => (a.optional ? `[${a.name}${a.rest ? '…' : ''}]` : `${a.name}${a.rest ? '…' : ''}`));
  // Flags the usage text does not already spell out, e.g. [--json].
  const spelled = c.usage ?? '';
  const flags = (c.flags ?? []).filter((f) => !spelled.includes(`--${f}`)).map((f) => (FLAGS[f].type === 'boolean' ? `[--${f}]` : `[--${f} ${VALUE_NAMES[f] ?? f.toUpperCase().replace(/-/g, '_')}]`));
  return [commandWords(c), ...args, ...(c.usage ? [c.usage] : []), ...flags].join(' ');
}

function entry(c: CliCommand): string {
  const [first, ...more] = synopsis(c).split('\n');
  const summary = c.summary.split('\n');
  const lines: string[] = [];
  if (more.length === 0 && first!.length <= COLUMN - 4) {
    lines.push(`  ${first!.padEnd(COLUMN - 2)}${summary[0]}`);
    summary.shift();
  } else {
    lines.push(`  ${first}`, ...more.map((m) => `${' '.repeat(20)}${m.trim()}`));
  }
  for (const s of summary) lines.push(`${' '.repeat(COLUMN)}${s}`);
  return lines.join('\n');
}

export function usageText(table: readonly CliCommand[]): string {
  return `Usage: custodian <command> [options]

Commands:
${table.map(entry).join('\n')}

Options:
  --data-dir DIR         Data folder (default: $CUSTODIAN_HOME or the platform's user-data folder)
  --user NAME            Staff account for commands that touch records (or CUSTODIAN_USER); the password comes
                         from CUSTODIAN_PASSWORD or a hidden prompt
  --help                 This text

The database is encrypted at rest; its key is unwrapped with CUSTODIAN_DB_PASSPHRASE (or a hidden prompt in a
terminal; 12 characters or more, asked twice the first time). Without it every command fails with DB_KEY_MISSING.`;
}
