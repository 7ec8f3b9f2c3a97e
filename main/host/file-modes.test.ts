// Data files after a start, as a local process of another user would find them: every file under the data folder
// is 0600 and every folder 0700 — the database and its -wal/-shm, the log, secrets, uploads, an audit CSV export —
// including files an older version left world-readable.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { createLogger } from '../runtime/log';
import { startServices } from '../compose/services';
import { createFileOnce, makeDataDirPrivate } from './file-modes';

const dirs: string[] = [];
afterAll(() => {
  for (const d of dirs) fs.rmSync(d, { recursive: true, force: true });
});

/** Every entry under `root` (the root included) that is not owner-only. */
function loose(root: string): string[] {
  const out: string[] = [];
  const walk = (p: string) => {
    const stat = fs.lstatSync(p);
    const mode = stat.mode & 0o777;
    if (stat.isDirectory()) {
      if (mode !== 0o700) out.push(`${path.relative(root, p) || '.'}/ ${mode.toString(8)}`);
      for (const name of fs.readdirSync(p)) walk(path.join(p, name));
    } else if (stat.isFile() && mode !== 0o600) out.push(`${path.relative(root, p)} ${mode.toString(8)}`);
  };
  walk(root);
  return out;
}

function fileCount(root: string): number {
  return fs.readdirSync(root, { recursive: true, withFileTypes: true }).filter((e) => e.isFile()).length;
}

describe.skipIf(process.platform === 'win32')('data folder permissions', () => {
  it('a fresh start writes only 0600 files in 0700 folders', async () => {
    const parent = fs.mkdtempSync(path.join(os.tmpdir(), 'custodian-modes-'));
    dirs.push(parent);
    const dataDir = path.join(parent, 'data');
    const previous = process.umask(0o022); // as a login shell leaves it
    try {
      const s = await startServices({ dataDir, runtime: 'browser', logger: createLogger({ file: path.join(dataDir, 'custodian.log'), quiet: true }), config: { chain: { mode: 'none' } }, sync: 'manual' });
      try {
        expect((await s.dispatch('auth.setup', { username: 'admin', displayName: 'Ada Admin', password: 'correct horse battery' }, { transport: 'cli' })).ok).toBe(true);
        const auditor = { id: 'aud-1', name: 'Auditor', role: 'auditor' as const };
        const exported = await s.call('audit.exportCsv', {}, auditor);
        expect(exported.ok).toBe(true);
        const target = s.uploads.reserve('consents.csv', 4, 'admin');
        fs.writeFileSync(target.partPath, 'a,b\n');
        s.uploads.complete(target);
        s.log.info('a line in the log');
        expect(fs.existsSync(path.join(dataDir, 'custodian.sqlite-wal'))).toBe(true);
        expect(loose(dataDir)).toEqual([]);
      } finally {
        await s.stop();
      }
      expect(loose(dataDir)).toEqual([]);
      expect(fileCount(dataDir)).toBeGreaterThanOrEqual(5);
    } finally {
      process.umask(previous);
    }
  });

  it('tightens files and folders an older version left open, without following links', () => {
    const parent = fs.mkdtempSync(path.join(os.tmpdir(), 'custodian-modes-old-'));
    dirs.push(parent);
    const dataDir = path.join(parent, 'data');
    const outside = path.join(parent, 'outside.txt');
    fs.writeFileSync(outside, 'not ours', { mode: 0o644 });
    fs.mkdirSync(path.join(dataDir, 'exports'), { recursive: true, mode: 0o755 });
    fs.chmodSync(dataDir, 0o755);
    fs.writeFileSync(path.join(dataDir, 'custodian.sqlite'), '', { mode: 0o644 });
    fs.writeFileSync(path.join(dataDir, 'exports', 'audit.csv'), 'x', { mode: 0o666 });
    fs.symlinkSync(outside, path.join(dataDir, 'link'));
    const previous = process.umask();
    try {
      expect(makeDataDirPrivate(dataDir).tightened).toBe(4);
    } finally {
      process.umask(previous);
    }
    expect(loose(dataDir)).toEqual([]);
    expect(fs.statSync(outside).mode & 0o777).toBe(0o644);
  });
});

describe('createFileOnce', () => {
  const fresh = () => {
    const parent = fs.mkdtempSync(path.join(os.tmpdir(), 'custodian-once-'));
    dirs.push(parent);
    return path.join(parent, 'secrets', 'key');
  };

  it.skipIf(process.platform === 'win32')('creates the file 0600 in a new 0700 folder, whatever the umask', () => {
    const file = fresh();
    const previous = process.umask(0o000); // a careless umask must not leave the secret readable
    try {
      expect(createFileOnce(file, () => 'first\n')).toBe(true);
    } finally {
      process.umask(previous);
    }
    expect(fs.readFileSync(file, 'utf8')).toBe('first\n');
    expect(fs.statSync(file).mode & 0o777).toBe(0o600);
    expect(fs.statSync(path.dirname(file)).mode & 0o777).toBe(0o700);
  });

  it('never overwrites: a second call keeps the first content and does not even make its own', () => {
    const file = fresh();
    expect(createFileOnce(file, () => 'first\n')).toBe(true);
    let made = false;
    expect(
      createFileOnce(file, () => {
        made = true;
        return 'second\n';
      }),
    ).toBe(false);
    expect(made).toBe(false);
    expect(fs.readFileSync(file, 'utf8')).toBe('first\n');
  });

  it('two racing creators: the one that links first wins, the other keeps the winner\'s file and leaves no temp file', () => {
    const file = fresh();
    // The slow creator has seen no file and is making its content when the fast one (another process) creates it.
    const slow = createFileOnce(file, () => {
      expect(createFileOnce(file, () => 'fast\n')).toBe(true);
      return 'slow\n';
    });
    expect(slow).toBe(false);
    expect(fs.readFileSync(file, 'utf8')).toBe('fast\n');
    expect(fs.readdirSync(path.dirname(file))).toEqual(['key']);
  });
});
