// Data files are for the OS user who runs Custodian only: 0600 files in 0700 folders. Set once at start, before
// anything is written: a umask of 077 for this process (and the anvil it spawns), and existing files tightened.
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';

export const FILE_MODE = 0o600;
export const DIR_MODE = 0o700;

/**
 * Makes the data folder private: every file Custodian (or its anvil, or SQLite's -wal/-shm) creates from now on is
 * 0600 in 0700 folders, and what exists already (an older install's 0644 files) is tightened. Symbolic links are
 * left alone (never followed). No-op for modes on Windows, whose ACLs are the user's profile's.
 */
export function makeDataDirPrivate(dataDir: string): { tightened: number } {
  // Worker threads cannot set the umask; the main thread sets it before starting any.
  try {
    process.umask(0o077);
  } catch {
    // not available here (a worker): files are still created with explicit modes where it matters
  }
  fs.mkdirSync(dataDir, { recursive: true, mode: DIR_MODE });
  if (process.platform === 'win32') return { tightened: 0 };
  let tightened = 0;
  const tighten = (p: string, stat: fs.Stats) => {
    const want = stat.isDirectory() ? DIR_MODE : FILE_MODE;
    if ((stat.mode & 0o777) !== want) {
      fs.chmodSync(p, want);
      tightened++;
    }
  };
  const walk = (dir: string) => {
    tighten(dir, fs.lstatSync(dir));
    for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
      const p = path.join(dir, entry.name);
      if (entry.isDirectory()) walk(p);
      else if (entry.isFile()) tighten(p, fs.lstatSync(p));
    }
  };
  walk(dataDir);
  return { tightened };
}

/**
 * Creates `file` (0600, in a 0700 folder made if missing) holding `content()`, unless it exists already; the content
 * is made only when needed. For secrets made once per data folder (facility secret, organisation key, devnet keys):
 * the content is written whole and fsynced under a private temporary name, then hard-linked into place, so a reader
 * never sees half a file and, when two processes create at once (console and CLI), the first link wins and the other
 * keeps the winner's file. Returns whether this call's content is the one in place. Callers read the file after.
 */
export function createFileOnce(file: string, content: () => string): boolean {
  if (fs.existsSync(file)) return false;
  fs.mkdirSync(path.dirname(file), { recursive: true, mode: DIR_MODE });
  const tmp = writePrivateTempFile(file, content());
  try {
    fs.linkSync(tmp, file);
    return true;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
    return false;
  } finally {
    fs.rmSync(tmp, { force: true });
  }
}

/**
 * Writes `text` whole to a new private (0600) file beside `file`, under a name no other process or call can pick,
 * and fsyncs it; returns its path. The caller links or renames it into place and removes it in every case.
 */
export function writePrivateTempFile(file: string, text: string): string {
  const tmp = `${file}.${process.pid}.${crypto.randomBytes(4).toString('hex')}.tmp`;
  const fd = fs.openSync(tmp, 'wx', FILE_MODE);
  try {
    fs.writeSync(fd, text);
    fs.fsyncSync(fd);
  } finally {
    fs.closeSync(fd);
  }
  return tmp;
}
