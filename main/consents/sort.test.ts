// The consents table's server-side sort: keyset pages over (column, id) that see every row exactly once, in order,
// through ties; each sortable column served by an index (no sort of every consent, no scan) with and without the
// common filters; a sort the schema does not know is refused by name at the channel.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CONSENT_SORT_COLUMNS, consentsChannels, type ConsentFilter, type ConsentListRow, type ConsentSort } from '../api/consents';
import { listConsents, sortedPageSql, type Driver } from './queries';
import { testData, type TestData } from './test-support';
import { CATEGORY_CODE, DECISION_CODE, GRANTEE_KIND_CODE, PURPOSE_CODE, STATUS_CODE, timeColumns } from './compact-columns';
import { patientValues, PATIENT_STORED_COLUMNS } from './patient-columns';

let t: TestData;
const GRANTEES = ['1003000126', '1245319599', '1234567893', 'ACME', 'BETA'];
const ROWS = 300;
const NOW = 1_900_000_000;

beforeAll(() => {
  t = testData('custodian-sort-');
  const now = '2026-01-01T00:00:00.000Z';
  const patient = t.db.prepare(`INSERT INTO patients (id, facility, mrn, ${PATIENT_STORED_COLUMNS}) VALUES (?, 'GH01', ?, ?, ?, ?)`);
  for (let i = 1; i <= 20; i++) patient.run(i, `MRN${i}`, ...patientValues(`0x${i.toString(16).padStart(64, '0')}`, now));
  const insert = t.db.prepare(
    `INSERT INTO consents (patient_id, grantee, grantee_kind_code, decision_code, purpose_code, category_code, period_start, period_end, status_code, document_hash_bin, source_text, seq, created_ms, created_text, updated_ms, updated_text)
     VALUES (?, ?, ?, ${DECISION_CODE.permit}, ?, ?, ?, ?, ?, randomblob(32), 'test', 1, ?, ?, ?, ?)`,
  );
  t.db.transaction(() => {
    for (let i = 0; i < ROWS; i++) {
      const grantee = GRANTEES[(i * 7) % GRANTEES.length]!;
      // Few distinct starts: long runs of ties that only the id tiebreak orders.
      const start = 1_600_000_000 + ((i * 13) % 11) * 86_400;
      insert.run(
        (i % 20) + 1,
        grantee,
        GRANTEE_KIND_CODE[/^\d/.test(grantee) ? 'npi' : 'org'],
        PURPOSE_CODE[i % 9 === 0 ? 'ETREAT' : 'TREAT'],
        CATEGORY_CODE[i % 4 === 0 ? 'HIV' : 'general'],
        start,
        i % 5 === 0 ? start + 1000 : null,
        STATUS_CODE[i % 6 === 0 ? 'revoked' : 'active'],
        ...timeColumns(now),
        ...timeColumns(now),
      );
    }
  })();
});
afterAll(() => t.cleanup());

function readAll(filter: ConsentFilter, sort: ConsentSort, limit: number, narrowMax?: number): ConsentListRow[] {
  const seen: ConsentListRow[] = [];
  let before: number | null = null;
  for (;;) {
    const page = listConsents(t.db, filter, limit, before, NOW, sort, narrowMax);
    seen.push(...page.rows);
    if (page.nextCursor === null) return seen;
    before = page.nextCursor;
  }
}

const key = (r: ConsentListRow, column: ConsentSort['column']): string | number => (column === 'grantee' ? r.grantee : r.periodStart);

