// The bulk store must leave exactly the tables the row-by-row store leaves: the same drafts applied through
// applyDraft to both (one chunk, split into chunks, and across two runs) give identical rows, history and outbox.
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { ConsentDraft } from '../consents/draft';
import { consentChangePayload } from '../consents/outbox-events';
import { ConsentStore, type ConsentWriter } from '../consents/store';
import { draft, NPI, testData, type TestData } from '../consents/test-support';
import { applyDraft, type ApplyOutcome } from './apply';
import { BulkConsentStore } from './bulk-store';
import { createImportRun } from './runs';

let plain: TestData;
let bulkData: TestData;
beforeEach(() => {
  plain = testData('custodian-plain-');
  bulkData = testData('custodian-bulk-');
});
afterEach(() => {
  plain.cleanup();
  bulkData.cleanup();
});

const NOW = '2026-01-02T03:04:05.000Z';
const day = (y: number, m: number, d: number) => Date.UTC(y, m - 1, d) / 1000;

/** Every table the import writes, in id order, clocks included (both sides use the same fixed clock). */
function dump(t: TestData) {
  const all = (sql: string) => t.db.prepare(sql).all();
  return {
    patients: all('SELECT * FROM patients ORDER BY id'),
    consents: all('SELECT * FROM consents ORDER BY id'),
    history: all('SELECT * FROM consent_history ORDER BY id'),
    outbox: all('SELECT id, kind, payload, created_at FROM outbox_events ORDER BY id'),
    duplicates: all('SELECT * FROM import_duplicates ORDER BY run_id, consent_id'),
  };
}

/**
 * Applies runs of drafts (each run a list of chunks, each chunk one transaction) and returns the outcomes.
 * The bulk side flushes only when the chunk commits, as the pipeline does.
 */
function applyRuns(t: TestData, bulk: boolean, runs: ConsentDraft[][][]): ApplyOutcome['kind'][] {
  const kinds: ApplyOutcome['kind'][] = [];
  for (const chunks of runs) {
    const runId = createImportRun(t.db, { filePath: '/x.csv', fileName: 'x.csv', fileSize: 1, format: 'csv', dryRun: false, startedBy: 'test' });
    const store: ConsentWriter & { begin?(): void; flush?(): void } = bulk ? new BulkConsentStore(t.db, t.pseudonymizer) : new ConsentStore(t.db, t.pseudonymizer);
    let row = 0;
    for (const chunk of chunks) {
      t.db.exec('BEGIN IMMEDIATE');
      store.begin?.();
      for (const d of chunk) {
        row++;
        kinds.push(applyDraft(store, d, { runId, rowNumber: row, source: `import:${runId}`, write: { now: NOW, actor: `import:${runId}` } }).kind);
      }
      store.flush?.();
      t.db.exec('COMMIT');
    }
  }
  return kinds;
}

function expectSameTables(runs: ConsentDraft[][][]): ApplyOutcome['kind'][] {
  // Drafts are copied: applyDraft must not depend on object identity between the two stores.
  const copy = () => runs.map((chunks) => chunks.map((chunk) => chunk.map((d) => ({ ...d }))));
  const a = applyRuns(plain, false, copy());
  const b = applyRuns(bulkData, true, copy());
  expect(b).toEqual(a);
  expect(dump(bulkData)).toEqual(dump(plain));
  for (const r of dump(bulkData).outbox as { payload: string }[]) consentChangePayload.parse(JSON.parse(r.payload));
  return a;
}

