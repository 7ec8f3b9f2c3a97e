// When heads are signed: within one interval (30 s) of activity, never without new entries, queued in order while
// the chain is away (an offline workstation keeps signing), and at the end of a CLI command that wrote entries.
// Fake clocks throughout; the CLI case runs the real composition root.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Wallet } from 'ethers';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { silentLogger } from '../runtime/log';
import { startServices } from '../compose/services';
import type { HeadSigner } from './heads';
import { HEAD_INTERVAL_MS, startHeadSealer } from './head-sealer';
import { headsInDatabase, latestHeadInDatabase } from './log';
import { createTestDb, writeEntries, type TestDb } from './test-support';

const key = Wallet.createRandom();
let t: TestDb;
beforeEach(() => {
  t = createTestDb('custodian-head-sealer-');
  vi.useFakeTimers();
});
afterEach(() => {
  vi.useRealTimers();
  t.cleanup();
});

const timers = { setTimeout: (fn: () => void, ms: number) => setTimeout(fn, ms), clearTimeout: (h: unknown) => clearTimeout(h as NodeJS.Timeout) };
const queued = () => (t.db.prepare(`SELECT payload FROM outbox WHERE kind = 'audit.root' AND state = 'pending' ORDER BY id`).pluck().all() as string[]).map((p) => JSON.parse(p) as { treeSize: number });

describe('the head sealer', () => {
  it('signs a head within one interval of activity, and none while nothing new was written', async () => {
    const warnings: string[] = [];
    const sealer = startHeadSealer({ db: t.db, dataDir: t.dir, headSigner: async () => key }, { ...silentLogger, warn: (m: string) => warnings.push(m) }, { timers });
    expect(HEAD_INTERVAL_MS).toBeLessThanOrEqual(30_000);
    writeEntries(t.db, 5);
    await vi.advanceTimersByTimeAsync(HEAD_INTERVAL_MS - 1);
    expect(latestHeadInDatabase(t.db)).toBeNull();
    await vi.advanceTimersByTimeAsync(1);
    expect(latestHeadInDatabase(t.db)?.treeSize).toBe(5);
    await vi.advanceTimersByTimeAsync(HEAD_INTERVAL_MS * 3);
    expect(headsInDatabase(t.db)).toHaveLength(1);
    writeEntries(t.db, 2, 6);
    await vi.advanceTimersByTimeAsync(HEAD_INTERVAL_MS);
    expect(headsInDatabase(t.db).map((h) => h.treeSize)).toEqual([5, 7]);
    sealer.stop();
    expect(warnings).toEqual([]);
  });

  it('offline, keeps signing heads and queues them in order for the chain (sent on reconnect)', async () => {
    const sealer = startHeadSealer({ db: t.db, dataDir: t.dir, headSigner: async () => key, anchorHeads: true }, silentLogger, { timers });
    for (let i = 0; i < 3; i++) {
      writeEntries(t.db, 4, 1 + i * 4);
      await vi.advanceTimersByTimeAsync(HEAD_INTERVAL_MS);
    }
    sealer.stop();
    expect(queued().map((p) => p.treeSize)).toEqual([4, 8, 12]);
  });

  it('says once why no head is signed while the key is unavailable, then signs the whole backlog', async () => {
    let signer: HeadSigner | { unavailable: string } = { unavailable: 'the embedded chain has not started' };
    const warnings: string[] = [];
    const sealer = startHeadSealer({ db: t.db, dataDir: t.dir, headSigner: async () => signer }, { ...silentLogger, warn: (m: string) => warnings.push(m) }, { timers });
    writeEntries(t.db, 3);
    await vi.advanceTimersByTimeAsync(HEAD_INTERVAL_MS * 4);
    expect(warnings).toEqual(['audit heads are not signed: the embedded chain has not started']);
    signer = key;
    await vi.advanceTimersByTimeAsync(HEAD_INTERVAL_MS);
    expect(latestHeadInDatabase(t.db)?.treeSize).toBe(3);
    sealer.stop();
  });
});

describe('the CLI', () => {
  it('ends a command that wrote audit entries with a signed head over them', async () => {
    vi.useRealTimers();
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'custodian-cli-head-'));
    try {
      const s = await startServices({ dataDir: dir, runtime: 'cli', logger: silentLogger, config: { chain: { mode: 'none' } } });
      await s.call('audit.verify', {}, { principal: { id: 'aud-1', name: 'Ada Auditor', role: 'auditor' } });
      const written = s.db.prepare('SELECT max(id) FROM audit_log').pluck().get() as number;
      expect(written).toBeGreaterThan(0);
      const db = s.db;
      await s.stop();
      expect(db.open).toBe(false);
      const heads = fs.readFileSync(path.join(dir, 'audit-heads.jsonl'), 'utf8').trim().split('\n');
      expect(JSON.parse(heads.at(-1)!)).toMatchObject({ treeSize: written });
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});
