// The compact times and stamps of a consent row (migration 0026): which form a writer picks, that the generated
// columns give back exactly what was written, and the attacker's view: whoever holds the data folder writes the new
// columns by hand, and the order of stamps (what sync's ordering rule reads) must stay the order of their texts.
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { CATEGORY_CODE, consentStampValues, CONSENT_STAMP_COLUMNS, DECISION_CODE, GRANTEE_KIND_CODE, hlcColumns, PURPOSE_CODE, STATUS_CODE, timeColumns } from './compact-columns';
import { patientValues, PATIENT_STORED_COLUMNS } from './patient-columns';
import { NPI, testData, type TestData } from './test-support';

let t: TestData;
beforeEach(() => {
  t = testData('custodian-compact-');
  t.db.prepare(`INSERT INTO patients (id, facility, mrn, ${PATIENT_STORED_COLUMNS}) VALUES (1, 'GH01', 'M1', ?, ?, ?)`).run(...patientValues(`0x${'01'.repeat(32)}`, 'x'));
});
afterEach(() => t.cleanup());

/** Writes one consent row of patient 1's TREAT/general key for NPI a with the given stored stamp columns. */
function writeRow(values: unknown[]): number {
  return Number(
    t.db
      .prepare(
        `INSERT INTO consents (patient_id, grantee, grantee_kind_code, decision_code, purpose_code, category_code, period_start, status_code, document_hash_bin, source_text, seq, ${CONSENT_STAMP_COLUMNS})
         VALUES (1, ?, ${GRANTEE_KIND_CODE.npi}, ${DECISION_CODE.permit}, ${PURPOSE_CODE.TREAT}, ${CATEGORY_CODE.general}, 0, ${STATUS_CODE.active}, zeroblob(32), 'form', 1, ?, ?, ?, ?, ?, ?)`,
      )
      .run(NPI.a, ...values).lastInsertRowid,
  );
}
const readBack = (id: number) => t.db.prepare('SELECT created_at, updated_at, hlc FROM consents WHERE id = ?').get(id) as { created_at: string; updated_at: string; hlc: string };

describe('timeColumns and hlcColumns', () => {
  it.each([
    ['2025-06-01T12:00:00.000Z', [1748779200000, null]],
    ['1970-01-01T00:00:00.000Z', [0, null]],
    ['9999-12-31T23:59:59.999Z', [253402300799999, null]],
    ['2024-02-29T23:59:59.999Z', [1709251199999, null]],
    ['2025-06-01T12:00:00Z', [null, '2025-06-01T12:00:00Z']],
    ['2025-06-01T14:00:00.000+02:00', [null, '2025-06-01T14:00:00.000+02:00']],
    ['2025-02-30T00:00:00.000Z', [null, '2025-02-30T00:00:00.000Z']],
    ['1969-12-31T23:59:59.999Z', [null, '1969-12-31T23:59:59.999Z']],
    ['2025-06-01T12:00:00.000z', [null, '2025-06-01T12:00:00.000z']],
    ['', [null, '']],
  ] as const)('time %j is stored as %j', (text, columns) => {
    expect(timeColumns(text)).toEqual(columns);
  });

  it.each([
    ['0000000000000000', [0n, null]],
    ['0000018f2a3b4c5d', [0x18f2a3b4c5dn, null]],
    ['7fffffffffffffff', [2n ** 63n - 1n, null]],
    ['8000000000000000', [-(2n ** 63n), null]],
    ['ffffffffffffffff', [-1n, null]],
    ['FFFFFFFFFFFFFFFF', [null, 'FFFFFFFFFFFFFFFF']],
    ['00000000000000g1', [null, '00000000000000g1']],
    ['12', [null, '12']],
  ] as const)('stamp %s', (text, columns) => {
    expect(hlcColumns(text)).toEqual(columns);
  });

  it('the generated columns rebuild every canonical time and stamp a writer stores as an integer', () => {
    let seed = 7n;
    const next = () => (seed = (seed * 6364136223846793005n + 1442695040888963407n) % 2n ** 64n);
    const times = [0, 1, 999, 1000, 86_399_999, 951_782_400_000, 1_748_779_200_123, 253_402_300_799_999];
    const stamps = ['0000000000000000', '0000000000000001', '7fffffffffffffff', '8000000000000000', 'ffffffffffffffff'];
    for (let i = 0; i < 500; i++) {
      times.push(Number(next() % 253_402_300_800_000n));
      stamps.push(next().toString(16).padStart(16, '0'));
    }
    const written = times.map((ms, i) => {
      const iso = new Date(ms).toISOString();
      const values = consentStampValues(iso, iso, stamps[i % stamps.length]!);
      expect(values[1]).toBeNull(); // canonical: stored as milliseconds
      return { id: writeRow(values), iso, hlc: stamps[i % stamps.length]! };
    });
    for (const w of written) expect(readBack(w.id)).toEqual({ created_at: w.iso, updated_at: w.iso, hlc: w.hlc });
  });
});

