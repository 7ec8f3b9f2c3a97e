// The Merkle log against its signed heads, played as the attacker who can write the data folder but does not hold
// the workstation key: every tampering the issue lists (forged append, rewrite with hashes recomputed, truncated
// tail, wiped log, edited heads) on a real SQLite file and a real heads file, without a chain.
import fs from 'node:fs';
import { Wallet } from 'ethers';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { openDatabase } from '../db/connection';
import { migrate } from '../db/migrate';
import { appendHeadToFile, headsFilePath, readHeadsFile } from './heads-file';
import { headSignedBy, signTreeHead } from './heads';
import { checkLogAgainstHeads, headsInDatabase, latestHeadInDatabase, mergeHeads, sealTreeHead } from './log';
import { allEntries, createTestDb, forgeEntry, tamperFile, writeEntries, type TestDb } from './test-support';
import { entryHash, type AuditEntry } from './trail';
import { auditTrailId } from './trail-id';
import { verifyAuditTrail } from './verify';

const key = Wallet.createRandom();
const attacker = Wallet.createRandom();
const clock = (iso: string) => () => new Date(iso);
let t: TestDb;

const INSERT = 'INSERT INTO audit_log VALUES (@id, @at, @actor_id, @actor_name, @actor_role, @workstation, @action, @outcome, @patient_id, @subject, @details, @prev_hash, @hash)';

beforeEach(() => {
  t = createTestDb('custodian-audit-heads-');
  writeEntries(t.db, 20);
  sealTreeHead(t.db, { dataDir: t.dir, signer: key, now: clock('2025-03-01T09:00:00Z') });
  writeEntries(t.db, 5, 21);
  sealTreeHead(t.db, { dataDir: t.dir, signer: key, now: clock('2025-03-01T09:01:00Z') });
  t.db.pragma('wal_checkpoint(TRUNCATE)');
  t.db.close();
});
afterEach(() => t.cleanup());

const verify = (signer: string | undefined = key.address) =>
  verifyAuditTrail(t.reopen(), { dataDir: t.dir, chainUnavailable: 'not connected in this test', ...(signer ? { signer } : {}) });

/** Rewrites entry `id` (patient 99) and recomputes every hash and link after it, as the hash chain allows. */
function rewriteAndRehash(raw: Parameters<Parameters<typeof tamperFile>[1]>[0], id: number): void {
  raw.exec('DROP TRIGGER audit_log_no_update');
  const rows = raw.prepare('SELECT * FROM audit_log WHERE id >= ? ORDER BY id').all(id) as AuditEntry[];
  let prev = (raw.prepare('SELECT hash FROM audit_log WHERE id = ?').get(id - 1) as { hash: string }).hash;
  for (const row of rows) {
    const { hash: _old, ...fields } = { ...row, prev_hash: prev, ...(row.id === id ? { patient_id: 99 } : {}) };
    const hash = entryHash(fields);
    raw.prepare('UPDATE audit_log SET patient_id = ?, prev_hash = ?, hash = ? WHERE id = ?').run(fields.patient_id, prev, hash, row.id);
    prev = hash;
  }
}

