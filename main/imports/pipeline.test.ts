// The import pipeline's guarantees: idempotent (same file twice adds nothing; same external id updates),
// dry run changes nothing, chunks commit with their checkpoint, a crash resumes to exactly a clean run, cancel is consistent.
import fs from 'node:fs';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import path from 'node:path';
import { STATUS_CODE } from '../consents/compact-columns';
import { consentsChecksum, testData, type TestData } from '../consents/test-support';
import { openDatabase } from '../db/connection';
import { generateConsentsCsv } from '../../scripts/generate-consents';
import { READ_BATCH, type ImportHooks } from './pipeline';
import { getImportRun } from './runs';
import { csvText, importFile, line, newRun, writeFile } from './test-support';

let t: TestData;
beforeEach(() => {
  t = testData('custodian-pipeline-');
});
afterEach(() => t.cleanup());

const count = (table: string) => (t.db.prepare(`SELECT count(*) AS n FROM ${table}`).get() as { n: number }).n;

/** 250 rows over ~60 patients, with rejects, in-file duplicates and an in-file conflict mixed in. */
function mixedFile(name = 'mixed.csv'): string {
  const rows: string[] = [];
  for (let i = 1; i <= 250; i++) {
    const p = i % 60;
    if (i % 50 === 0) rows.push(line({ external_id: `C-${i}`, mrn: `MRN${p}`, grantee: '1234567890' }));
    else if (i % 41 === 0) rows.push(line({ external_id: `C-${i - 1}`, mrn: `MRN${(i - 1) % 60}`, category: ['general', 'HIV', 'genetic'][(i - 1) % 3]!, purpose: (i - 1) % 2 ? 'TREAT' : 'HPAYMT' }));
    else rows.push(line({ external_id: `C-${i}`, mrn: `MRN${p}`, category: ['general', 'HIV', 'genetic'][i % 3]!, purpose: i % 2 ? 'TREAT' : 'HPAYMT', patient_name: i % 7 ? 'Roe, Jane' : 'O"Hara, "Bo"' }));
  }
  // Row 3 permits TREAT general for MRN3: this deny of the same key is refused.
  rows.push(line({ external_id: 'C-conflict', mrn: 'MRN3', category: 'general', purpose: 'TREAT', decision: 'deny' }));
  return writeFile(t, name, csvText(rows));
}

describe('idempotence', () => {
  it('the same file twice adds nothing the second time', async () => {
    const file = mixedFile();
    const first = await importFile(t, file);
    expect(first).toMatchObject({ rows_read: 251, rejected: 6, duplicate: 6 });
    expect(first.accepted).toBe(251 - 6 - 6);
    const before = { sum: consentsChecksum(t.db), outbox: count('outbox'), history: count('consent_history'), patients: count('patients') };
    const second = await importFile(t, file);
    expect(second).toMatchObject({ rows_read: 251, accepted: 0, updated: 0, rejected: 6 });
    expect(second.duplicate).toBe(251 - 6);
    expect({ sum: consentsChecksum(t.db), outbox: count('outbox'), history: count('consent_history'), patients: count('patients') }).toEqual(before);
  });

  it('a row with a known external id and new terms supersedes the old row (an update, not a duplicate)', async () => {
    await importFile(t, writeFile(t, 'a.csv', csvText([line(), line({ external_id: 'C-2', category: 'HIV' })])));
    const second = await importFile(t, writeFile(t, 'b.csv', csvText([line({ period_end: '2030-12-31' }), line({ external_id: 'C-2', category: 'HIV' })])));
    expect(second).toMatchObject({ accepted: 0, updated: 1, duplicate: 1, consents_written: 1 });
    const rows = t.db.prepare(`SELECT id, external_id, status, superseded_by, seq FROM consents WHERE external_id = 'C-1' ORDER BY id`).all();
    expect(rows).toEqual([
      { id: 1, external_id: 'C-1', status: 'superseded', superseded_by: 3, seq: 1 },
      { id: 3, external_id: 'C-1', status: 'active', superseded_by: null, seq: 2 },
    ]);
    expect(count('outbox')).toBe(3);
  });

  it('an import never revives what staff revoked', async () => {
    const file = writeFile(t, 'a.csv', csvText([line()]));
    await importFile(t, file);
    t.db.prepare(`UPDATE consents SET status_code = ${STATUS_CODE.revoked}, revoked_reason = 'patient withdrew'`).run();
    expect(await importFile(t, file)).toMatchObject({ accepted: 0, updated: 0, duplicate: 1 });
    expect(t.db.prepare('SELECT status FROM consents').all()).toEqual([{ status: 'revoked' }]);
  });
});

