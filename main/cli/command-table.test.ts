// The command table and its reader: names are unique, the help text is generated from the table (every command,
// every declared flag), the longest command wins, and the reader refuses unknown subcommands, missing arguments
// and flags a command does not take before any data folder is opened.
import { afterEach, describe, expect, it, vi } from 'vitest';
import { api } from '../api';
import { COMMANDS } from './commands';
import { findCommand, main } from './index';
import { commandWords, usageText } from './help';

const nowhere = '/nonexistent/custodian-command-table';
let written: string[] = [];

function capture() {
  written = [];
  vi.spyOn(process.stdout, 'write').mockImplementation((t) => (written.push(String(t)), true));
  vi.spyOn(process.stderr, 'write').mockImplementation((t) => (written.push(String(t)), true));
}
afterEach(() => vi.restoreAllMocks());

describe('the command table', () => {
  it('names each command once, and every channel it declares is in the API table', () => {
    const names = COMMANDS.flatMap((c) => [c.name, ...(c.aliases ?? [])].map((w) => w.join(' ')));
    expect(new Set(names).size).toBe(names.length);
    for (const c of COMMANDS) for (const channel of c.channels) expect(Object.keys(api), c.name.join(' ')).toContain(channel);
  });

  it('generates the help text from the table: every command and every flag it takes', () => {
    const help = usageText(COMMANDS);
    for (const c of COMMANDS) {
      expect(help, c.name.join(' ')).toContain(`  ${commandWords(c)}`);
      for (const f of c.flags ?? []) expect(help, `${c.name.join(' ')} --${f}`).toContain(`--${f}`);
    }
  });

  it('picks the longest command the words name', () => {
    expect(findCommand(COMMANDS, ['sync', 'status'])?.command.name).toEqual(['sync', 'status']);
    expect(findCommand(COMMANDS, ['sync'])?.command.name).toEqual(['sync']);
    expect(findCommand(COMMANDS, ['audit', 'batch'])?.command.name).toEqual(['audit', 'seal']);
    expect(findCommand(COMMANDS, ['payer', 'deny', '0xab'])?.words).toEqual(['payer', 'deny']);
    expect(findCommand(COMMANDS, ['nonsense'])).toBeNull();
  });
});

describe('the reader', () => {
  it('prints the help (exit 0 when asked, 2 with no command)', async () => {
    capture();
    expect(await main(['--help'])).toBe(0);
    expect(written.join('')).toContain('Usage: custodian <command> [options]');
    expect(await main([])).toBe(2);
  });

  it('exits 2 on an unknown command or subcommand, naming what the group has', async () => {
    capture();
    expect(await main(['sync', 'foo', '--data-dir', nowhere])).toBe(2);
    expect(written.join('')).toContain('Unknown sync command: foo (expected: sync status)');
    expect(await main(['import', '--data-dir', nowhere])).toBe(2);
    expect(written.join('')).toMatch(/Unknown import command: \(none\) \(expected: .*import consents FILE.*import claims FILE/);
    expect(await main(['frobnicate', '--data-dir', nowhere])).toBe(2);
  });

  it('refuses a missing argument and a flag the command does not take, before opening the data folder', async () => {
    capture();
    await expect(main(['audit', 'proof', '--data-dir', nowhere])).rejects.toMatchObject({ code: 'VALIDATION_FAILED', message: expect.stringContaining('audit proof needs ID') });
    await expect(main(['status', '--out', 'x', '--data-dir', nowhere])).rejects.toMatchObject({ code: 'VALIDATION_FAILED', message: expect.stringContaining('status takes no --out') });
  });
});
