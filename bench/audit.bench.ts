// The audit trail's costs on a real SQLite file: appending hash-chained entries against plain INSERTs into an
// identical table, verifying 100k entries against a bare read of them, and Merkle batching and proof generation.
import path from 'node:path';
import { listBatches, proveEntry, sealDueBatches } from '../main/audit/batches';
import { syntheticEntry } from '../main/audit/test-support';
import { recordAudit } from '../main/audit/trail';
import { verifyAuditTrail } from '../main/audit/verify';
import { openDatabase, type Db } from '../main/db/connection';
import { migrate } from '../main/db/migrate';
import type { Bench, Figure } from './types';

const seconds = (start: bigint) => Number(process.hrtime.bigint() - start) / 1e9;

// The audit_log columns and indexes of 0004_audit.sql, without the triggers and without hashing.
const PLAIN_TABLE = `
CREATE TABLE plain_log (
  id INTEGER PRIMARY KEY, at TEXT NOT NULL, actor_id TEXT, actor_name TEXT, actor_role TEXT, workstation TEXT NOT NULL,
  action TEXT NOT NULL, outcome TEXT NOT NULL, patient_id INTEGER, subject TEXT, details TEXT NOT NULL DEFAULT '{}',
  prev_hash TEXT NOT NULL, hash TEXT NOT NULL UNIQUE
) STRICT;
CREATE INDEX plain_by_patient ON plain_log (patient_id, id) WHERE patient_id IS NOT NULL;
CREATE INDEX plain_by_actor ON plain_log (actor_id, id);
CREATE INDEX plain_by_action ON plain_log (action, id);
CREATE INDEX plain_by_time ON plain_log (at);`;

function plainAppender(db: Db): (i: number) => void {
  const insert = db.prepare(
    `INSERT INTO plain_log (id, at, actor_id, actor_name, actor_role, workstation, action, outcome, patient_id, subject, details, prev_hash, hash)
     VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
  );
  return db.transaction((i: number) => {
    const e = syntheticEntry(i);
    // A unique filler where the audit table has a hash; no hashing, no chain.
    const filler = i.toString(16).padStart(64, '0');
    insert.run(i, e.at!.toISOString(), e.actor!.id, e.actor!.name, e.actor!.role, e.workstation!, e.action, e.outcome, e.patientId ?? null, e.subject ?? null, JSON.stringify(e.details), filler, filler);
  });
}

const bench: Bench = async ({ tmpDir, rows }) => {
  const n = Math.min(rows, 100_000);
  const db = openDatabase(path.join(tmpDir, 'audit.sqlite'));
  migrate(db);
  db.exec(PLAIN_TABLE);

  // Appends, one transaction per entry as the dispatcher writes them. The two run in alternating chunks so a
  // change in machine load between them does not decide the ratio.
  const appendPlain = plainAppender(db);
  const CHUNK = 5_000;
  let plainSeconds = 0;
  let auditSeconds = 0;
  for (let start = 1; start <= n; start += CHUNK) {
    const end = Math.min(n, start + CHUNK - 1);
    let t = process.hrtime.bigint();
    for (let i = start; i <= end; i++) appendPlain(i);
    plainSeconds += seconds(t);
    t = process.hrtime.bigint();
    for (let i = start; i <= end; i++) recordAudit(db, syntheticEntry(i));
    auditSeconds += seconds(t);
  }
  const plainRate = n / plainSeconds;
  const appendRate = n / auditSeconds;

  // Verification before batching would skip the Merkle part, so seal first (this also times batching).
  let t = process.hrtime.bigint();
  const sealed = sealDueBatches(db, { force: true });
  const sealSeconds = seconds(t);

  t = process.hrtime.bigint();
  let read = 0;
  for (const _row of db.prepare('SELECT * FROM audit_log ORDER BY id').iterate()) read++;
  const readRate = read / seconds(t);
  t = process.hrtime.bigint();
  const full = await verifyAuditTrail(db, { depth: 'full', chainUnavailable: 'benchmark' });
  const fullSeconds = seconds(t);
  t = process.hrtime.bigint();
  const quick = await verifyAuditTrail(db, { depth: 'quick', chainUnavailable: 'benchmark' });
  const quickSeconds = seconds(t);
  if (!full.ok || !quick.ok) throw new Error(`verification failed on an untouched trail: ${full.firstProblem?.message ?? quick.firstProblem?.message}`);

  // Proofs: the first in a batch rebuilds its tree (cold); the next ones in that batch reuse it (warm).
  const batches = listBatches(db);
  const sample = batches.slice(0, Math.min(20, batches.length));
  let coldSeconds = 0;
  let warmSeconds = 0;
  for (const b of sample) {
    t = process.hrtime.bigint();
    proveEntry(db, b.first_id + Math.floor(b.leaf_count / 2));
    coldSeconds += seconds(t);
    t = process.hrtime.bigint();
    for (let k = 0; k < 10; k++) proveEntry(db, b.first_id + k);
    warmSeconds += seconds(t);
  }
  const coldMs = (coldSeconds * 1000) / sample.length;
  const warmMs = (warmSeconds * 1000) / (sample.length * 10);
  db.close();

  const figures: Figure[] = [
    {
      name: `append ${n.toLocaleString('en-US')} hash-chained entries (one transaction each)`,
      value: appendRate,
      unit: 'entries/s',
      baseline: { name: 'plain INSERT into an identical table, no hashing or triggers', value: plainRate, unit: 'entries/s' },
      ratio: appendRate / plainRate,
      note: 'ratio < 1: the share of plain INSERT speed the tamper-evident trail keeps',
    },
    {
      name: `verify ${full.entries.toLocaleString('en-US')} entries, full (every hash, link and batch root rebuilt)`,
      value: full.entries / fullSeconds,
      unit: 'entries/s',
      baseline: { name: 'read every row without checking', value: readRate, unit: 'entries/s' },
      ratio: full.entries / fullSeconds / readRate,
      note: `${fullSeconds.toFixed(2)} s in all`,
    },
    {
      name: `verify ${quick.entries.toLocaleString('en-US')} entries, quick (every hash and link; stored last-leaf proof per batch)`,
      value: quick.entries / quickSeconds,
      unit: 'entries/s',
      baseline: { name: 'read every row without checking', value: readRate, unit: 'entries/s' },
      ratio: quick.entries / quickSeconds / readRate,
      note: `${quickSeconds.toFixed(2)} s in all`,
    },
    {
      name: `seal ${sealed.length} batches of up to 1,000 (tree, root, outbox event)`,
      value: (sealSeconds * 1000) / Math.max(1, sealed.length),
      unit: 'ms/batch',
      note: `${sealSeconds.toFixed(2)} s for ${n.toLocaleString('en-US')} entries`,
    },
    {
      name: 'proof of one entry, cold (tree of its batch rebuilt)',
      value: coldMs,
      unit: 'ms',
      baseline: { name: 'warm (tree cached)', value: warmMs, unit: 'ms' },
      ratio: coldMs / warmMs,
    },
  ];
  return figures;
};

export default bench;