describe('external ids repeated in one file', () => {
  /** C-1 three times (new terms each time), C-2 twice with the same terms, C-3 moved to another key, then a revoke. */
  function repeats(): string {
    return writeFile(
      t,
      'repeats.csv',
      csvText([
        line({ external_id: 'C-1' }),
        line({ external_id: 'C-2', mrn: 'MRN0002' }),
        line({ external_id: 'C-1', period_end: '2030-12-31' }),
        line({ external_id: 'C-3', mrn: 'MRN0003', purpose: 'HPAYMT' }),
        line({ external_id: 'C-2', mrn: 'MRN0002' }),
        line({ external_id: 'C-1', period_end: '2031-12-31' }),
        line({ external_id: 'C-3', mrn: 'MRN0003', purpose: 'HRESCH' }),
        line({ external_id: 'C-4', mrn: 'MRN0004', decision: 'deny' }),
      ]),
    );
  }
  const tables = (db: TestData['db']) => ({
    sum: consentsChecksum(db),
    history: db.prepare('SELECT consent_id, action, detail FROM consent_history ORDER BY id').all(),
    // The order stamps come from the clock of each run (main/sync/README.md); everything else must be equal.
    outbox: (db.prepare('SELECT payload FROM outbox_events ORDER BY id').pluck().all() as string[]).map((p) => {
      const { hlc: _h, prevHlc: _p, ...rest } = JSON.parse(p) as Record<string, unknown>;
      return { payload: JSON.stringify(rest) };
    }),
  });

  it('in one chunk, across chunks of any size and on the next run: the same rows, history and outbox events', async () => {
    const file = repeats();
    const whole = await importFile(t, file, { chunkRows: 1000 });
    expect(whole).toMatchObject({ rows_read: 8, accepted: 4, updated: 3, duplicate: 1, rejected: 0 });
    const reference = tables(t.db);
    expect(t.db.prepare(`SELECT external_id, status, seq FROM consents WHERE external_id = 'C-1' ORDER BY id`).all()).toEqual([
      { external_id: 'C-1', status: 'superseded', seq: 1 },
      { external_id: 'C-1', status: 'superseded', seq: 2 },
      { external_id: 'C-1', status: 'active', seq: 3 },
    ]);
    // C-3 moved from HPAYMT to HRESCH: a supersede event on the new key and a revoke of the old one.
    expect(reference.outbox.map((r) => JSON.parse((r as { payload: string }).payload).change)).toEqual(['create', 'create', 'supersede', 'create', 'supersede', 'supersede', 'revoke', 'create']);
    for (const chunkRows of [1, 2, 3]) {
      const other = testData(`custodian-chunks-${chunkRows}-`);
      try {
        const summary = await importFile(other, file, { chunkRows });
        for (const k of ['rows_read', 'accepted', 'updated', 'duplicate', 'rejected', 'consents_written'] as const) expect(summary[k]).toBe(whole[k]);
        expect(tables(other.db)).toEqual(reference);
      } finally {
        other.cleanup();
      }
    }
    // The next run of the same file replays C-1's versions (its terms differ from the current row) and adds nothing else.
    const again = await importFile(t, file, { chunkRows: 2 });
    expect(again).toMatchObject({ accepted: 0, rejected: 0 });
    expect(count('consents')).toBe(reference.sum.rows + again.updated);
  });
});

describe('dry run', () => {
  it('reports what a real run would do and changes nothing', async () => {
    const file = mixedFile();
    const dry = await importFile(t, file, { dryRun: true });
    expect(count('consents') + count('patients') + count('outbox') + count('consent_history')).toBe(0);
    const real = await importFile(t, file);
    for (const k of ['rows_read', 'accepted', 'updated', 'rejected', 'duplicate'] as const) expect(dry[k]).toBe(real[k]);
    expect(fs.readFileSync(dry.rejectsPath, 'utf8')).toBe(fs.readFileSync(real.rejectsPath, 'utf8'));
    // Against what is now on file, a dry run of the same file finds only duplicates.
    const again = await importFile(t, file, { dryRun: true });
    expect(again).toMatchObject({ accepted: 0, updated: 0, duplicate: 245, rejected: 6 });
    const update = await importFile(t, writeFile(t, 'upd.csv', csvText([line({ external_id: 'C-2', mrn: 'MRN2', category: 'general', period_end: '' })])), { dryRun: true });
    expect(update).toMatchObject({ updated: 1 });
    expect(t.db.prepare(`SELECT count(*) AS n FROM consents WHERE status = 'superseded'`).get()).toEqual({ n: 0 });
  });
});

