// The claims import on the shared import framework, tried with the broken and hostile files the consent import was
// fixed for: each test names a fix claims lacked before (valid rows lost before a CSV structure error, a duplicate
// header column, a row wider than its header, bidirectional controls, formula cells in rejects, a changed file on
// resume) or shares (mixed line endings, counts that add up), plus the dry run.
import fs from 'node:fs';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { testData, type TestData } from '../consents/test-support';
import { readRejects } from '../imports/test-support';
import { runClaimImport, type ClaimImportControl } from './pipeline';
import { createClaimImportRun, getClaimImportRun } from './runs';
import { setPayerAddress } from './payers';
import { CLAIM_COLUMNS } from './fields';
import { claimRow, NPIS, PAYER, PAYER_ADDRESS, seedPatient, seedPaymentConsent, seedProvider, writeClaimsCsv, type ClaimRowSpec } from './test-support';

let t: TestData;
const NOW = new Date('2026-12-04T12:00:00Z');

beforeEach(() => {
  t = testData('custodian-claims-hostile-');
  seedPaymentConsent(t.db, seedPatient(t.db, t.pseudonymizer, 'GH01', 'MRN-1'), PAYER);
  seedProvider(t.db, NPIS.verified, { verdict: 'verified', validFrom: '2025-01-01', validUntil: '2027-12-31' });
  setPayerAddress(t.db, PAYER, PAYER_ADDRESS);
});
afterEach(() => t.cleanup());

const control = (checkpoint: unknown = null, cancelAfter = Infinity): ClaimImportControl & { saved: unknown[] } => {
  const saved: unknown[] = [];
  return {
    checkpoint,
    saved,
    saveCheckpoint: (c) => saved.push(c),
    report: () => undefined,
    get cancelled() {
      return saved.length >= cancelAfter;
    },
  };
};
const newRun = (file: string, dryRun = false) => createClaimImportRun(t.db, { filePath: file, fileName: path.basename(file), fileSize: fs.statSync(file).size, startedBy: 'tester', dryRun });
const run = (runId: number, ctl = control(), chunkRows?: number) => runClaimImport(t.db, runId, ctl, { dataDir: t.dir, now: () => NOW, ...(chunkRows ? { chunkRows } : {}) });
const claimIds = () => (t.db.prepare('SELECT claim_id FROM claims ORDER BY id').all() as { claim_id: string }[]).map((r) => r.claim_id);
const line = (spec: ClaimRowSpec) => CLAIM_COLUMNS.map((c) => spec[c] ?? '').join(',');
const write = (name: string, text: string) => {
  const file = path.join(t.dir, name);
  fs.writeFileSync(file, text);
  return file;
};

