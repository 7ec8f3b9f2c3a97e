// The trail id: derived from the database's random origin (made once by migration 0003), stable across reopening,
// different per database, and fixed because the origin cannot be changed or removed through SQL.
import { AbiCoder, keccak256 } from 'ethers';
import { afterEach, describe, expect, it } from 'vitest';
import { createTestDb, type TestDb } from './test-support';
import { auditTrailId, trailIdOf, TRAIL_ID_DOMAIN } from './trail-id';

const dbs: TestDb[] = [];
const fresh = () => {
  const t = createTestDb('custodian-audit-trail-id-');
  dbs.push(t);
  return t;
};
afterEach(() => {
  for (const t of dbs.splice(0)) t.cleanup();
});

describe('trailIdOf', () => {
  const origin = `0x${'ab'.repeat(32)}`;
  it('is keccak256(abi.encode(domain, origin)), not the origin itself', () => {
    const expected = keccak256(AbiCoder.defaultAbiCoder().encode(['string', 'bytes32'], [TRAIL_ID_DOMAIN, origin]));
    expect(trailIdOf(origin)).toBe(expected);
    expect(trailIdOf(origin.toUpperCase().replace('0X', '0x'))).toBe(expected);
    expect(trailIdOf(origin)).not.toBe(origin);
  });

  it.each([['a zero origin', `0x${'00'.repeat(32)}`], ['a short origin', '0x1234'], ['no 0x', 'ab'.repeat(32)]])('rejects %s', (_what, bad) => {
    expect(() => trailIdOf(bad)).toThrow(RangeError);
  });
});

describe('auditTrailId', () => {
  it('is made once per database: stable across reopening, different for another database', () => {
    const a = fresh();
    const b = fresh();
    const id = auditTrailId(a.db);
    expect(id).toMatch(/^0x[0-9a-f]{64}$/);
    expect(auditTrailId(a.reopen())).toBe(id);
    expect(auditTrailId(b.db)).not.toBe(id);
  });

  it('cannot be changed or removed through SQL (the origin it derives from is fixed)', () => {
    const t = fresh();
    const before = auditTrailId(t.db);
    expect(() => t.db.prepare(`UPDATE sync_meta SET value = ? WHERE key = 'origin'`).run(`0x${'cd'.repeat(32)}`)).toThrow(/origin id is fixed/);
    expect(() => t.db.prepare(`DELETE FROM sync_meta WHERE key = 'origin'`).run()).toThrow(/origin id is fixed/);
    expect(() => t.db.prepare(`INSERT OR REPLACE INTO sync_meta (key, value) VALUES ('origin', ?)`).run(`0x${'cd'.repeat(32)}`)).toThrow(/origin id is fixed/);
    expect(auditTrailId(t.db)).toBe(before);
  });
});
