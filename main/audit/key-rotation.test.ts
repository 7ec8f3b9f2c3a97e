// The key rotation of the audit heads, played as the attacker: a local process that can write the data folder and
// holds anvil's PUBLIC dev key #0 (which signed this folder's heads before it had its own key), but not the new key.
// Real SQLite and a real heads file; no chain.
import fs from 'node:fs';
import { Wallet } from 'ethers';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { appendHeadToFile, headsFilePath, readHeadsFile } from './heads-file';
import { signTreeHead } from './heads';
import { mergeRotations, recordKeyRotation, rotationsInDatabase } from './key-rotation';
import { TreeBuilder, entryLeaf, sealTreeHead } from './log';
import { toHex } from './log-tree';
import { rotationSignedByNewKey, ROTATION_ACTION } from './rotation-statement';
import { createTestDb, tamperFile, writeEntries, type TestDb } from './test-support';
import { auditTrailId } from './trail-id';
import { verifyAuditTrail } from './verify';

/** anvil's dev account #0: public (anvil prints it at every start). */
const devKey = new Wallet('0xac0974bec39a17e36ba4a6b4d238ff944bacb478cbed5efcae784d7bf4f2ff80');
const newKey = Wallet.createRandom();
let t: TestDb;

beforeEach(() => {
  t = createTestDb('custodian-key-rotation-');
  // Before the migration: heads of 10 and 15 entries signed by the public dev key.
  writeEntries(t.db, 10);
  sealTreeHead(t.db, { dataDir: t.dir, signer: devKey, anchor: false });
  writeEntries(t.db, 5, 11);
  sealTreeHead(t.db, { dataDir: t.dir, signer: devKey, anchor: false });
});
afterEach(() => t.cleanup());

const verify = () => verifyAuditTrail(t.reopen(), { dataDir: t.dir, chainUnavailable: 'not connected in this test', signer: newKey.address });

/** The migration: rotation over the dev key's heads, then heads by the folder's own key. */
function migrate(): void {
  expect(recordKeyRotation(t.db, t.dir, newKey, devKey.address)).not.toBeNull();
  writeEntries(t.db, 3, 17);
  sealTreeHead(t.db, { dataDir: t.dir, signer: newKey, anchor: false });
}

function rootOf(size: number): string {
  const b = new TreeBuilder();
  for (const h of t.db.prepare('SELECT hash FROM audit_log WHERE id <= ? ORDER BY id').pluck().all(size) as string[]) b.push(entryLeaf(h));
  return toHex(b.root());
}

/** A head the attacker signs with the public dev key over the log as it is, in the database and the heads file. */
function forgeDevKeyHead(): number {
  writeEntries(t.db, 2, 100);
  const size = t.db.prepare('SELECT max(id) FROM audit_log').pluck().get() as number;
  const head = signTreeHead(devKey, { trailId: auditTrailId(t.db), treeSize: size, rootHash: rootOf(size), timestamp: Date.now() });
  t.db.prepare('INSERT INTO audit_heads (tree_size, root_hash, timestamp, trail_id, signer, signature) VALUES (@treeSize, @rootHash, @timestamp, @trailId, @signer, @signature)').run(head);
  appendHeadToFile(t.dir, head);
  return size;
}