describe('signed tree heads', () => {
  it('seals a head only when entries are new, in the database and the 0600 heads file, signed by the key', () => {
    const db = t.reopen();
    expect(sealTreeHead(db, { dataDir: t.dir, signer: key })).toBeNull();
    const heads = headsInDatabase(db);
    expect(heads.map((h) => h.treeSize)).toEqual([20, 25]);
    expect(heads.every((h) => headSignedBy(h, key.address) && h.trailId === auditTrailId(db))).toBe(true);
    expect(readHeadsFile(t.dir).heads).toEqual(heads);
    expect(fs.statSync(headsFilePath(t.dir)).mode & 0o777).toBe(0o600);
    expect(headSignedBy({ ...heads[1]!, treeSize: 24 }, key.address)).toBe(false);
  });

  it('reports an intact log as verified up to its last head', async () => {
    const report = await verify();
    expect(report).toMatchObject({ ok: true, firstProblem: null, log: { treeSize: 25, verifiedSize: 25, unsignedTail: null, headsInDatabase: 2, headsInFile: 2, headsFile: 'present' } });
    expect(report.log.lastSignedHead).toMatchObject({ treeSize: 25, sources: ['database', 'file'] });
  });

  it('refuses to sign a head over a log rewritten since the last head', () => {
    tamperFile(t.file, (raw) => rewriteAndRehash(raw, 22));
    const db = t.reopen();
    writeEntries(db, 1, 26);
    expect(() => sealTreeHead(db, { dataDir: t.dir, signer: key })).toThrow(expect.objectContaining({ code: 'AUDIT_TAMPERED' }));
    expect(latestHeadInDatabase(db)?.treeSize).toBe(25);
  });

  it('refuses to sign a head over a truncated log', () => {
    tamperFile(t.file, (raw) => {
      raw.exec('DROP TRIGGER audit_log_no_delete');
      raw.prepare('DELETE FROM audit_log WHERE id > 22').run();
    });
    const db = t.reopen();
    expect(() => sealTreeHead(db, { dataDir: t.dir, signer: key })).toThrow(expect.objectContaining({ code: 'AUDIT_TAMPERED', message: expect.stringContaining('entries were deleted') }));
  });
});

