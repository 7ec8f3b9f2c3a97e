// The page cache of an encrypted connection (connection.ts KEYED_CACHE_KIB): a miss there is a read and a page
// decryption, so every keyed connection (main, workers, CLI) gets the larger cache; `npm run bench -- decide` prints
// what it buys beside SQLite's default from the same run.
import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { dbKeyFromBytes, KEYED_CACHE_KIB, openDatabase } from './connection';

let dir: string;
beforeEach(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'custodian-cache-'));
});
afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

describe('page cache', () => {
  it('is KEYED_CACHE_KIB on an encrypted connection, the library’s default on a plain one, and as asked when given', () => {
    const key = dbKeyFromBytes(crypto.randomBytes(32));
    const keyed = openDatabase(path.join(dir, 'enc.sqlite'), { key });
    const plain = openDatabase(path.join(dir, 'plain.sqlite'));
    const asked = openDatabase(path.join(dir, 'enc.sqlite'), { key, cacheKiB: 4000 });
    const library = openDatabase(path.join(dir, 'enc.sqlite'), { key, cacheKiB: null });
    try {
      expect(keyed.pragma('cache_size', { simple: true })).toBe(-KEYED_CACHE_KIB);
      const libraryDefault = plain.pragma('cache_size', { simple: true }) as number;
      expect(libraryDefault).toBeGreaterThan(-KEYED_CACHE_KIB);
      expect(library.pragma('cache_size', { simple: true })).toBe(libraryDefault);
      expect(asked.pragma('cache_size', { simple: true })).toBe(-4000);
    } finally {
      for (const db of [keyed, plain, asked, library]) db.close();
    }
  });
});
