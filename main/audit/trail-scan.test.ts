// The pure chain scan, table-tested: each way of changing, deleting or inserting entries, with and without the
// attacker re-hashing what they touched, and the entry the scan must name.
import { describe, expect, it } from 'vitest';
import { findFirstTamper } from './trail-scan';
import { entryHash, GENESIS_HASH, type AuditEntry } from './trail';

function chain(n: number): AuditEntry[] {
  const out: AuditEntry[] = [];
  for (let id = 1; id <= n; id++) {
    const fields = {
      id,
      at: `2025-01-01T00:00:${String(id).padStart(2, '0')}.000Z`,
      actor_id: 'staff-1',
      actor_name: 'Clerk',
      actor_role: 'records_clerk',
      workstation: 'ws',
      action: 'patient.view',
      outcome: 'success',
      patient_id: id,
      subject: null,
      details: '{}',
      prev_hash: out[id - 2]?.hash ?? GENESIS_HASH,
    };
    out.push({ ...fields, hash: entryHash(fields) });
  }
  return out;
}

const rehash = (e: AuditEntry): AuditEntry => {
  const { hash: _old, ...fields } = e;
  return { ...fields, hash: entryHash(fields) };
};
/** Re-links and re-hashes every entry from index `from` on, as a careful attacker would. */
const relinkFrom = (es: AuditEntry[], from: number): AuditEntry[] => {
  const out = es.slice(0, from);
  for (const e of es.slice(from)) out.push(rehash({ ...e, prev_hash: out[out.length - 1]?.hash ?? GENESIS_HASH }));
  return out;
};
const forged = (id: number, prev: string): AuditEntry => rehash({ ...chain(1)[0]!, id, prev_hash: prev, action: 'patient.export', hash: '' });

type Case = [name: string, mutate: (es: AuditEntry[]) => AuditEntry[], expected: { kind: string; entryId: number } | null];

const cases: Case[] = [
  ['an intact chain', (es) => es, null],
  ['a field changed, hash left', (es) => es.map((e) => (e.id === 3 ? { ...e, patient_id: 99 } : e)), { kind: 'changed', entryId: 3 }],
  ['the first entry changed', (es) => es.map((e) => (e.id === 1 ? { ...e, action: 'x' } : e)), { kind: 'changed', entryId: 1 }],
  ['a field changed and the entry re-hashed', (es) => es.map((e) => (e.id === 3 ? rehash({ ...e, patient_id: 99 }) : e)), { kind: 'changed', entryId: 3 }],
  ['the first entry re-linked and re-hashed', (es) => es.map((e) => (e.id === 1 ? rehash({ ...e, prev_hash: 'f'.repeat(64) }) : e)), { kind: 'changed', entryId: 1 }],
  ['the stored hash overwritten', (es) => es.map((e) => (e.id === 4 ? { ...e, hash: 'a'.repeat(64) } : e)), { kind: 'changed', entryId: 4 }],
  ['an entry deleted', (es) => es.filter((e) => e.id !== 3), { kind: 'deleted', entryId: 3 }],
  ['the first entry deleted', (es) => es.filter((e) => e.id !== 1), { kind: 'deleted', entryId: 1 }],
  ['two entries deleted', (es) => es.filter((e) => e.id !== 3 && e.id !== 4), { kind: 'deleted', entryId: 3 }],
  ['an entry deleted and the rest re-linked', (es) => relinkFrom(es.filter((e) => e.id !== 3), 2), { kind: 'deleted', entryId: 3 }],
  ['an entry deleted and later ids renumbered', (es) => es.filter((e) => e.id !== 3).map((e) => (e.id > 3 ? { ...e, id: e.id - 1 } : e)), { kind: 'deleted', entryId: 3 }],
  ['an entry appended with a broken link', (es) => [...es, forged(7, 'b'.repeat(64))], { kind: 'inserted', entryId: 7 }],
  ['an entry inserted mid-chain, later ids shifted', (es) => [...es.slice(0, 3), forged(4, es[2]!.hash), ...es.slice(3).map((e) => ({ ...e, id: e.id + 1 }))], { kind: 'inserted', entryId: 4 }],
  ['an entry inserted mid-chain with a garbage link', (es) => [...es.slice(0, 3), forged(4, 'c'.repeat(64)), ...es.slice(3).map((e) => ({ ...e, id: e.id + 1 }))], { kind: 'inserted', entryId: 4 }],
  ['an entry inserted before the first', (es) => [forged(1, GENESIS_HASH), ...es.map((e) => ({ ...e, id: e.id + 1 }))], { kind: 'inserted', entryId: 1 }],
  ['an entry with an out-of-range id', (es) => [{ ...forged(1, GENESIS_HASH), id: 0 }, ...es], { kind: 'inserted', entryId: 0 }],
  // A re-hash of everything from an entry on is invisible to the chain alone: batch roots on chain catch it.
  ['a suffix rewritten and re-linked', (es) => relinkFrom(es.map((e) => (e.id === 4 ? { ...e, patient_id: 99 } : e)), 3), null],
  ['the last entry rewritten and re-hashed', (es) => es.map((e) => (e.id === 6 ? rehash({ ...e, patient_id: 99 }) : e)), null],
];

describe('findFirstTamper', () => {
  it.each(cases)('%s', (_name, mutate, expected) => {
    const result = findFirstTamper(mutate(chain(6)));
    if (expected === null) {
      expect(result.finding).toBeNull();
    } else {
      expect(result.finding).toMatchObject(expected);
      expect(result.finding!.message).toContain(`Entry ${expected.entryId}`);
    }
  });

  it('counts the entries it accepted and starts mid-chain from a known entry', () => {
    const es = chain(6);
    expect(findFirstTamper(es)).toMatchObject({ checked: 6, last: { id: 6, hash: es[5]!.hash }, finding: null });
    expect(findFirstTamper(es.slice(3), { id: 3, hash: es[2]!.hash }).finding).toBeNull();
    // Entry 4 recorded another hash for entry 3 than the one the scan was given: entry 3 changed.
    expect(findFirstTamper(es.slice(3), { id: 3, hash: 'd'.repeat(64) }).finding).toMatchObject({ kind: 'changed', entryId: 3 });
    expect(findFirstTamper([]).finding).toBeNull();
  });
});
