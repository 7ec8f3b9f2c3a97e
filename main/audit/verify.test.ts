// "Verify integrity" against a real SQLite file tampered with directly, bypassing the application and its
// triggers (edited bytes, a second connection without the triggers), in each way an entry can be falsified.
import fs from 'node:fs';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { sealDueBatches } from './batches';
import { allEntries, createTestDb, forgeEntry, tamperFile, writeEntries, type TestDb } from './test-support';
import { entryHash } from './trail';
import { checkBatchRow, verifyAuditTrail } from './verify';
import { batchIdOf, ZERO_ROOT } from './merkle';
import type { AuditBatchRow } from './batches';

const policy = { maxEntries: 10, maxAgeMs: 60_000 };
let t: TestDb;

beforeEach(() => {
  t = createTestDb();
  writeEntries(t.db, 25);
  sealDueBatches(t.db, { policy, now: new Date('2025-03-01T08:00:00.000Z') }); // batches 1–10 and 11–20; 21–25 open
  t.db.pragma('wal_checkpoint(TRUNCATE)');
  t.db.close();
});
afterEach(() => t.cleanup());

async function verify(depth: 'full' | 'quick' = 'full') {
  return verifyAuditTrail(t.reopen(), { depth, chainUnavailable: 'not connected in this test' });
}

/** Replaces the only occurrence of `from` in the database file with `to` (same length), as a hex editor would. */
function editBytes(from: string, to: string): void {
  expect(to.length).toBe(from.length);
  const bytes = fs.readFileSync(t.file);
  const at = bytes.indexOf(from);
  expect(at).toBeGreaterThan(0);
  expect(bytes.indexOf(from, at + 1)).toBe(-1);
  bytes.write(to, at, 'latin1');
  fs.writeFileSync(t.file, bytes);
}

