// Audit batching: the pure plan (count and age), then sealing against a real SQLite file: trees, the root chain,
// one outbox event per batch in the same transaction, proofs for single entries, and refusal over a broken chain.
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { AppError } from '../api/errors';
import { batchIdOf, libraryRoot, verifyLeafProof, ZERO_ROOT } from './merkle';
import { listBatches, planBatchSizes, proveEntry, sealDueBatches, startAuditBatcher, unbatchedCount, type AuditRootPayload } from './batches';
import { createTestDb, tamperFile, writeEntries, type TestDb } from './test-support';
import { auditTrailId } from './trail-id';

const policy = { maxEntries: 10, maxAgeMs: 60_000 };

describe('planBatchSizes', () => {
  it.each<[string, number, number | null, boolean, number[]]>([
    ['nothing to seal', 0, null, false, []],
    ['a young partial batch waits', 7, 5_000, false, []],
    ['an old partial batch is sealed', 7, 60_000, false, [7]],
    ['batch now seals a young partial batch', 7, 5_000, true, [7]],
    ['full batches go at once', 25, 1_000, false, [10, 10]],
    ['full batches and an old rest', 25, 90_000, false, [10, 10, 5]],
    ['exactly full', 20, null, false, [10, 10]],
    ['batch now with nothing', 0, null, true, []],
  ])('%s', (_name, count, age, force, expected) => {
    expect(planBatchSizes(count, age, policy, force)).toEqual(expected);
  });

  it('rejects a policy without room for an entry', () => {
    expect(() => planBatchSizes(3, null, { maxEntries: 0, maxAgeMs: 1 }, true)).toThrow(RangeError);
  });
});

describe('sealing batches', () => {
  let t: TestDb;
  beforeEach(() => {
    t = createTestDb();
  });
  afterEach(() => t.cleanup());

  const outbox = () => t.db.prepare(`SELECT kind, payload, state FROM outbox WHERE kind = 'audit.root' ORDER BY id`).all() as { kind: string; payload: string; state: string }[];

  it('seals full batches by count and the rest by age, chaining roots, with nothing queued for the chain', () => {
    writeEntries(t.db, 25); // synthetic entries are dated March 2025: old by now
    const young = new Date('2025-03-01T08:00:00.000Z');
    expect(sealDueBatches(t.db, { policy, now: young }).map((b) => [b.first_id, b.last_id])).toEqual([[1, 10], [11, 20]]);
    expect(unbatchedCount(t.db)).toBe(5);
    const sealed = sealDueBatches(t.db, { policy });
    expect(sealed.map((b) => [b.first_id, b.last_id, b.leaf_count])).toEqual([[21, 25, 5]]);
    expect(sealDueBatches(t.db, { policy, force: true })).toEqual([]);

    const batches = listBatches(t.db);
    expect(batches.map((b) => b.previous_root)).toEqual([ZERO_ROOT, batches[0]!.merkle_root, batches[1]!.merkle_root]);
    for (const b of batches) {
      const entries = t.db.prepare('SELECT id, hash FROM audit_log WHERE id BETWEEN ? AND ? ORDER BY id').all(b.first_id, b.last_id) as { id: number; hash: string }[];
      expect(b.merkle_root).toBe(libraryRoot(entries));
      expect(b.batch_id).toBe(batchIdOf(b.first_id, b.last_id, b.merkle_root));
    }
    // Batches are local now: the chain gets signed tree heads (log.ts), never a batch root.
    expect(outbox()).toEqual([]);
  });

  it('the periodic batcher seals a backlog one batch per tick', async () => {
    writeEntries(t.db, 35); // dated 2025: the rest of 5 is old enough to seal too
    const logs: string[] = [];
    const batcher = startAuditBatcher(t.db, { info: (m) => logs.push(m), warn: () => undefined, error: (m) => logs.push(m) }, { intervalMs: 5, policy });
    try {
      await vi.waitFor(() => expect(listBatches(t.db).map((b) => b.last_id)).toEqual([10, 20, 30, 35]), { timeout: 10_000, interval: 10 });
    } finally {
      batcher.stop();
    }
    expect(logs.filter((l) => l.includes('sealed batch'))).toHaveLength(4);
  });

  it('the periodic batcher logs a failure once, however many ticks fail', () => {
    writeEntries(t.db, 5);
    t.db.exec(`CREATE TRIGGER fail_batches BEFORE INSERT ON audit_batches BEGIN SELECT RAISE(ABORT, 'batches unavailable'); END`);
    const errors: string[] = [];
    vi.useFakeTimers();
    try {
      const batcher = startAuditBatcher(t.db, { info: () => undefined, warn: () => undefined, error: (m) => errors.push(m) }, { intervalMs: 5, policy });
      vi.advanceTimersByTime(100); // twenty ticks
      batcher.stop();
    } finally {
      vi.useRealTimers();
    }
    expect(errors).toEqual(['audit batching failed: batches unavailable']);
    expect(listBatches(t.db)).toEqual([]);
  });

  it('proves any batched entry against its batch root, and says when an entry is not batched or missing', () => {
    writeEntries(t.db, 12);
    sealDueBatches(t.db, { policy, now: new Date('2025-03-01T08:00:00.000Z') }); // entries 11-12 are too young
    for (const id of [1, 5, 10]) {
      const p = proveEntry(t.db, id);
      expect(p.batch.first_id).toBe(1);
      expect(verifyLeafProof(p.batch.merkle_root, p.leaf, p.proof)).toBe(true);
    }
    expect(() => proveEntry(t.db, 11)).toThrow(expect.objectContaining({ code: 'AUDIT_NOT_BATCHED' }));
    expect(() => proveEntry(t.db, 99)).toThrow(expect.objectContaining({ code: 'AUDIT_ENTRY_NOT_FOUND', message: expect.stringContaining('99') }));
    const lastProof = JSON.parse(listBatches(t.db)[0]!.last_leaf_proof) as string[];
    expect(lastProof).toEqual(proveEntry(t.db, 10).proof);
  });

  it('exports no proof for a changed entry, while its untouched neighbours still prove', () => {
    writeEntries(t.db, 6);
    sealDueBatches(t.db, { policy, force: true });
    t.db.close();
    tamperFile(t.file, (raw) => {
      raw.exec('DROP TRIGGER audit_log_no_update');
      raw.prepare('UPDATE audit_log SET patient_id = 99 WHERE id = 3').run();
    });
    t.reopen();
    expect(() => proveEntry(t.db, 3)).toThrow(expect.objectContaining({ code: 'AUDIT_TAMPERED', message: expect.stringContaining('Audit entry 3 was changed') }));
    expect(proveEntry(t.db, 4).proof.length).toBeGreaterThan(0);
  });

  it('refuses to seal over a changed entry and names it', () => {
    writeEntries(t.db, 6);
    t.db.close();
    tamperFile(t.file, (raw) => {
      raw.exec('DROP TRIGGER audit_log_no_update');
      raw.prepare(`UPDATE audit_log SET patient_id = 99 WHERE id = 4`).run();
    });
    t.reopen();
    let error: unknown;
    try {
      sealDueBatches(t.db, { policy, force: true });
    } catch (err) {
      error = err;
    }
    expect(error).toBeInstanceOf(AppError);
    expect(error).toMatchObject({ code: 'AUDIT_TAMPERED', message: expect.stringContaining('Entry 4 was changed') });
    expect(listBatches(t.db)).toEqual([]);
    expect(outbox()).toEqual([]);
  });
});