describe('key rotation away from the public dev key', () => {
  it('without a rotation statement, the dev key heads are forged-head, named', async () => {
    const report = await verify();
    expect(report.ok).toBe(false);
    expect(report.firstProblem).toMatchObject({ kind: 'forged-head', entryId: 10 });
    expect(report.firstProblem?.message).toMatch(/signed by 0xf39Fd6e51aad88F6F4ce6aB8827279cffFb92266.*no key rotation statement covers it/);
  });

  it('the new key signs the statement once, in the log and the heads file; verify is clean and says what the old heads are worth', async () => {
    migrate();
    expect(recordKeyRotation(t.db, t.dir, newKey, devKey.address)).toBeNull();
    const [inDb] = rotationsInDatabase(t.db);
    expect(inDb).toMatchObject({ oldSigner: devKey.address, newSigner: newKey.address, treeSize: 15, rootHash: rootOf(15), reason: 'public-dev-key' });
    expect(rotationSignedByNewKey(inDb!, newKey.address)).toBe(true);
    expect(readHeadsFile(t.dir)).toMatchObject({ rotations: [inDb], badLines: [] });
    expect(t.db.prepare('SELECT count(*) FROM audit_log WHERE action = ?').pluck().get(ROTATION_ACTION)).toBe(1);

    const report = await verify();
    expect(report.firstProblem).toBeNull();
    expect(report.ok).toBe(true);
    expect(report.log.verifiedSize).toBe(19);
    expect(report.warnings.join('\n')).toMatch(/2 head\(s\), up to 15 entries, were signed by the public devnet key 0xf39F.* before this data folder had its own key: they prove nothing against someone with the data folder/);
  });

  it('attack: a head signed by the dev key after the rotation stays forged-head', async () => {
    migrate();
    const size = forgeDevKeyHead();
    const report = await verify();
    expect(report.ok).toBe(false);
    expect(report.firstProblem).toMatchObject({ kind: 'forged-head', entryId: size });
    expect(report.firstProblem?.message).toMatch(/retired key .* covers its heads up to 15 entries only: it was forged/);
  });

  it('attack: a dev key head after the new key took over is never rotated over (it stays forged-head)', async () => {
    migrate();
    const size = forgeDevKeyHead();
    expect(recordKeyRotation(t.db, t.dir, newKey, devKey.address)).toBeNull();
    expect(rotationsInDatabase(t.db).map((r) => r.treeSize)).toEqual([15]);
    expect((await verify()).firstProblem).toMatchObject({ kind: 'forged-head', entryId: size });
  });

  it('attack: the rotation statement deleted from the log and the heads file leaves the dev key heads forged-head', async () => {
    migrate();
    t.db.close();
    tamperFile(t.file, (raw) => {
      raw.exec('DROP TRIGGER audit_log_no_delete');
      raw.prepare('DELETE FROM audit_log WHERE action = ?').run(ROTATION_ACTION);
    });
    const kept = fs.readFileSync(headsFilePath(t.dir), 'utf8').split('\n').filter((l) => !l.includes('keyRotation'));
    fs.writeFileSync(headsFilePath(t.dir), kept.join('\n'));
    const report = await verify();
    expect(report.ok).toBe(false);
    expect(report.firstProblem).toMatchObject({ kind: 'forged-head', entryId: 10 });
    expect(report.firstProblem?.message).toMatch(/no key rotation statement covers it: it was forged, or the rotation statement was deleted/);
  });

  it('attack: the statement edited upward to cover a forged dev key head fails its signature', async () => {
    migrate();
    const size = forgeDevKeyHead();
    const lines = fs.readFileSync(headsFilePath(t.dir), 'utf8').split('\n');
    const edited = lines.map((l) => (l.includes('keyRotation') ? l.replace('"treeSize":15', `"treeSize":${size}`).replace(rootOf(15), rootOf(size)) : l));
    expect(edited).not.toEqual(lines);
    fs.writeFileSync(headsFilePath(t.dir), edited.join('\n'));
    const report = await verify();
    expect(report.ok).toBe(false);
    expect(report.firstProblem?.kind).toBe('forged-head');
    expect(report.firstProblem?.message).toMatch(new RegExp(`key rotation statement over the heads up to ${size} entries .* is not signed by this workstation's key .*: it was forged or edited`));
    // The edited copy alone (the log's copy also rewritten) still covers nothing.
    expect(mergeRotations(readHeadsFile(t.dir).rotations).every((r) => !rotationSignedByNewKey(r))).toBe(true);
  });

  it('refuses to rotate over a head the log no longer gives (a rotation never blesses tampering)', () => {
    t.db.close();
    tamperFile(t.file, (raw) => {
      raw.exec('DROP TRIGGER audit_log_no_update');
      raw.prepare("UPDATE audit_log SET hash = ? WHERE id = 3").run('ab'.repeat(32));
    });
    expect(recordKeyRotation(t.reopen(), t.dir, newKey, devKey.address)).toBeNull();
    expect(rotationsInDatabase(t.db)).toEqual([]);
  });
});