describe('consents.list sorted', () => {
  const sorts = CONSENT_SORT_COLUMNS.flatMap((column) => (['asc', 'desc'] as const).map((direction) => ({ column, direction })));

  // Each narrowing filter both ways: its rows sorted per page (few of them), and the sort index walked (many; forced
  // here with narrowMax 0).
  it.each(sorts)('pages through every row exactly once, in order, ties by id ($column $direction)', (sort) => {
    const filters = [{}, { purpose: 'TREAT' }, { purpose: 'ETREAT' }, { status: 'revoked' }, { status: 'active' }, { grantee: 'ACME' }, { patientId: 3 }, { category: 'HIV', status: 'expired' }] as ConsentFilter[];
    for (const [filter, narrowMax] of filters.flatMap((f) => [[f, undefined], [f, 0]] as const)) {
      const rows = readAll(filter, sort, 17, narrowMax);
      const expected = listConsents(t.db, filter, 500, null, NOW).rows;
      expect(expected.length, JSON.stringify(filter)).toBeGreaterThan(0);
      expect(rows.length, JSON.stringify(filter)).toBe(expected.length);
      expect(new Set(rows.map((r) => r.id)).size).toBe(rows.length);
      const sign = sort.direction === 'asc' ? 1 : -1;
      const ordered = [...expected].sort((a, b) => {
        const ka = key(a, sort.column);
        const kb = key(b, sort.column);
        return (ka < kb ? -1 : ka > kb ? 1 : a.id - b.id) * sign;
      });
      expect(rows.map((r) => r.id), JSON.stringify(filter)).toEqual(ordered.map((r) => r.id));
    }
    expect(readAll({}, sort, 17)).toHaveLength(ROWS);
  });

  it('keeps the unsorted default (newest first) and the first page total', () => {
    const page = listConsents(t.db, {}, 5, null, NOW);
    expect(page.rows.map((r) => r.id)).toEqual([300, 299, 298, 297, 296]);
    expect(listConsents(t.db, {}, 5, null, NOW, { column: 'grantee', direction: 'asc' }).total).toEqual(page.total);
  });

  it('refuses an unknown column or direction by name at the channel', () => {
    const input = consentsChannels['consents.list'].input;
    const bad = input.safeParse({ sort: { column: 'patientName', direction: 'asc' } });
    expect(bad.success).toBe(false);
    expect(bad.error!.issues[0]!.path).toEqual(['sort', 'column']);
    expect(input.safeParse({ sort: { column: 'grantee', direction: 'up' } }).error!.issues[0]!.path).toEqual(['sort', 'direction']);
    expect(input.safeParse({ sort: { column: 'grantee', direction: 'asc', sql: 'x' } }).success).toBe(false);
  });

  it('refuses a cursor row that no longer exists, by name', () => {
    expect(() => listConsents(t.db, {}, 5, 999_999, NOW, { column: 'grantee', direction: 'asc' })).toThrow(/page cursor \(consent 999999\)/);
  });

  describe('query plans: an index walk, never a sort or scan of every consent', () => {
    const params = { grantee: 'ACME', purpose: 'TREAT', purposeCode: 0, category: 'HIV', status: 'active', now: 0, limit: 10, patients: '[1,2]', grantees: '["x"]', patientId: null, cursorValue: 1, cursorId: 5 };
    const planOf = (sql: string) => {
      const stmt = t.db.prepare(`EXPLAIN QUERY PLAN ${sql}`);
      const used = Object.fromEntries(Object.entries(params).filter(([k]) => stmt.source.includes(`:${k}`)));
      return (stmt.all(used) as { detail: string }[]).map((r) => r.detail).join('\n');
    };
    const INDEX = { grantee: 'consents_by_grantee', periodStart: 'consents_by_period_start' } as const;

    it.each(sorts)('unfiltered, with the common filters, or a narrowing filter matching many: walks the column index ($column $direction)', (sort) => {
      for (const [driver, continued] of (['all', 'patients', 'search', 'grantee', 'revoked', 'superseded', 'rarePurpose'] as Driver[]).flatMap((d) => [[d, false], [d, true]] as const)) {
        const detail = planOf(sortedPageSql(driver, sort, continued, true));
        expect(detail).toMatch(new RegExp(`SEARCH c USING INDEX ${INDEX[sort.column]}|SCAN c USING INDEX ${INDEX[sort.column]}`));
        expect(detail).not.toMatch(/TEMP B-TREE/);
        // The first page walks the index from one end; a continued page seeks the cursor's (value, id).
        if (continued) expect(detail).toMatch(new RegExp(`SEARCH c USING INDEX ${INDEX[sort.column]}`));
        expect(detail).not.toMatch(/SCAN c$|SCAN c\n/m);
      }
    });

    it.each(sorts)('narrowing filters read their own index, then sort only their rows ($column $direction)', (sort) => {
      const own: Record<Exclude<Driver, 'all'>, RegExp> = {
        patients: /SEARCH c USING (COVERING )?INDEX consents_decide \(patient_id=\?/,
        search: /INDEX consents_decide \(patient_id=\?[\s\S]*INDEX consents_by_grantee \(grantee=\?/,
        grantee: /SEARCH c USING INDEX consents_by_grantee \(grantee=\?/,
        revoked: /SEARCH c USING INDEX consents_not_active \(status_code=\?/,
        superseded: /SEARCH c USING INDEX consents_not_active \(status_code=\?/,
        rarePurpose: /SEARCH c USING INDEX consents_rare_purpose \(purpose_code=\?/,
      };
      for (const [driver, re] of Object.entries(own)) {
        for (const continued of [false, true]) {
          const detail = planOf(sortedPageSql(driver as Driver, sort, continued, false));
          expect(detail, `${driver} ${continued}`).toMatch(re);
          expect(detail, driver).not.toMatch(/SCAN c\b(?! USING)/);
        }
      }
      // One grantee sorted by grantee is already in index order: no sort at all.
      if (sort.column === 'grantee') expect(planOf(sortedPageSql('grantee', sort, true, false))).not.toMatch(/TEMP B-TREE/);
    });
  });
});