describe('verifyAuditTrail', () => {
  it.each(['full', 'quick'] as const)('reports an intact trail as ok (%s)', async (depth) => {
    const report = await verify(depth);
    expect(report).toMatchObject({
      ok: true,
      depth,
      entries: 25,
      lastEntryId: 25,
      unbatchedEntries: 5,
      batches: { total: 2, unchecked: 2 },
      chain: { state: 'unavailable', reason: 'not connected in this test' },
      firstProblem: null,
      batchProblems: [],
    });
    expect(report.warnings.join(' ')).toMatch(/25 entries after the last signed head \(0 entries\) are not signed yet/);
  });

  it('finds an entry changed by editing the file bytes and names it', async () => {
    expect(fs.existsSync(`${t.file}-wal`) && fs.statSync(`${t.file}-wal`).size > 0).toBe(false);
    editBytes('consent:17', 'consent:71');
    const report = await verify();
    expect(report.ok).toBe(false);
    expect(report.firstProblem).toMatchObject({ kind: 'changed', entryId: 17, message: expect.stringContaining('Entry 17 was changed') });
    expect(allEntries(t.db).find((e) => e.id === 17)?.subject).toBe('consent:71');
  });

  it('finds an entry deleted through a second connection without the triggers', async () => {
    tamperFile(t.file, (raw) => {
      raw.exec('DROP TRIGGER audit_log_no_delete');
      raw.prepare('DELETE FROM audit_log WHERE id = 5').run();
    });
    const report = await verify();
    expect(report.firstProblem).toMatchObject({ kind: 'deleted', entryId: 5, message: expect.stringContaining('Entry 5 was deleted') });
    expect(report.batchProblems).toEqual([expect.objectContaining({ problem: 'entries', entryId: 5, firstId: 1, lastId: 10 })]);
  });

  it('finds the last entry of a batch deleted (no gap left in the ids) through the batch', async () => {
    tamperFile(t.file, (raw) => {
      raw.exec('DROP TRIGGER audit_log_no_delete');
      raw.prepare('DELETE FROM audit_log WHERE id > 19').run();
    });
    const report = await verify();
    expect(report.firstProblem).toMatchObject({ kind: 'deleted', entryId: 20 });
  });

  it('finds an entry inserted mid-trail (later ids shifted to make room) and names it', async () => {
    tamperFile(t.file, (raw) => {
      raw.exec('DROP TRIGGER audit_log_no_update; DROP TRIGGER audit_log_append_only');
      raw.prepare('UPDATE audit_log SET id = id + 1000 WHERE id >= 8').run();
      raw.prepare('UPDATE audit_log SET id = id - 999 WHERE id > 1000').run();
      const prev = raw.prepare('SELECT hash FROM audit_log WHERE id = 7').get() as { hash: string };
      const forged = forgeEntry(8, prev.hash);
      raw.prepare('INSERT INTO audit_log VALUES (@id, @at, @actor_id, @actor_name, @actor_role, @workstation, @action, @outcome, @patient_id, @subject, @details, @prev_hash, @hash)').run(forged);
    });
    const report = await verify();
    expect(report.firstProblem).toMatchObject({ kind: 'inserted', entryId: 8, message: expect.stringContaining('Entry 8 was inserted') });
  });

  it('finds an entry appended with a forged link', async () => {
    tamperFile(t.file, (raw) => {
      raw.exec('DROP TRIGGER audit_log_append_only');
      const forged = forgeEntry(26, 'ab'.repeat(32));
      raw.prepare('INSERT INTO audit_log VALUES (@id, @at, @actor_id, @actor_name, @actor_role, @workstation, @action, @outcome, @patient_id, @subject, @details, @prev_hash, @hash)').run(forged);
    });
    const report = await verify();
    expect(report.firstProblem).toMatchObject({ kind: 'inserted', entryId: 26 });
  });

  it("finds an entry changed and re-hashed by its successor's link", async () => {
    tamperFile(t.file, (raw) => {
      raw.exec('DROP TRIGGER audit_log_no_update');
      const e = raw.prepare('SELECT * FROM audit_log WHERE id = 23').get() as Parameters<typeof entryHash>[0] & { hash: string };
      const changed = { ...e, patient_id: 99 };
      const { hash: _old, ...fields } = changed;
      raw.prepare('UPDATE audit_log SET patient_id = 99, hash = ? WHERE id = 23').run(entryHash(fields));
    });
    const report = await verify();
    expect(report.firstProblem).toMatchObject({ kind: 'changed', entryId: 23, message: expect.stringContaining('re-hashed') });
  });

  it.each(['full', 'quick'] as const)('finds a batch whose entries were rewritten and re-linked consistently (%s)', async (depth) => {
    tamperFile(t.file, (raw) => {
      raw.exec('DROP TRIGGER audit_log_no_update');
      const rows = allEntries(raw as never).filter((e) => e.id >= 14);
      let prev = (raw.prepare('SELECT hash FROM audit_log WHERE id = 13').get() as { hash: string }).hash;
      const update = raw.prepare('UPDATE audit_log SET patient_id = @patient_id, prev_hash = @prev_hash, hash = @hash WHERE id = @id');
      for (const e of rows) {
        const { hash: _old, ...fields } = { ...e, prev_hash: prev, patient_id: e.id === 14 ? 99 : e.patient_id };
        prev = entryHash(fields);
        update.run({ ...fields, hash: prev });
      }
    });
    const report = await verify(depth);
    expect(report.ok).toBe(false);
    // The chain alone is consistent again; the recorded root of batch 11–20 is what no longer matches.
    expect(report.firstProblem).toMatchObject({ kind: 'changed', entryId: 11 });
    expect(report.batchProblems).toEqual([expect.objectContaining({ problem: 'root', firstId: 11, lastId: 20 })]);
  });

  it('finds an altered batch row', async () => {
    tamperFile(t.file, (raw) => {
      raw.exec('DROP TRIGGER audit_batches_no_update');
      raw.prepare(`UPDATE audit_batches SET previous_root = ? WHERE first_id = 11`).run(`0x${'12'.repeat(32)}`);
    });
    const report = await verify();
    expect(report.batchProblems[0]).toMatchObject({ firstId: 11, message: expect.stringContaining('previous batch') });
  });
});

describe('checkBatchRow', () => {
  const root = (c: string) => `0x${c.repeat(64)}`;
  const row = (first: number, last: number, merkle: string, previous: string): AuditBatchRow => ({
    batch_id: batchIdOf(first, last, merkle),
    first_id: first,
    last_id: last,
    leaf_count: last - first + 1,
    merkle_root: merkle,
    previous_root: previous,
    last_leaf_proof: '[]',
    created_at: '2025-03-01T08:00:00.000Z',
  });
  const first = row(1, 10, root('a'), ZERO_ROOT);
  it.each<[string, AuditBatchRow, AuditBatchRow | undefined, RegExp | null]>([
    ['a first batch', first, undefined, null],
    ['a following batch', row(11, 20, root('b'), root('a')), first, null],
    ['a first batch not starting at 1', row(2, 10, root('a'), ZERO_ROOT), undefined, /starts at entry 2, expected 1/],
    ['a gap between batches', row(12, 20, root('b'), root('a')), first, /starts at entry 12, expected 11/],
    ['a broken root chain', row(11, 20, root('b'), root('c')), first, /previous batch's root/],
    ['a first batch naming a previous root', row(1, 10, root('a'), root('c')), undefined, /previous batch's root/],
    ['an id not derived from range and root', { ...row(11, 20, root('b'), root('a')), batch_id: root('d') }, first, /id does not match/],
  ])('%s', (_name, batch, previous, expected) => {
    const problem = checkBatchRow(batch, previous);
    if (expected === null) expect(problem).toBeNull();
    else expect(problem).toMatch(expected);
  });
});