/** Rows that exercise every rule: new patients and keys, updates by external id, duplicates, conflicts, revokes. */
function mixed(): ConsentDraft[] {
  return [
    draft({ externalId: 'E-1', mrn: 'M1' }),
    draft({ externalId: 'E-2', mrn: 'M2', patientName: null, birthDate: null }),
    // The same external id again with new terms: supersedes the row just written (same chunk).
    draft({ externalId: 'E-1', mrn: 'M1', periodEnd: day(2030, 1, 1) }),
    // ... and again with the key changed: the old key is left revoked (seqOld).
    draft({ externalId: 'E-1', mrn: 'M1', category: 'HIV', periodEnd: day(2030, 1, 1) }),
    // The same terms as a row of this chunk: a duplicate.
    draft({ externalId: 'E-2', mrn: 'M2', patientName: null, birthDate: null }),
    // A buffered patient gets its name and date of birth filled by a later row.
    draft({ externalId: 'E-3', mrn: 'M2', grantee: NPI.b, patientName: 'Doe, John', birthDate: '1970-01-01' }),
    // A different date of birth than the one now on file for M2: refused.
    draft({ externalId: 'E-4', mrn: 'M2', grantee: NPI.c, birthDate: '1971-01-01' }),
    // Same key as E-2 without an external id, other period: a second row of the key (seq 2).
    draft({ mrn: 'M2', birthDate: null, periodStart: day(2027, 1, 1) }),
    // The deny of a key a row of this file permits, overlapping: refused naming the earlier row.
    draft({ mrn: 'M2', birthDate: null, decision: 'deny', periodStart: day(2027, 6, 1) }),
    // An external id already used by another patient: refused.
    draft({ externalId: 'E-3', mrn: 'M3' }),
    // Not in force: revokes the matching active row.
    draft({ externalId: 'E-5', mrn: 'M4' }),
    draft({ externalId: 'E-5', mrn: 'M4', status: 'revoked', revokedReason: 'withdrawn' }),
    draft({ mrn: 'M5', purpose: 'HRESCH' }),
    draft({ mrn: 'M5', purpose: 'HRESCH', status: 'revoked', revokedReason: 'withdrawn' }),
    // Document hash given by the source.
    draft({ externalId: 'E-6', mrn: 'M6', documentHash: `0x${'ab'.repeat(32)}` }),
  ];
}

describe('bulk consent store: the same tables as the row-by-row store', () => {
  it('all rows in one chunk', () => {
    const kinds = expectSameTables([[mixed()]]);
    expect(kinds).toEqual([
      'inserted',
      'inserted',
      'updated',
      'updated',
      'duplicate',
      'inserted',
      'rejected',
      'inserted',
      'rejected',
      'rejected',
      'inserted',
      'updated',
      'inserted',
      'updated',
      'inserted',
    ]);
  });

  it('each row in its own chunk', () => {
    const rows = mixed();
    expectSameTables([rows.map((d) => [d])]);
  });

  it('rows split across chunks of two', () => {
    const rows = mixed();
    const chunks: ConsentDraft[][] = [];
    for (let i = 0; i < rows.length; i += 2) chunks.push(rows.slice(i, i + 2));
    expectSameTables([chunks]);
  });

  it('the same file in a second run: the same refusals, nothing new; only E-1 (three versions in the file) cycles again', () => {
    const first = mixed().length;
    const kinds = expectSameTables([[mixed()], [mixed()]]);
    const second = kinds.slice(first);
    expect(second.flatMap((k, i) => (k === 'inserted' || k === 'updated' ? [i] : []))).toEqual([0, 2, 3]);
    expect(second.flatMap((k, i) => (k === 'rejected' ? [i] : []))).toEqual(kinds.slice(0, first).flatMap((k, i) => (k === 'rejected' ? [i] : [])));
  });

  it('an external id first seen in one run and updated in the next, in one chunk with a new patient', () => {
    expectSameTables([[[draft({ externalId: 'X-1', mrn: 'N1' })]], [[draft({ externalId: 'N-0', mrn: 'N0' }), draft({ externalId: 'X-1', mrn: 'N1', decision: 'deny' })]]]);
  });

  it('two buffered patients and many rows: ids continue from what is on file', () => {
    const rows: ConsentDraft[] = [];
    for (let i = 0; i < 300; i++) rows.push(draft({ externalId: `R-${i}`, mrn: `P${i % 7}`, grantee: [NPI.a, NPI.b, NPI.c][i % 3]!, purpose: i % 2 ? 'TREAT' : 'HPAYMT', periodStart: day(2020, 1, 1) + i * 86_400 }));
    const kinds = expectSameTables([[rows.slice(0, 150), rows.slice(150)], [rows.slice(0, 10).map((d) => ({ ...d, periodEnd: day(2031, 1, 1) }))]]);
    expect(kinds.filter((k) => k === 'inserted')).toHaveLength(300);
    expect(kinds.slice(300)).toEqual(Array(10).fill('updated'));
  });
});
