// Pins why an audited call begins IMMEDIATE (services.ts callTransaction): two real connections to one SQLite file,
// the second in a worker thread playing the import worker with a write transaction open. An audited read started
// meanwhile waits for the write lock and succeeds; begun DEFERRED, the same call reads a snapshot that the worker's
// commit makes stale and its audit entry fails at once with SQLITE_BUSY_SNAPSHOT (no busy wait cures it), so the
// call is refused. The threads step through shared flags (Atomics), not sleeps.
import { once } from 'node:events';
import { Worker } from 'node:worker_threads';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createAuditSink } from '../audit/api-sink';
import { createTestDb, type TestDb } from '../audit/test-support';
import type { Db } from '../db/connection';
import type { Principal } from '../api/permissions';
import { createDispatcher, type ApiHandlers, type DispatcherOptions } from './dispatcher';
import { silentLogger } from './log';
import { callTransaction } from '../compose/services';

const STARTED = 0; // main is about to make the audited call
const READ = 1; // the call's handler has read (a DEFERRED call gets here while the worker still holds the lock)
const COMMITTED = 2; // the worker committed
const admin: Principal = { id: 'a', name: 'Admin', role: 'it_admin' };

// The import worker: opens its own connection, writes inside BEGIN IMMEDIATE, says so, and commits once main's call
// has started and then read. A call begun IMMEDIATE cannot read before this commit: it is waiting for the lock, so
// after it started, the worker commits when no read comes within `lockWaitMs` (the IMMEDIATE call succeeds whenever
// the commit lands; the bound only keeps it from waiting out the busy timeout).
const IMPORT_WORKER = `
const { workerData, parentPort } = require('node:worker_threads');
const Database = require('better-sqlite3-multiple-ciphers');
const flags = new Int32Array(workerData.shared);
const db = new Database(workerData.file);
db.pragma('busy_timeout = 5000');
db.exec('BEGIN IMMEDIATE');
db.prepare('INSERT INTO import_rows (n) VALUES (1)').run();
parentPort.postMessage('holding');
Atomics.wait(flags, ${STARTED}, 0);
Atomics.wait(flags, ${READ}, 0, workerData.lockWaitMs);
db.exec('COMMIT');
Atomics.store(flags, ${COMMITTED}, 1);
Atomics.notify(flags, ${COMMITTED});
db.close();
`;

let t: TestDb;
beforeEach(() => {
  t = createTestDb('custodian-immediate-');
  t.db.exec('CREATE TABLE import_rows (n INTEGER)');
});
afterEach(() => t.cleanup());

/** Runs one audited read (jobs.cancel's slot) on `db` with `transaction`, while the worker holds the write lock. */
async function auditedReadDuringImport(db: Db, transaction: NonNullable<DispatcherOptions['transaction']>) {
  const shared = new SharedArrayBuffer(3 * Int32Array.BYTES_PER_ELEMENT);
  const flags = new Int32Array(shared);
  const auditErrors: string[] = [];
  const sink = createAuditSink(db);
  const handlers = {
    'jobs.cancel': () => {
      const seen = db.prepare('SELECT count(*) FROM import_rows').pluck().get() as number;
      Atomics.store(flags, READ, 1);
      Atomics.notify(flags, READ);
      // The worker's commit lands between this read and the audit entry (at once when it already happened).
      Atomics.wait(flags, COMMITTED, 0, 30_000);
      return { cancelled: seen === 1 };
    },
  } as unknown as ApiHandlers;
  const dispatch = createDispatcher(handlers, silentLogger, {
    audit: (r) => {
      try {
        sink(r);
      } catch (err) {
        auditErrors.push(String((err as { code?: string }).code));
        throw err;
      }
    },
    transaction,
  });
  const worker = new Worker(IMPORT_WORKER, { eval: true, workerData: { file: t.file, shared, lockWaitMs: 250 } });
  try {
    expect((await once(worker, 'message'))[0]).toBe('holding');
    Atomics.store(flags, STARTED, 1);
    Atomics.notify(flags, STARTED);
    const result = await dispatch('jobs.cancel', { jobId: '6f1c2d7e-8c1b-4a59-9a3f-0c1d2e3f4a5b' }, { principal: admin, transport: 'electron' });
    return { result, auditErrors, committed: Atomics.load(flags, COMMITTED) === 1 };
  } finally {
    await worker.terminate();
  }
}

describe('an audited read while the import worker holds a write transaction', () => {
  it('begun IMMEDIATE (as services.ts does), waits for the lock and succeeds, reading the committed import and writing its entry', async () => {
    const { result, auditErrors, committed } = await auditedReadDuringImport(t.db, callTransaction(t.db));
    expect(committed).toBe(true);
    expect(auditErrors).toEqual([]);
    // It read after the worker's commit: it waited rather than failed.
    expect(result).toEqual({ ok: true, value: { cancelled: true } });
    expect(t.db.prepare(`SELECT count(*) FROM audit_log WHERE action = 'jobs.cancel' AND outcome = 'success'`).pluck().get()).toBe(1);
  });

  it('begun DEFERRED, fails with SQLITE_BUSY_SNAPSHOT at its audit entry and is refused (what IMMEDIATE prevents)', async () => {
    const deferred: NonNullable<DispatcherOptions['transaction']> = (fn) => t.db.transaction(fn)();
    const { result, auditErrors, committed } = await auditedReadDuringImport(t.db, deferred);
    expect(committed).toBe(true);
    expect(auditErrors).toEqual(['SQLITE_BUSY_SNAPSHOT']);
    expect(result).toMatchObject({ ok: false, error: { code: 'AUDIT_WRITE_FAILED' } });
    expect(t.db.prepare(`SELECT count(*) FROM audit_log WHERE action = 'jobs.cancel' AND outcome = 'success'`).pluck().get()).toBe(0);
  });
});