describe('chunks, checkpoints, resume and cancel', () => {
  it('commits rows, counts and the checkpoint together; a crash in a chunk resumes to exactly a clean run', async () => {
    const file = mixedFile();
    const clean = testData('custodian-clean-');
    try {
      const reference = await importFile(clean, file, { chunkRows: 40 });
      const referenceSum = consentsChecksum(clean.db);

      // Crash while committing the fourth chunk: its rows, counts, checkpoint (and rejects) roll back together.
      let saved: unknown = null;
      let saves = 0;
      const runId = newRun(t, file);
      const crashing: Partial<ImportHooks> = {
        saveCheckpoint(cp) {
          if (++saves === 4) throw new Error('power cut');
          saved = cp;
        },
      };
      await expect(importFile(t, file, { runId, chunkRows: 40, hooks: crashing })).rejects.toThrow('power cut');
      const run = getImportRun(t.db, runId)!;
      expect(run.rows_read).toBe((saved as { position: { row: number } }).position.row);
      expect(count('consents')).toBeLessThan(referenceSum.rows);

      const resumed = await importFile(t, file, { runId, chunkRows: 40, hooks: { checkpoint: saved } });
      expect(consentsChecksum(t.db)).toEqual({ ...referenceSum });
      for (const k of ['rows_read', 'accepted', 'updated', 'rejected', 'duplicate', 'consents_written'] as const) expect(resumed[k]).toBe(reference[k]);
      expect(fs.readFileSync(resumed.rejectsPath, 'utf8')).toBe(fs.readFileSync(reference.rejectsPath, 'utf8'));
      expect(count('outbox')).toBe(clean.db.prepare('SELECT count(*) AS n FROM outbox').get() && (clean.db.prepare('SELECT count(*) AS n FROM outbox').get() as { n: number }).n);
    } finally {
      clean.cleanup();
    }
  });

  it('refuses to resume over a file that changed', async () => {
    const file = mixedFile();
    let saved: unknown = null;
    const runId = newRun(t, file);
    await importFile(t, file, { runId, chunkRows: 100, hooks: { saveCheckpoint: (cp) => (saved ??= cp) } });
    fs.appendFileSync(file, `${line({ external_id: 'late' })}\n`);
    await expect(importFile(t, file, { runId, hooks: { checkpoint: saved } })).rejects.toMatchObject({ code: 'IMPORT_FILE_CHANGED' });
  });

  it('cancel stops after a committed chunk: rows match the checkpoint and the run says cancelled', async () => {
    const file = mixedFile();
    let saved: { position: { row: number } } | null = null;
    const hooks = {
      checkpoint: null,
      saveCheckpoint: (cp: unknown) => (saved = cp as { position: { row: number } }),
      report: () => undefined,
      get cancelled() {
        return saved !== null && saved.position.row >= 80;
      },
    };
    const summary = await importFile(t, file, { chunkRows: 40, hooks });
    expect(summary.outcome).toBe('cancelled');
    expect(summary.rows_read).toBe(80);
    expect(saved!.position.row).toBe(80);
    expect(count('consents')).toBe(summary.accepted + summary.updated);
    expect(getImportRun(t.db, summary.runId)).toMatchObject({ outcome: 'cancelled', rows_read: 80 });
  });

  it('reports monotonic progress with a total estimated from the bytes read', async () => {
    const file = mixedFile();
    const seen: [number, number | null][] = [];
    await importFile(t, file, { chunkRows: 30, hooks: { report: (done, total) => seen.push([done, total]) } });
    const dones = seen.map((s) => s[0]);
    expect(dones).toEqual([...dones].sort((a, b) => a - b));
    expect(seen.at(-1)).toEqual([251, 251]);
    expect(seen.filter((s) => s[1] !== null).length).toBeGreaterThan(3);
  });
});

describe('sharing the write lock with the main thread', () => {
  const ROWS = 2 * READ_BATCH + READ_BATCH / 2;
  const generated = (name: string) => {
    const file = path.join(t.dir, name);
    generateConsentsCsv(file, { rows: ROWS, seed: 11 });
    return file;
  };

  it('keeps one transaction open across read batches while nobody waits', async () => {
    const summary = await importFile(t, generated('quiet.csv'), { chunkRows: 100_000, holdMs: 60_000, hooks: { mainThread: { stalled: () => false, resumed: () => Promise.reject(new Error('nobody waits')) } } });
    expect(summary.rows_read).toBe(ROWS);
    expect(summary.timings).toMatchObject({ transactions: 1, yieldedToMain: 0 });
  });

  it('commits at the next batch when the main thread waits, and leaves the lock free until it beats again', async () => {
    const file = generated('busy.csv');
    const clean = testData('custodian-pipeline-clean-');
    try {
      const reference = await importFile(clean, file, { chunkRows: 100_000, holdMs: 60_000 });
      // Another connection stands in for the main thread: while the import waits for it, it must get the lock
      // at once (busy timeout 0) and see every row committed so far.
      const other = openDatabase(t.db.name, { busyTimeoutMs: 0 });
      const seen: number[] = [];
      try {
        const summary = await importFile(t, file, {
          chunkRows: 100_000,
          holdMs: 60_000,
          hooks: {
            mainThread: {
              stalled: () => true,
              resumed: async () => {
                other.exec('BEGIN IMMEDIATE');
                seen.push((other.prepare('SELECT count(*) AS n FROM consents').get() as { n: number }).n);
                other.exec('COMMIT');
              },
            },
          },
        });
        expect(summary.timings).toMatchObject({ transactions: 3, yieldedToMain: 2 });
        expect(seen).toHaveLength(2);
        expect(seen[0]).toBeGreaterThan(0);
        expect(seen[1]).toBeGreaterThan(seen[0]!);
        expect(consentsChecksum(t.db)).toEqual(consentsChecksum(clean.db));
        expect(summary).toMatchObject({ rows_read: reference.rows_read, accepted: reference.accepted, rejected: reference.rejected });
      } finally {
        other.close();
      }
    } finally {
      clean.cleanup();
    }
  });
});
