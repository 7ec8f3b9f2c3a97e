// One owner per table (scripts/table-owners.ts): today's tree passes, and a write planted outside a table's owner
// fails by file, line and table. Also what the reader must not confuse: prose in comments, tables whose names
// start with an owned one, and the spellings SQL allows (case, OR REPLACE, quoted names, several lines).
import fs from 'node:fs';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { DYNAMIC, mainSources, ownerViolations, tableWritesIn, TABLE_OWNERS } from './table-owners';

const root = path.resolve(import.meta.dirname, '..');
const probes: string[] = [];
function probe(relative: string, source: string): string {
  fs.writeFileSync(path.join(root, relative), source);
  probes.push(path.join(root, relative));
  return relative;
}
afterEach(() => {
  for (const file of probes.splice(0)) fs.rmSync(file, { force: true });
});
/** What the rule finds in the whole of main/, as [file, line, table]. */
const violations = () => ownerViolations(root, mainSources(root)).map((w) => [w.file, w.line, w.table]);

describe('table owners', () => {
  it('finds no write of an owned table outside its owner in main/', () => {
    expect(ownerViolations(root, mainSources(root))).toEqual([]);
  });

  it('every owner module exists and does write its table (an owner list cannot go stale silently)', () => {
    for (const [table, owners] of Object.entries(TABLE_OWNERS)) {
      for (const owner of owners) {
        const writes = tableWritesIn(owner, fs.readFileSync(path.join(root, owner), 'utf8'));
        expect(writes.some((w) => w.table === table), `${owner} owns ${table}`).toBe(true);
      }
    }
  });

  it('fails on a write planted outside the owner: the sync engine updating consents, a domain appending to the outbox or the audit log', () => {
    const planted = [
      probe('main/sync/zz-owner-probe.ts', "export const sql = `UPDATE consents SET status = 'revoked' WHERE id = ?`;\n"),
      probe('main/consents/zz-owner-probe.ts', "export const a = 'INSERT INTO outbox (kind, payload) VALUES (?, ?)';\nexport const b = `delete from\n  audit_log where id = ?`;\n"),
    ];
    expect(violations()).toEqual([
      [planted[1], 1, 'outbox'],
      [planted[1], 2, 'audit_log'],
      [planted[0], 1, 'consents'],
    ]);
  });

  it('fails on a sharing agreement written outside the sharing store: the sync sink or a handler changing an agreement directly', () => {
    const planted = [
      probe('main/sharing/zz-owner-probe.ts', "export const sql = `UPDATE sharing_agreements SET status = 'active' WHERE id = ?`;\n"),
      probe('main/sync/zz-owner-probe.ts', "export const sql = 'INSERT OR IGNORE INTO sharing_agreements (id) VALUES (?)';\n"),
    ];
    expect(violations()).toEqual([
      [planted[0], 1, 'sharing_agreements'],
      [planted[1], 1, 'sharing_agreements'],
    ]);
  });

  it('fails on a job row written outside the job store: the runner, the job worker or a domain marking a job finished', () => {
    const planted = [
      probe('main/workers/zz-owner-probe.ts', "export const sql = `UPDATE jobs SET state = 'succeeded' WHERE id = ?`;\n"),
      probe('main/compose/zz-owner-probe.ts', "export const sql = 'UPDATE jobs SET checkpoint = ?, done = ? WHERE id = ?';\n"),
      probe('main/consents/zz-owner-probe.ts', "export const sql = 'DELETE FROM jobs WHERE kind = ?';\n"),
    ];
    expect(violations()).toEqual([
      [planted[1], 1, 'jobs'],
      [planted[2], 1, 'jobs'],
      [planted[0], 1, 'jobs'],
    ]);
  });

  it('reads the spellings SQL allows and ignores what is not a write of the table', () => {
    const src = [
      '// We never UPDATE consents from here: a comment is not a statement.',
      "const a = 'INSERT OR REPLACE INTO \"consents\" (id) VALUES (?)';",
      'const b = `replace into consents (id) values (${1})`;',
      "const c = 'INSERT INTO consents_fts (rowid) VALUES (?)';",
      "const d = 'INSERT INTO consent_history (consent_id) VALUES (?)';",
      "const e = 'SELECT * FROM consents WHERE id = ?';",
      'const f = `UPDATE ${"consents"} SET x = 1`;',
      "const g = 'INSERT INTO claims (id) VALUES (?) ON CONFLICT (id) DO UPDATE SET id = excluded.id';",
    ].join('\n');
    expect(tableWritesIn('x.ts', src).map((w) => [w.line, w.table])).toEqual([
      [2, 'consents'],
      [3, 'consents'],
      [4, 'consents_fts'],
      [5, 'consent_history'],
      [7, DYNAMIC],
      [8, 'claims'],
    ]);
  });

  it('refuses a write whose table is named at run time (no owner can be checked)', () => {
    const f = probe('main/consents/zz-owner-probe.ts', 'export const sql = (t: string) => `DELETE FROM ${t} WHERE id = ?`;\n');
    expect(ownerViolations(root, [f]).map((w) => w.table)).toEqual([DYNAMIC]);
  });

  it('lets tests and their set-up write any table', () => {
    const f = probe('main/claims/zz-owner-probe.test.ts', "export const sql = 'DELETE FROM consents';\n");
    expect(ownerViolations(root, [f])).toEqual([]);
  });
});