describe('the attacker without the workstation key', () => {
  it('appends a forged entry with a correct hash: reported as an unsigned tail since head 25', async () => {
    tamperFile(t.file, (raw) => {
      const last = raw.prepare('SELECT hash FROM audit_log WHERE id = 25').get() as { hash: string };
      raw.prepare(INSERT).run(forgeEntry(26, last.hash));
    });
    const report = await verify();
    expect(report.log).toMatchObject({ treeSize: 26, verifiedSize: 25, unsignedTail: { sinceSize: 25, entries: 1 } });
    expect(report.warnings.join(' ')).toMatch(/unsigned tail since head 25/);
  });

  it('appends a forged entry and signs a head for it with another key, in the database and the file: forged head', async () => {
    tamperFile(t.file, (raw) => {
      const last = raw.prepare('SELECT hash FROM audit_log WHERE id = 25').get() as { hash: string };
      raw.prepare(INSERT).run(forgeEntry(26, last.hash));
    });
    const db = t.reopen();
    const real = latestHeadInDatabase(db)!;
    const leaves = allEntries(db).map((e) => e.hash);
    const root = checkLogAgainstHeads(leaves, [], { trailId: real.trailId }).root;
    const forged = signTreeHead(attacker, { trailId: real.trailId, treeSize: 26, rootHash: root, timestamp: real.timestamp + 1 });
    db.prepare('INSERT INTO audit_heads (tree_size, root_hash, timestamp, trail_id, signer, signature) VALUES (@treeSize, @rootHash, @timestamp, @trailId, @signer, @signature)').run(forged);
    appendHeadToFile(t.dir, forged);
    // Passing off the real signer's address with the attacker's signature fails too.
    appendHeadToFile(t.dir, { ...forged, treeSize: 26, signer: key.address });
    db.close();
    const report = await verify();
    expect(report.ok).toBe(false);
    expect(report.firstProblem).toMatchObject({ kind: 'forged-head', entryId: 26 });
    expect(report.log.verifiedSize).toBe(25);
  });

  it('rewrites an entry covered by a head and recomputes every hash after it: the first head no longer matches', async () => {
    tamperFile(t.file, (raw) => rewriteAndRehash(raw, 12));
    const report = await verify();
    expect(report.ok).toBe(false);
    // The hash chain is intact; the signed root of 20 entries names the range from its first entry.
    expect(report.firstProblem).toMatchObject({ kind: 'changed', entryId: 1, message: expect.stringMatching(/Entries 1–20 no longer give the root signed at 2025-03-01T09:00:00.000Z/) });
  });

  it('rewrites an entry after the first head: the range starts right after the matching head', async () => {
    tamperFile(t.file, (raw) => rewriteAndRehash(raw, 23));
    const report = await verify();
    expect(report.firstProblem).toMatchObject({ kind: 'changed', entryId: 21, message: expect.stringContaining('Entries 21–25') });
    expect(report.log.verifiedSize).toBe(20);
  });

  it('deletes the tail (the last three entries): named from the first deleted entry', async () => {
    tamperFile(t.file, (raw) => {
      raw.exec('DROP TRIGGER audit_log_no_delete');
      raw.prepare('DELETE FROM audit_log WHERE id > 22').run();
    });
    const report = await verify();
    expect(report.firstProblem).toMatchObject({ kind: 'deleted', entryId: 23, message: expect.stringContaining('Entries 23–25 were deleted') });
  });

  it('deletes the tail and the heads that cover it from the database: the heads file remembers', async () => {
    tamperFile(t.file, (raw) => {
      raw.exec('DROP TRIGGER audit_log_no_delete; DROP TRIGGER audit_heads_no_delete');
      raw.prepare('DELETE FROM audit_log WHERE id > 22').run();
      raw.prepare('DELETE FROM audit_heads WHERE tree_size > 22').run();
    });
    const report = await verify();
    expect(report.ok).toBe(false);
    expect(report.firstProblem).toMatchObject({ kind: 'deleted', entryId: 23 });
    expect(report.log.lastSignedHead).toMatchObject({ treeSize: 25, sources: ['file'] });
  });

  it('wipes the database (and with it the chain folder) and starts a new log: the heads file remembers the old one', async () => {
    t.db.close();
    for (const f of [t.file, `${t.file}-wal`, `${t.file}-shm`]) fs.rmSync(f, { force: true });
    fs.rmSync(`${t.dir}/chain`, { recursive: true, force: true });
    const fresh = openDatabase(t.file);
    migrate(fresh);
    writeEntries(fresh, 30);
    fresh.close();
    const report = await verify();
    expect(report.ok).toBe(false);
    expect(report.firstProblem).toMatchObject({ kind: 'replaced', entryId: 1, message: expect.stringContaining('was replaced or wiped') });
  });

  it('deletes the heads file: reported, the database heads still check the log', async () => {
    fs.rmSync(headsFilePath(t.dir));
    const report = await verify();
    expect(report.ok).toBe(false);
    expect(report.log.headsFile).toBe('missing');
    expect(report.warnings.join(' ')).toMatch(/heads file is missing/);
  });

  it('edits a line of the heads file: reported', async () => {
    const file = headsFilePath(t.dir);
    fs.writeFileSync(file, fs.readFileSync(file, 'utf8').replace('"treeSize":20', '"treeSize":"20"'));
    const report = await verify();
    expect(report.ok).toBe(false);
    expect(report.warnings.join(' ')).toMatch(/line 1/);
  });

  it('rewrites the log and re-signs every head with its own key: caught by the known workstation address', async () => {
    tamperFile(t.file, (raw) => {
      rewriteAndRehash(raw, 3);
      raw.exec('DROP TRIGGER audit_heads_no_delete');
      raw.prepare('DELETE FROM audit_heads').run();
    });
    fs.rmSync(headsFilePath(t.dir));
    sealTreeHead(t.reopen(), { dataDir: t.dir, signer: attacker });
    const report = await verify(key.address);
    expect(report.firstProblem).toMatchObject({ kind: 'forged-head' });
  });
});

describe('mergeHeads', () => {
  it('reports two different heads of one size as a fork', () => {
    const trailId = `0x${'ab'.repeat(32)}`;
    const a = signTreeHead(key, { trailId, treeSize: 3, rootHash: `0x${'01'.repeat(32)}`, timestamp: 1 });
    const b = signTreeHead(key, { trailId, treeSize: 3, rootHash: `0x${'02'.repeat(32)}`, timestamp: 2 });
    const { heads, forks } = mergeHeads([
      { source: 'database', heads: [a] },
      { source: 'file', heads: [a, b] },
    ]);
    expect(heads).toEqual([expect.objectContaining({ treeSize: 3, sources: ['database', 'file'] })]);
    expect(forks).toHaveLength(1);
    const check = checkLogAgainstHeads(['aa'.repeat(32), 'bb'.repeat(32), 'cc'.repeat(32)], heads, { trailId, forks });
    expect(check.problem).toMatchObject({ kind: 'forked-head' });
  });
});
