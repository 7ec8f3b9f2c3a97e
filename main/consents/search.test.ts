// The consents table's search through the real services (dispatcher, permission, zod, real SQLite): MRN fragments,
// any part of a name (an apostrophe too) from the FTS5 trigram index (never a scan of patients), providers by NPI or
// name, % and _ and FTS query syntax (`"`, `*`, NEAR, OR, column filters) matched literally, pages, refusal to roles
// without patients.view, and no search text in the audit trail.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ConsentListResult } from '../api/consents';
import type { Services } from '../compose/services';
import { staff, testConsole } from '../compose/test-support';
import { pageSql } from './queries';
import { patientValues, PATIENT_STORED_COLUMNS } from './patient-columns';
import { foldCase, ftsTrigrams, matchPatientIds, matchSearch, PATIENT_MATCH_SQL, registerSearchFunctions } from './search';
import { NPI } from './test-support';

const { manager, auditor } = staff;
const custodian = testConsole('custodian-search-', manager);
const { call } = custodian;
let s: Services;

const PATIENTS = [
  { mrn: 'MRN100', patientName: 'Smith, Ada', grantee: NPI.a },
  { mrn: 'MRN200', patientName: "O'Brien, Sean", grantee: NPI.a },
  { mrn: 'MRN300', patientName: '100% Match, Pat', grantee: NPI.a },
  { mrn: 'MRN400', patientName: 'Under_score, Ula', grantee: NPI.a },
  { mrn: 'MRN500', patientName: 'Abbot, Cora', grantee: NPI.b },
  { mrn: 'XQ-77', patientName: 'Jones, Ana', grantee: 'ACME-CLINIC' },
  // Names holding FTS5 syntax: typed, it must find these (literally) and nothing else.
  { mrn: 'FTS-1', patientName: 'Near, Nora', grantee: NPI.a },
  { mrn: 'FTS-2', patientName: 'Star*Quote"d, Orla', grantee: NPI.a },
];

beforeAll(async () => {
  s = await custodian.start();
  const now = new Date().toISOString();
  // The provider directory (the credentials roster's table), listing NPI.b by name.
  s.db
    .prepare('INSERT INTO providers (npi, name, organization, specialty, source, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?)')
    .run(NPI.b, 'Quinn, Harper', 'Lakeside Cardiology', null, 'test', now, now);
  for (const p of PATIENTS) {
    for (const category of ['general', 'HIV'] as const) {
      await call('consents.grant', {
        facility: 'GH01',
        mrn: p.mrn,
        patientName: p.patientName,
        grantee: p.grantee,
        ...(p.grantee === 'ACME-CLINIC' ? { granteeKind: 'org' } : {}),
        decision: 'permit',
        purpose: 'TREAT',
        category,
        periodStart: '2024-01-01',
      });
    }
  }
});
afterAll(() => custodian.close());

const mrnsOf = async (search: string, extra: Record<string, unknown> = {}) =>
  [...new Set((await call<ConsentListResult>('consents.list', { search, ...extra })).rows.map((r) => r.patient.mrn))].sort();

describe('ftsTrigrams', () => {
  it.each([
    ['plain', '"pla" "lai" "ain"'],
    ['a"b', '"a""b"'],
    ['"', null],
    ['"'.repeat(4), '""""""""'],
    ['NEAR(a', '"NEA" "EAR" "AR(" "R(a"'],
    ['sm*', '"sm*"'],
    ['aaaa', '"aaa"'],
    ['ab', null],
    ['éé', null],
    ['éé😀', '"éé😀"'],
  ])('%s -> %s', (text, query) => expect(ftsTrigrams(text)).toBe(query));
});

describe('foldCase', () => {
  it.each([
    ['STRÖM', 'ström'],
    ['ΟΔΥΣΣΕΥΣ', 'οδυσσευσ'],
    ['οδυσσευς', 'οδυσσευσ'],
    ['Straße', 'straße'],
    ['İstanbul', 'İstanbul'],
  ])('%s -> %s', (text, folded) => expect(foldCase(text)).toBe(folded));
});