describe('claims import: fixes shared with the consent import', () => {
  it('an unclosed quote stops at its line after committing every valid row before it (they used to be lost)', async () => {
    const good = Array.from({ length: 7 }, (_, i) => line(claimRow({ claim_id: `OK-${i}` })));
    const file = write('unclosed.csv', `${CLAIM_COLUMNS.join(',')}\n${good.join('\n')}\nBAD,"GH01,MRN-1\n${line(claimRow({ claim_id: 'AFTER' }))}\n`);
    const runId = newRun(file);
    await expect(run(runId)).rejects.toMatchObject({ code: 'IMPORT_CSV_MALFORMED', message: expect.stringMatching(/^Line 9: /) });
    expect(claimIds()).toEqual(good.map((_, i) => `OK-${i}`));
    expect(getClaimImportRun(t.db, runId)).toMatchObject({ counts: { rowsRead: 7, passed: 1, failed: 6 }, outcome: 'failed', error: { code: 'IMPORT_CSV_MALFORMED', message: expect.stringMatching(/^Line 9: /) } });
  });

  it('reads a CRLF header over LF rows and a CR-only row as one row each', async () => {
    const file = write('mixed.csv', `${CLAIM_COLUMNS.join(',')}\r\n${line(claimRow({ claim_id: 'A' }))}\n${line(claimRow({ claim_id: 'B' }))}\r${line(claimRow({ claim_id: 'C' }))}\n`);
    const result = await run(newRun(file));
    expect(result).toMatchObject({ rowsRead: 3, rejected: 0 });
    expect(claimIds()).toEqual(['A', 'B', 'C']);
  });

  it('refuses a header naming a column twice (which amount is the amount?), storing nothing', async () => {
    const file = write('dup-header.csv', `${CLAIM_COLUMNS.join(',')},amount\n${line(claimRow())},9999.00\n`);
    await expect(run(newRun(file))).rejects.toMatchObject({ code: 'IMPORT_HEADER_DUPLICATE', message: expect.stringMatching(/column amount twice \(columns 8 and 9\)/) });
    expect(claimIds()).toEqual([]);
  });

  it('rejects a row wider than its header instead of dropping the extra cells unseen', async () => {
    const file = write('wide.csv', `${CLAIM_COLUMNS.join(',')}\n${line(claimRow({ claim_id: 'W' }))},EXTRA\n${line(claimRow({ claim_id: 'OK' }))},\n`);
    const result = await run(newRun(file));
    expect(result.sampleRejects).toEqual([{ row: 1, reason: 'row 1: (row): has 9 columns but the header has 8' }]);
    expect(claimIds()).toEqual(['OK']);
  });

  it('refuses bidirectional controls in a claim id or MRN (a spoofed id on screen)', async () => {
    const file = writeClaimsCsv(t.dir, 'bidi.csv', [claimRow({ claim_id: 'CLM-\u202E1-GNP' }), claimRow({ claim_id: 'CLM-2', mrn: 'MRN-\u20661' })]);
    const result = await run(newRun(file));
    expect(result.rejected).toBe(2);
    expect(result.sampleRejects.map((r) => r.reason)).toEqual([expect.stringMatching(/^row 1: claim_id: .*U\+202E/), expect.stringMatching(/^row 2: mrn: .*U\+2066/)]);
    expect(claimIds()).toEqual([]);
  });

  it('neutralises formula cells of rejected rows, cell by cell and after leading spaces, and the counts add up', async () => {
    const file = writeClaimsCsv(t.dir, 'formula.csv', [
      claimRow({ claim_id: '=HYPERLINK("http://x")', amount: 'lots' }),
      claimRow({ claim_id: 'F-2', facility: ' +cmd', service_date: 'soon' }),
      claimRow({ claim_id: 'F-3' }),
    ]);
    const result = await run(newRun(file));
    const rows = readRejects(result.rejectsPath);
    expect(rows.length - 1).toBe(result.rejected);
    expect(result.rowsRead).toBe(result.passed + result.failed + result.rejected + result.duplicate);
    expect(rows[1]![0]).toBe(`'=HYPERLINK("http://x")`);
    expect(rows[2]![1]).toBe("' +cmd");
    for (const r of rows) for (const cell of r) expect(cell).not.toMatch(/^\s*[=+@-]/);
  });

  it('refuses to resume when the file changed since the run started', async () => {
    const file = writeClaimsCsv(t.dir, 'changed.csv', Array.from({ length: 4 }, (_, i) => claimRow({ claim_id: `CH-${i}` })));
    const runId = newRun(file);
    const first = control(null, 1);
    expect(await run(runId, first, 2)).toMatchObject({ outcome: 'cancelled', rowsRead: 2 });
    fs.appendFileSync(file, `${line(claimRow({ claim_id: 'CH-9' }))}\n`);
    await expect(run(runId, control(first.saved[0]), 2)).rejects.toMatchObject({ code: 'IMPORT_FILE_CHANGED' });
  });

  it('a dry run gives the verdicts the import gives and stores nothing', async () => {
    const file = writeClaimsCsv(t.dir, 'dry.csv', [claimRow({ claim_id: 'D-1' }), claimRow({ claim_id: 'D-2', mrn: 'MRN-404' }), claimRow({ claim_id: 'D-3', amount: 'x' }), claimRow({ claim_id: 'D-1' })]);
    const dryRunId = newRun(file, true);
    const dry = await run(dryRunId);
    expect(claimIds()).toEqual([]);
    expect((t.db.prepare('SELECT count(*) AS n FROM outbox').get() as { n: number }).n).toBe(0);
    expect(getClaimImportRun(t.db, dryRunId)).toMatchObject({ dry_run: 1, outcome: 'succeeded', rows_read: 4, counts: { rowsRead: 4 } });
    const real = await run(newRun(file));
    expect({ ...dry, rejectsPath: '', dryRun: false, fileHash: '' }).toEqual({ ...real, rejectsPath: '', fileHash: '' });
  });

  it('a claims run interrupted before the framework (a row-number checkpoint) restarts from the top and stores nothing twice', async () => {
    const file = writeClaimsCsv(t.dir, 'legacy.csv', Array.from({ length: 6 }, (_, i) => claimRow({ claim_id: `L-${i}`, amount: `${i + 1}.00` })));
    const runId = newRun(file);
    // What the old pipeline had committed: the first 3 rows and their counts, with its own checkpoint shape.
    const first = control(null, 1);
    await run(runId, first, 3);
    const legacy = { row: 3, rejectsSize: 10, counts: { rowsRead: 3, passed: 3, failed: 0, rejected: 0, duplicate: 0 } };
    const result = await run(runId, control(legacy));
    expect(result).toMatchObject({ outcome: 'succeeded', rowsRead: 6, passed: 3, duplicate: 3, rejected: 0 });
    expect(claimIds()).toEqual(['L-0', 'L-1', 'L-2', 'L-3', 'L-4', 'L-5']);
  });
});
