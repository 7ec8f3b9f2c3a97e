// The first-run checklist from a real data folder (migrated SQLite file): each item ticks only on the state that
// proves it (a successful export, a committed import, an enabled non-IT account, a connected chain), never on a
// failed attempt, a dry run, a disabled account or another IT administrator.
import fs from 'node:fs';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { ChainStatus } from '../api/system';
import { createAuditSink } from '../audit/api-sink';
import { openTestDb, tempDir } from '../credentials/test-support';
import type { Db } from '../db/connection';
import { createRun } from '../imports/run-table';
import { consentRunTable, createImportRun } from '../imports/runs';
import { createStaff, updateStaff } from '../staff/accounts';
import { firstRunChecklist } from '../runtime/first-run';
import { readFirstRunFacts } from './first-run-facts';

const connected: ChainStatus = { state: 'connected', mode: 'embedded', rpcUrl: 'http://127.0.0.1:8545', chainId: 31337, blockNumber: 3, contracts: {} };
const down = { state: 'connecting', mode: 'external', since: '2025-01-01T00:00:00Z' } as unknown as ChainStatus;
const admin = { id: 'admin-1', name: 'Iris Admin', role: 'it_admin' as const };

let dir: string;
let db: Db;
beforeEach(() => {
  dir = tempDir('custodian-first-run-');
  db = openTestDb(dir);
});
afterEach(() => {
  db.close();
  fs.rmSync(dir, { recursive: true, force: true });
});

const done = (chain: ChainStatus = connected) => Object.fromEntries(firstRunChecklist(readFirstRunFacts(db, chain)).items.map((i) => [i.id, i.done]));

function audit(channel: string, outcome: 'success' | 'failure' | 'denied'): void {
  createAuditSink(db)({ principal: admin, transport: 'cli', channel, outcome, facts: {} });
}

function importRun(dryRun: boolean, outcome: 'succeeded' | 'failed'): void {
  const id = createImportRun(db, { filePath: '/tmp/c.csv', fileName: 'c.csv', fileSize: 10, format: 'csv', dryRun, startedBy: admin.id });
  consentRunTable(db).finish(id, outcome, outcome === 'failed' ? { code: 'IMPORT_FAILED', message: 'the import failed' } : null, null);
}

describe('first-run checklist', () => {
  it('a new data folder has nothing ticked but a chain that answers', () => {
    expect(done()).toEqual({ chain: true, 'facility-secret': false, 'first-import': false, staff: false });
    expect(done(down).chain).toBe(false);
    const list = firstRunChecklist(readFirstRunFacts(db, down));
    expect(list.complete).toBe(false);
    expect(list.items.find((i) => i.id === 'chain')!.detail).toMatch(/Not connected/);
  });

  it('the facility secret ticks on a successful export or import, never on a failed or refused one', () => {
    audit('facilitySecret.export', 'failure');
    audit('facilitySecret.export', 'denied');
    audit('facilitySecret.fingerprint', 'success');
    expect(done()['facility-secret']).toBe(false);
    audit('facilitySecret.export', 'success');
    expect(done()['facility-secret']).toBe(true);
  });

  it('a facility secret imported from another workstation also counts as saved elsewhere', () => {
    audit('facilitySecret.import', 'success');
    expect(done()['facility-secret']).toBe(true);
  });

  it('the first import ticks on a committed run only: a dry run or a failed run does not', () => {
    importRun(true, 'succeeded');
    importRun(false, 'failed');
    expect(done()['first-import']).toBe(false);
    importRun(false, 'succeeded');
    expect(done()['first-import']).toBe(true);
  });

  it('a provider roster or a claims file imported is not the first consents imported (one runs table holds every kind)', () => {
    for (const kind of ['providers', 'claims'] as const) {
      const id = createRun(db, kind, { filePath: `/tmp/${kind}.csv`, fileName: `${kind}.csv`, fileSize: 10, format: 'csv', dryRun: false, startedBy: admin.id }, {});
      db.prepare(`UPDATE import_runs SET outcome = 'succeeded', finished_at = ? WHERE id = ?`).run(new Date().toISOString(), id);
    }
    expect(done()['first-import']).toBe(false);
  });

  it('staff accounts tick on an enabled non-IT account; another IT admin or a disabled clerk does not', async () => {
    await createStaff(db, { username: 'it.two', displayName: 'Second Admin', role: 'it_admin', password: 'a long pass phrase 1' });
    const clerk = await createStaff(db, { username: 'clerk.one', displayName: 'Cole Clerk', role: 'records_clerk', password: 'a long pass phrase 2' });
    updateStaff(db, clerk.id, { disabled: true }, admin.id);
    expect(done().staff).toBe(false);
    updateStaff(db, clerk.id, { disabled: false }, admin.id);
    expect(done().staff).toBe(true);
  });

  it('is complete when every item is done', async () => {
    audit('facilitySecret.export', 'success');
    importRun(false, 'succeeded');
    await createStaff(db, { username: 'mae', displayName: 'Mae Manager', role: 'records_manager', password: 'a long pass phrase 3' });
    const list = firstRunChecklist(readFirstRunFacts(db, connected));
    expect(list.complete).toBe(true);
    expect(list.items.map((i) => i.id)).toEqual(['chain', 'facility-secret', 'first-import', 'staff']);
  });
});