describe('consents search', () => {
  it('finds patients by any part of the MRN or name, case-insensitively', async () => {
    expect(await mrnsOf('MRN100')).toEqual(['MRN100']);
    expect(await mrnsOf('q-7')).toEqual(['XQ-77']);
    expect(await mrnsOf('ada')).toEqual(['MRN100']);
    expect(await mrnsOf('SMITH')).toEqual(['MRN100']);
    expect(await mrnsOf('cora')).toEqual(['MRN500']);
  });

  it("matches a name with an apostrophe as typed (O'Brien)", async () => {
    expect(await mrnsOf("o'bri")).toEqual(['MRN200']);
    expect(await mrnsOf("O'Brien, Sean")).toEqual(['MRN200']);
  });

  it('matches % and _ literally, never as wildcards', async () => {
    // One or two characters find an exact MRN or a name prefix only (the trigram index needs three), never "everyone".
    expect(await mrnsOf('%')).toEqual([]);
    expect(await mrnsOf('_')).toEqual([]);
    expect(await mrnsOf('100%')).toEqual(['MRN300']);
    expect(await mrnsOf('0% M')).toEqual(['MRN300']);
    expect(await mrnsOf('r_s')).toEqual(['MRN400']);
    // As wildcards these would match "Abbot" and MRN100..MRN500.
    expect(await mrnsOf('Abb_t')).toEqual([]);
    expect(await mrnsOf('MRN%00')).toEqual([]);
    expect(await mrnsOf('\\')).toEqual([]);
  });

  it('matches FTS5 query syntax typed by a person literally: never an error, never a broader match', async () => {
    expect(await mrnsOf('"')).toEqual([]);
    expect(await mrnsOf('*')).toEqual([]);
    expect(await mrnsOf('"'.repeat(3))).toEqual([]);
    expect(await mrnsOf('r*Q')).toEqual(['FTS-2']);
    expect(await mrnsOf('e"d')).toEqual(['FTS-2']);
    expect(await mrnsOf('Quote"d, O')).toEqual(['FTS-2']);
    // NEAR is a name here, not an operator; as one, NEAR(...) / OR / a prefix * / a column filter would match others.
    expect(await mrnsOf('NEAR')).toEqual(['FTS-1']);
    expect(await mrnsOf('NEAR(smith ada)')).toEqual([]);
    expect(await mrnsOf('smith OR jones')).toEqual([]);
    expect(await mrnsOf('Smi*')).toEqual([]);
    expect(await mrnsOf('name: ada')).toEqual([]);
    expect(await mrnsOf('name:ada')).toEqual([]);
    expect(await mrnsOf('^Smith')).toEqual([]);
    expect(await mrnsOf('ada AND sean')).toEqual([]);
    expect(await mrnsOf('{mrn name}: MRN')).toEqual([]);
    expect(await mrnsOf('"ada" "sean"')).toEqual([]);
  });

  it('finds a name fragment through the FTS5 index, never by scanning the patients table', () => {
    registerSearchFunctions(s.db);
    const plan = (trigrams: string | null) =>
      (s.db.prepare(`EXPLAIN QUERY PLAN ${PATIENT_MATCH_SQL}`).all({ q: 'brien, s', trigrams, limit: 501 }) as { detail: string }[]).map((r) => r.detail);
    const detail = plan(ftsTrigrams('brien, s'));
    expect(detail.some((d) => /^SCAN patients_fts VIRTUAL TABLE INDEX \d+:M/.test(d))).toBe(true);
    expect(detail.filter((d) => /\bpatients\b/.test(d)).every((d) => /^SEARCH patients USING (COVERING )?INDEX/.test(d))).toBe(true);
    expect(detail.join('\n')).not.toMatch(/SCAN patients\b(?!_fts)/);
    expect(plan(null).join('\n')).not.toMatch(/SCAN patients\b(?!_fts)/);
  });

  it('keeps only a row whose MRN or name holds the text itself, never one holding its trigrams apart', () => {
    const db = s.db;
    const insert = db.prepare(`INSERT INTO patients (facility, mrn, name, ${PATIENT_STORED_COLUMNS}) VALUES ('GH02', ?, ?, ?, ?, ?)`);
    const add = (mrn: string, name: string, byte: string) => Number(insert.run(mrn, name, ...patientValues(`0x${byte.repeat(32)}`, '2026-01-01')).lastInsertRowid);
    // 'abc' and 'bcd' in one name but not 'abcd'; 'abc' in the MRN and 'bcd' in the name; the text itself.
    const scattered = add('TRI-1', 'Abcx, Xbcd', '2e');
    const split = add('ABC-9', 'Bcdy, Quin', '2f');
    const whole = add('TRI-3', 'Abcdef, Una', '3e');
    try {
      // The index alone (every trigram, no positions) answers all three; the search keeps the one holding the text.
      expect(db.prepare('SELECT rowid FROM patients_fts WHERE patients_fts MATCH ? ORDER BY rowid').pluck().all(ftsTrigrams('abcd'))).toEqual([scattered, split, whole]);
      expect(matchPatientIds(db, 'abcd', 10)).toEqual([whole]);
      expect(matchPatientIds(db, 'BCDE', 10)).toEqual([whole]);
      expect(matchPatientIds(db, 'x, xbc', 10)).toEqual([scattered]);
      expect(matchPatientIds(db, 'c-9', 10)).toEqual([split]);
    } finally {
      db.prepare('DELETE FROM patients WHERE id IN (?, ?, ?)').run(scattered, split, whole);
    }
  });

  it('finds an exact MRN in every facility through the (facility, mrn) index, a seek per facility', () => {
    const db = s.db;
    const insert = db.prepare(`INSERT INTO patients (facility, mrn, name, ${PATIENT_STORED_COLUMNS}) VALUES (?, ?, NULL, ?, ?, ?)`);
    const add = (facility: string, mrn: string, byte: string) => Number(insert.run(facility, mrn, ...patientValues(`0x${byte.repeat(32)}`, '2026-01-01')).lastInsertRowid);
    const ids = [add('GH02', 'Q7', '4a'), add('ZZ-LAST', 'Q7', '4b'), add('AA-FIRST', 'Q7', '4c')];
    const longer = add('GH02', 'Q77', '4d');
    try {
      // Two characters: too short for the trigram index, so only the exact-MRN walk can find these.
      expect(matchPatientIds(db, 'Q7', 10)).toEqual([...ids].sort((a, b) => a - b));
      expect(matchPatientIds(db, 'q7', 10)).toEqual([]);
      registerSearchFunctions(db);
      const plan = (db.prepare(`EXPLAIN QUERY PLAN ${PATIENT_MATCH_SQL}`).all({ q: 'Q7', trigrams: null, limit: 11 }) as { detail: string }[]).map((r) => r.detail).join('\n');
      expect(plan).toMatch(/SEARCH p USING (COVERING )?INDEX sqlite_autoindex_patients_\d+ \(facility=\? AND mrn=\?\)/);
      expect(plan).not.toMatch(/SCAN (patients|p)\b(?!_fts)/);
    } finally {
      db.prepare('DELETE FROM patients WHERE id IN (?, ?, ?, ?)').run(...ids, longer);
    }
  });

  it('the patient picker (patients.search) finds any part of a name or MRN the same way, FTS syntax as text', async () => {
    const mrns = async (query: string) => (await call<{ mrn: string }[]>('patients.search', { query })).map((p) => p.mrn).sort();
    expect(await mrns('brien, se')).toEqual(['MRN200']);
    expect(await mrns('Q-77')).toEqual(['XQ-77']);
    expect(await mrns('Smith')).toEqual(['MRN100']);
    expect(await mrns('smith OR jones')).toEqual([]);
    expect(await mrns('r*Q')).toEqual(['FTS-2']);
    expect(await mrns('%')).toEqual([]);
    expect((await s.call('patients.search', { query: 'smith' }, { principal: auditor })).ok).toBe(false);
  });

  it('keeps the index in step with patients: a name filled in later, changed, a patient deleted', () => {
    const db = s.db;
    const id = Number(db.prepare(`INSERT INTO patients (facility, mrn, name, ${PATIENT_STORED_COLUMNS}) VALUES ('GH01', 'IDX-1', NULL, ?, ?, ?)`).run(...patientValues(`0x${'1d'.repeat(32)}`, '2026-01-01')).lastInsertRowid);
    expect(matchSearch(db, 'DX-1').patients).toEqual([id]);
    expect(matchSearch(db, 'zebulon').patients).toEqual([]);
    db.prepare(`UPDATE patients SET name = 'Zebulon, Pike' WHERE id = ?`).run(id);
    expect(matchSearch(db, 'bulon, P').patients).toEqual([id]);
    db.prepare(`UPDATE patients SET name = 'Other, Name' WHERE id = ?`).run(id);
    expect(matchSearch(db, 'bulon').patients).toEqual([]);
    expect(matchSearch(db, 'ther, Na').patients).toEqual([id]);
    db.prepare('DELETE FROM patients WHERE id = ?').run(id);
    expect(matchSearch(db, 'ther, Na').patients).toEqual([]);
    // FTS5's own check of the index against its content table: throws SQLITE_CORRUPT_VTAB when out of step.
    expect(() => db.prepare(`INSERT INTO patients_fts (patients_fts, rank) VALUES ('integrity-check', 1)`).run()).not.toThrow();
  });

  it('finds consents by provider name, organisation, NPI start, and by an unlisted grantee id', async () => {
    expect(await mrnsOf('quinn')).toEqual(['MRN500']);
    expect(await mrnsOf('lakeside')).toEqual(['MRN500']);
    expect(await mrnsOf(NPI.b.slice(0, 6))).toEqual(['MRN500']);
    expect(await mrnsOf(NPI.a)).toEqual(['FTS-1', 'FTS-2', 'MRN100', 'MRN200', 'MRN300', 'MRN400']);
    expect(await mrnsOf('ACME-CLINIC')).toEqual(['XQ-77']);
    const first = await call<ConsentListResult>('consents.list', { search: 'quinn' });
    expect(first.search).toEqual({ patients: 0, providers: 1, capped: false });
    expect(first.total).toEqual({ count: 2, exact: true });
  });

  it('combines with the other filters and answers an empty result with zero counts', async () => {
    expect(await mrnsOf('MRN', { category: 'HIV', grantee: NPI.b })).toEqual(['MRN500']);
    const none = await call<ConsentListResult>('consents.list', { search: 'nobody at all' });
    expect(none).toMatchObject({ rows: [], nextCursor: null, total: { count: 0, exact: true }, search: { patients: 0, providers: 0, capped: false } });
  });

  it('pages the results newest first with a cursor', async () => {
    const seen: number[] = [];
    let page = await call<ConsentListResult>('consents.list', { search: 'MRN', limit: 5 });
    expect(page.total).toEqual({ count: 10, exact: true });
    seen.push(...page.rows.map((r) => r.id));
    while (page.nextCursor !== null) {
      page = await call<ConsentListResult>('consents.list', { search: 'MRN', limit: 5, before: page.nextCursor });
      expect(page.total).toBeNull();
      seen.push(...page.rows.map((r) => r.id));
    }
    expect(seen).toHaveLength(10);
    expect(seen).toEqual([...seen].sort((a, b) => b - a));
  });

  it('says when more patients matched than a search uses', () => {
    const m = matchSearch(s.db, 'MRN', 3);
    expect(m).toMatchObject({ capped: true });
    expect(m.patients).toHaveLength(3);
  });

  it('is refused to a role without patients.view, in main, before any query runs', async () => {
    const r = await s.call('consents.list', { search: 'smith' }, { principal: auditor });
    expect(r).toMatchObject({ ok: false, error: { code: 'PERMISSION_DENIED' } });
  });

  it('never writes the search text to the audit trail', async () => {
    await call('consents.list', { search: "O'Brien" });
    const entry = s.db.prepare(`SELECT * FROM audit_log WHERE action = 'consents.list' ORDER BY id DESC LIMIT 1`).get() as Record<string, unknown>;
    expect(entry).toBeDefined();
    expect(JSON.stringify(entry)).not.toMatch(/brien/i);
  });

  it('reads consents through indexes, never a scan of the consents table', () => {
    const stmt = s.db.prepare(`EXPLAIN QUERY PLAN ${pageSql('search')}`);
    const detail = (stmt.all({ before: 1e15, grantee: null, purpose: null, category: null, status: null, now: 0, limit: 10, patients: '[1,2]', grantees: '["x"]', patientId: null }) as { detail: string }[])
      .map((r) => r.detail)
      .join('\n');
    expect(detail).toMatch(/consents_decide/);
    expect(detail).toMatch(/consents_by_grantee/);
    expect(detail).not.toMatch(/SCAN c\b/);
  });
});
