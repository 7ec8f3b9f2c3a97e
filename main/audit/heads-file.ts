// The copy of the signed heads kept outside the database: `<data dir>/audit-heads.jsonl`, one head per line, opened
// for append only, 0600. Whoever rewrites or wipes the database (even with the chain folder) still faces this file.
import fs from 'node:fs';
import path from 'node:path';
import { signedTreeHeadSchema, type SignedTreeHead } from './heads';

export const HEADS_FILE = 'audit-heads.jsonl';

export function headsFilePath(dataDir: string): string {
  return path.join(dataDir, HEADS_FILE);
}

/** Appends one head and syncs it to disk before returning (a head the chain may see must survive a crash). */
export function appendHeadToFile(dataDir: string, head: SignedTreeHead): void {
  const file = headsFilePath(dataDir);
  const fd = fs.openSync(file, fs.constants.O_WRONLY | fs.constants.O_APPEND | fs.constants.O_CREAT, 0o600);
  try {
    fs.fchmodSync(fd, 0o600);
    fs.writeSync(fd, `${JSON.stringify(head)}\n`);
    fs.fsyncSync(fd);
  } finally {
    fs.closeSync(fd);
  }
}

export interface HeadsFileRead {
  exists: boolean;
  heads: SignedTreeHead[];
  /** Lines that are not a well-formed head (1-based line numbers): a hand edit or a torn write. */
  badLines: number[];
}

export function readHeadsFile(dataDir: string): HeadsFileRead {
  let text: string;
  try {
    text = fs.readFileSync(headsFilePath(dataDir), 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return { exists: false, heads: [], badLines: [] };
    throw err;
  }
  const heads: SignedTreeHead[] = [];
  const badLines: number[] = [];
  text.split('\n').forEach((line, i) => {
    if (!line.trim()) return;
    try {
      const parsed = signedTreeHeadSchema.safeParse(JSON.parse(line));
      if (parsed.success) heads.push(parsed.data);
      else badLines.push(i + 1);
    } catch {
      badLines.push(i + 1);
    }
  });
  return { exists: true, heads, badLines };
}
