// A run is listed before its first chunk commits (the Imports page and the jobs card show it at once): every count of
// its kind reads as a number from the start. With counts kept as JSON, a run created with '{}' read as missing counts,
// and the Imports page's progress read NaN rows (e2e imports.spec caught it).
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createClaimImportRun, getClaimImportRun } from '../claims/runs';
import { openTestDb, tempDir } from '../credentials/test-support';
import type { Db } from '../db/connection';
import { createImportRun, getImportRun } from './runs';
import { getRun, listRuns } from './run-table';

let dir: string;
let db: Db;
beforeEach(() => {
  dir = tempDir('custodian-run-table-');
  db = openTestDb(dir);
});
afterEach(() => db.close());

const file = { filePath: '/tmp/a.csv', fileName: 'a.csv', fileSize: 10, format: 'csv' as const, dryRun: false, startedBy: 'admin' };

describe('one runs table: a new run', () => {
  it("a consent run reads its kind's counts as zeros before its first chunk", () => {
    const id = createImportRun(db, file);
    expect(getImportRun(db, id)!.counts).toEqual({ rows_read: 0, accepted: 0, updated: 0, rejected: 0, duplicate: 0, consents_written: 0 });
    expect(listRuns(db, { limit: 10, kind: 'consents' })[0]).toMatchObject({ id, rows_read: 0, rejected: 0 });
  });

  it("a claims run reads its kind's counts as zeros before its first chunk", () => {
    const id = createClaimImportRun(db, { filePath: '/tmp/c.csv', fileName: 'c.csv', fileSize: 10, startedBy: 'admin' });
    expect(getClaimImportRun(db, id)!.counts).toEqual({ rowsRead: 0, passed: 0, failed: 0, rejected: 0, duplicate: 0 });
    expect(getRun(db, id, 'consents')).toBeUndefined();
  });
});
