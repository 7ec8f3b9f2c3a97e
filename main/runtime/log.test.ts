// The file logger: structured JSON lines, PHI and secret fields redacted at any of the listed names, size-based
// rotation keeping N files, and owner-only files (0600), also for a file an older version left world-readable.
import fs from 'node:fs';
import os from 'node:os';
import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { afterAll, describe, expect, it, vi } from 'vitest';
import { createLogger, REDACTED, REDACTED_FIELDS } from './log';

const work = fs.mkdtempSync(path.join(os.tmpdir(), 'custodian-log-'));
afterAll(() => fs.rmSync(work, { recursive: true, force: true }));
// stderr is not under test here.
vi.spyOn(process.stderr, 'write').mockImplementation(() => true);

const linesOf = (file: string) =>
  fs
    .readFileSync(file, 'utf8')
    .split('\n')
    .filter(Boolean)
    .map((l) => JSON.parse(l) as Record<string, unknown>);

describe('createLogger', () => {
  it('writes structured lines with level, time, message and fields', async () => {
    const file = path.join(work, 'structured', 'custodian.log');
    const log = createLogger({ file });
    log.info('import committed', { runId: 12, rows: 5000 });
    log.error('sync failed', { code: 'SYNC_RPC' });
    await log.flush();
    const [a, b] = linesOf(file);
    expect(a).toMatchObject({ level: 'info', msg: 'import committed', runId: 12, rows: 5000, pid: process.pid });
    expect(new Date(String(a!.time)).toISOString()).toBe(a!.time);
    expect(b).toMatchObject({ level: 'error', msg: 'sync failed', code: 'SYNC_RPC' });
  });

  it('redacts every listed field at the top level and one object down, keeping the key', async () => {
    const file = path.join(work, 'redact.log');
    const log = createLogger({ file });
    const phi = Object.fromEntries(REDACTED_FIELDS.map((k) => [k, `PHI-${k}-value`]));
    log.warn('a careless call', { ...phi, patient: { ...phi, pseudonym: '0xabc' }, row: 7 });
    await log.flush();
    const text = fs.readFileSync(file, 'utf8');
    expect(text).not.toMatch(/PHI-/);
    const [line] = linesOf(file);
    for (const k of REDACTED_FIELDS) {
      expect(line![k], k).toBe(REDACTED);
      expect((line!.patient as Record<string, unknown>)[k], `patient.${k}`).toBe(REDACTED);
    }
    // Pseudonyms, ids and counts are what logs are for.
    expect(line).toMatchObject({ row: 7, patient: { pseudonym: '0xabc' } });
  });

  it('rotates by size, keeps the newest N files, and never splits a line', async () => {
    const file = path.join(work, 'rotate', 'custodian.log');
    const log = createLogger({ file, maxBytes: 8_000, keep: 3 });
    for (let i = 0; i < 600; i++) {
      log.info('entry', { i, pad: 'x'.repeat(40) });
      // Let the asynchronous writes go out as they would in a running app.
      if (i % 10 === 9) await log.flush();
    }
    await log.flush();
    const files = fs.readdirSync(path.dirname(file)).sort();
    expect(files).toEqual(['custodian.log', 'custodian.log.1', 'custodian.log.2', 'custodian.log.3']);
    const all = [`${file}.3`, `${file}.2`, `${file}.1`, file].flatMap(linesOf).map((l) => l.i as number);
    // Within maxBytes, give or take the 4 KiB write buffer.
    for (const f of files) expect(fs.statSync(path.join(path.dirname(file), f)).size).toBeLessThanOrEqual(8_000 + 4_096);
    // The kept files hold the newest entries, in order, with nothing lost between them.
    expect(all.at(-1)).toBe(599);
    expect(all.length).toBeGreaterThan(150);
    expect(all).toEqual(Array.from({ length: all.length }, (_, k) => 600 - all.length + k));
  });

  it.runIf(process.platform !== 'win32')('creates files 0600, including rotated ones and one that was world-readable', async () => {
    const dir = path.join(work, 'mode');
    fs.mkdirSync(dir);
    const file = path.join(dir, 'custodian.log');
    fs.writeFileSync(file, '', { mode: 0o644 });
    fs.chmodSync(file, 0o644);
    const log = createLogger({ file, maxBytes: 300, keep: 2 });
    for (let i = 0; i < 10; i++) {
      log.info('entry', { i });
      await log.flush();
    }
    for (const f of fs.readdirSync(dir)) expect((fs.statSync(path.join(dir, f)).mode & 0o777).toString(8), f).toBe('600');
    expect(fs.readdirSync(dir).length).toBe(3);
  });
});

// A CLI command refused before it starts exits at once, right after its first log line. pino flushes a file
// destination synchronously in its exit hook; if the file were still being opened asynchronously, that flush threw
// "sonic boom is not ready yet" and the process died with that error over its own exit code, and the line was lost.
describe('a process that logs and exits at once', () => {
  it('exits with its own code, stderr free of logger errors, and the line is in the file', () => {
    const file = path.join(work, 'exit', 'custodian.log');
    const script = [
      `import { createLogger } from ${JSON.stringify(path.resolve(__dirname, 'log.ts'))};`,
      `const log = createLogger({ file: ${JSON.stringify(file)}, quiet: true });`,
      `log.error('refused before start', { code: 'SESSION_REQUIRED' });`,
      `process.exit(3);`,
    ].join('\n');
    const tsx = path.resolve(__dirname, '../../node_modules/tsx/dist/cli.mjs');
    const r = spawnSync(process.execPath, [tsx, '--eval', script], { encoding: 'utf8', timeout: 120_000 });
    expect(r.stderr).not.toMatch(/sonic boom|not ready|Error:/i);
    expect(r.status).toBe(3);
    expect(linesOf(file)).toEqual([expect.objectContaining({ level: 'error', msg: 'refused before start', code: 'SESSION_REQUIRED' })]);
  });
});
