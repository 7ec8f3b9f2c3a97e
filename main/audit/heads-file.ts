// The copy of the signed heads kept outside the database: `<data dir>/audit-heads.jsonl`, one head per line, opened
// for append only, 0600. Whoever rewrites or wipes the database (even with the chain folder) still faces this file.
import fs from 'node:fs';
import path from 'node:path';
import { signedTreeHeadSchema, type SignedTreeHead } from './heads';
import { keyRotationSchema, type KeyRotation } from './rotation-statement';

export const HEADS_FILE = 'audit-heads.jsonl';

export function headsFilePath(dataDir: string): string {
  return path.join(dataDir, HEADS_FILE);
}

/** Appends one head and syncs it to disk before returning (a head the chain may see must survive a crash). */
export function appendHeadToFile(dataDir: string, head: SignedTreeHead): void {
  appendLine(dataDir, head);
}

/** A key rotation statement (rotation-statement.ts) is a line of its own: `{"keyRotation": {...}}`. */
export function appendRotationToFile(dataDir: string, rotation: KeyRotation): void {
  appendLine(dataDir, { keyRotation: rotation });
}

function appendLine(dataDir: string, value: unknown): void {
  const file = headsFilePath(dataDir);
  const fd = fs.openSync(file, fs.constants.O_WRONLY | fs.constants.O_APPEND | fs.constants.O_CREAT, 0o600);
  try {
    fs.fchmodSync(fd, 0o600);
    fs.writeSync(fd, `${JSON.stringify(value)}\n`);
    fs.fsyncSync(fd);
  } finally {
    fs.closeSync(fd);
  }
}

export interface HeadsFileRead {
  exists: boolean;
  heads: SignedTreeHead[];
  /** Key rotation statements (not yet checked: verify checks their signatures). */
  rotations: KeyRotation[];
  /** Lines that are not a well-formed head (1-based line numbers): a hand edit or a torn write. */
  badLines: number[];
}

export function readHeadsFile(dataDir: string): HeadsFileRead {
  let text: string;
  try {
    text = fs.readFileSync(headsFilePath(dataDir), 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return { exists: false, heads: [], rotations: [], badLines: [] };
    throw err;
  }
  const heads: SignedTreeHead[] = [];
  const rotations: KeyRotation[] = [];
  const badLines: number[] = [];
  text.split('\n').forEach((line, i) => {
    if (!line.trim()) return;
    try {
      const value = JSON.parse(line) as unknown;
      const parsed = signedTreeHeadSchema.safeParse(value);
      const rotation = typeof value === 'object' && value !== null && 'keyRotation' in value ? keyRotationSchema.safeParse(value.keyRotation) : null;
      if (parsed.success) heads.push(parsed.data);
      else if (rotation?.success && Object.keys(value as object).length === 1) rotations.push(rotation.data);
      else badLines.push(i + 1);
    } catch {
      badLines.push(i + 1);
    }
  });
  return { exists: true, heads, rotations, badLines };
}