describe('a data-folder holder writing times and stamps by hand', () => {
  // What the old text column could hold, and what a hand edit of the new columns can produce: any 64-bit integer, or
  // any 16 characters. Lowercase and uppercase, the top bit set, neighbours across a hex digit carry, junk.
  const STAMPS = [
    '0000000000000001',
    '00000000000000ff',
    '0000000000000100',
    '0000018f2a3b4c5d',
    '7fffffffffffffff',
    '8000000000000000',
    'ffffffffffffffff',
    'FFFFFFFFFFFFFFFF',
    '0000018F2A3B4C5D',
    '00000000000000g1',
    '~~~~~~~~~~~~~~~~',
  ];

  it('cannot make two stamps compare out of their text order: SQL, the key rows the store reads, and max() agree', () => {
    // The app's writer and a hand edit of each form: the integer of a canonical stamp, or a text of 16 characters.
    for (const hlc of STAMPS) writeRow([0, null, 0, null, ...hlcColumns(hlc)]);
    for (const hlc of STAMPS.filter((h) => /^[0-9a-f]{16}$/.test(h))) writeRow([0, null, 0, null, BigInt.asIntN(64, BigInt(`0x${hlc}`)), null]);
    for (const hlc of STAMPS) writeRow([0, null, 0, null, null, hlc]);
    const expected = [...STAMPS, ...STAMPS.filter((h) => /^[0-9a-f]{16}$/.test(h)), ...STAMPS].sort();

    expect(t.db.prepare('SELECT hlc FROM consents ORDER BY hlc, id').pluck().all()).toEqual(expected);
    // The store picks the next stamp above the highest text it reads for the key (keyRows), as before 0026.
    const rows = t.store.keyRows(1, NPI.a, 'TREAT', 'general');
    expect(rows.map((r) => r.hlc).sort()).toEqual(expected);
    expect(t.db.prepare('SELECT max(hlc) FROM consents').pluck().get()).toBe('~~~~~~~~~~~~~~~~');
    // Pairwise: every two rows compare in SQL exactly as their texts do.
    const pairs = t.db
      .prepare(`SELECT a.hlc AS a, b.hlc AS b, (a.hlc < b.hlc) AS lt, (a.hlc = b.hlc) AS eq FROM consents a, consents b`)
      .all() as { a: string; b: string; lt: number; eq: number }[];
    for (const p of pairs) expect([p.lt, p.eq]).toEqual([p.a < p.b ? 1 : 0, p.a === p.b ? 1 : 0]);
  });

  it('cannot hold a row whose stamp or time has two meanings, or a stamp that is not 16 characters', () => {
    expect(() => writeRow([0, null, 0, null, 5n, '0000000000000009'])).toThrow(/consents_hlc_one_form/);
    expect(() => writeRow([0, null, 0, null, null, '123'])).toThrow(/consents_hlc_one_form/);
    expect(() => writeRow([0, '2020-01-01T00:00:00.000Z', 0, null, 1n, null])).toThrow(/consents_created_one_form/);
    expect(() => writeRow([0, null, -5, null, 1n, null])).toThrow(/consents_updated_one_form/);
    const id = writeRow([0, null, 0, null, 1n, null]);
    expect(() => t.db.prepare('UPDATE consents SET hlc_text = ? WHERE id = ?').run('0000000000000002', id)).toThrow(/consents_hlc_one_form/);
  });

  it('times written by hand read back as written and sort as their texts', () => {
    const texts = ['2025-06-01T12:00:00.000Z', '2025-06-01T12:00:00Z', '2025-06-01T11:00:00.000-02:00', '2024-12-31T23:59:59.999Z', 'later'];
    for (const text of texts) writeRow([...timeColumns(text), ...timeColumns(text), 1n, null]);
    expect(t.db.prepare('SELECT created_at FROM consents ORDER BY created_at, id').pluck().all()).toEqual([...texts].sort());
    expect(t.db.prepare('SELECT updated_at FROM consents ORDER BY id').pluck().all()).toEqual(texts);
  });
});
