// The plans of the consent reads that run per row or per click and are not covered elsewhere (the decision engine's
// in decide.test.ts, the consents table's in handlers.test.ts and search.test.ts): the importer's per-row lookups and
// the consent detail. Each must seek an index; a dropped or renamed index makes this fail instead of a silent scan.
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { DETAIL_SQL } from './queries';
import { ConsentStore } from './store';
import { testData, type TestData } from './test-support';

let t: TestData;
beforeEach(() => {
  t = testData('custodian-plans-');
});
afterEach(() => t.cleanup());

/** The store's own prepared statements, by name. */
class StoreStatements extends ConsentStore {
  sql(name: string): string {
    return this.s[name]!.source;
  }
}

function plan(sql: string): string {
  const params = Array.from({ length: (sql.match(/\?/g) ?? []).length }, () => 1);
  return (t.db.prepare(`EXPLAIN QUERY PLAN ${sql}`).all(...params) as { detail: string }[]).map((r) => r.detail).join('\n');
}

describe('query plans of the importer and the consent detail', () => {
  it('the importer finds patients, ledger keys and external ids through indexes', () => {
    const store = new StoreStatements(t.db, t.pseudonymizer);
    const expected: Record<string, RegExp> = {
      findPatient: /SEARCH patients USING INDEX sqlite_autoindex_patients_\d \(facility=\? AND mrn=\?\)/,
      keyRows: /SEARCH consents USING INDEX consents_decide \(patient_id=\? AND grantee=\? AND purpose_code=\? AND category_code=\?\)/,
      byExternalId: /SEARCH consents USING INDEX consents_external_current \(external_id=\?\)/,
      byId: /SEARCH consents USING INTEGER PRIMARY KEY/,
    };
    for (const [name, re] of Object.entries(expected)) {
      const detail = plan(store.sql(name));
      expect(detail, name).toMatch(re);
      expect(detail, name).not.toMatch(/SCAN/);
    }
  });

  it('the consent detail reads its history and the versions it replaced through indexes', () => {
    const history = plan(DETAIL_SQL.history);
    expect(history).toMatch(/SEARCH consent_history USING INDEX consent_history_by_consent \(consent_id=\?\)/);
    const supersedes = plan(DETAIL_SQL.supersedes);
    expect(supersedes).toMatch(/SEARCH consents USING (COVERING )?INDEX consents_superseded_by \(superseded_by=\?\)/);
    expect(`${history}\n${supersedes}`).not.toMatch(/SCAN/);
  });
});
