// A dry run must not fail because the console writes at the same time (issue #15: "FAILED · database is locked"
// after a few seconds on a 20,000-row file). A dry run reads the real tables and writes only temporary ones, so
// nothing of it needs the write lock except its own run counts, which it saves in a short write of their own.
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { openDatabase } from '../db/connection';
import type { MainThreadWatch } from '../workers/main-thread-watch';
import { testData, type TestData } from '../consents/test-support';
import { csvText, importFile, line, writeFile } from './test-support';

let t: TestData;
beforeEach(() => {
  t = testData('custodian-dry-concurrency-');
});
afterEach(() => t.cleanup());

describe('a dry run while another connection writes', () => {
  it('finishes with the same counts as without the writer, and changes nothing', async () => {
    const rows = Array.from({ length: 5_000 }, (_, i) => line({ external_id: `C-${i}`, mrn: `MRN${i % 300}` }));
    const file = writeFile(t, 'in.csv', csvText(rows));
    const quiet = await importFile(t, file, { dryRun: true, chunkRows: 2_500 });

    // Another connection (the console's main thread) commits a write between every batch the dry run reads.
    const other = openDatabase(t.dbPath);
    let writes = 0;
    const console: MainThreadWatch = {
      stalled() {
        other.prepare("INSERT INTO import_runs (kind, file_name, file_path, file_size, format, dry_run, started_by, created_at) VALUES ('consents', ?, ?, 0, ?, 0, ?, ?)").run('x.csv', '/nowhere', 'csv', 'other', new Date().toISOString());
        writes++;
        return false;
      },
      resumed: async () => true,
    } as unknown as MainThreadWatch;
    try {
      const busy = await importFile(t, file, { dryRun: true, chunkRows: 2_500, hooks: { mainThread: console } });
      expect(writes).toBeGreaterThan(2);
      expect(busy.outcome).toBe('succeeded');
      for (const k of ['rows_read', 'accepted', 'updated', 'rejected', 'duplicate'] as const) expect(busy[k]).toBe(quiet[k]);
      expect((t.db.prepare('SELECT count(*) AS n FROM consents').get() as { n: number }).n).toBe(0);
    } finally {
      other.close();
    }
  });
});
