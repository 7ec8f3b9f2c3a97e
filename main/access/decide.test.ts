// The consent decision of the access policy (answers.decide: facts.ts reads, policy.ts decides), table-driven over
// one patient's consents: deny overrides permit, only active consents in their period count, no consent is a deny,
// ETREAT is break-glass; and the query is answered from the index.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AppError } from '../api/errors';
import { decide } from './answers';
import { consentStatements } from './facts';
import type { DecideQuery } from './policy';
import { STATUS_CODE } from '../consents/compact-columns';
import { nextSeq } from '../consents/store';
import { draft, NPI, testData, type TestData } from '../consents/test-support';
import { toNewConsent } from '../consents/writes';
import type { ConsentDraft } from '../consents/draft';

let t: TestData;
const d = (y: number, m = 1, day = 1) => Date.UTC(y, m - 1, day) / 1000;
const ids: Record<string, number> = {};
let patientId = 0;
let otherPatientId = 0;

function add(name: string, overrides: Partial<ConsentDraft>, after?: (id: number) => void) {
  const write = { now: '2024-01-01T00:00:00.000Z', actor: 'test' };
  const dr = draft(overrides);
  const patient = t.store.findPatient(dr.facility, dr.mrn) ?? t.store.createPatient(dr.facility, dr.mrn, dr.patientName, dr.birthDate, write.now);
  const c = toNewConsent(dr, patient, { runId: null, rowNumber: null, source: 'test' });
  const id = t.store.insert(c, nextSeq(t.store.keyRows(patient.id, c.grantee, c.purpose, c.category)), write);
  ids[name] = id;
  after?.(id);
  return patient.id;
}

beforeAll(() => {
  t = testData();
  // Grantee A, TREAT general: a permit for 2020-2030.
  patientId = add('permitA', { grantee: NPI.a, periodStart: d(2020), periodEnd: d(2030) });
  // Grantee A, TREAT mental-health: a permit, and a deny only during 2025.
  add('permitMH', { grantee: NPI.a, category: 'mental-health', periodStart: d(2020), periodEnd: null });
  add('denyMH2025', { grantee: NPI.a, category: 'mental-health', decision: 'deny', periodStart: d(2025), periodEnd: d(2026) });
  // Grantee B, TREAT general: revoked. HRESCH general: expired in 2022. HPAYMT general: starts in 2027.
  add('revokedB', { grantee: NPI.b }, (id) => t.db.prepare(`UPDATE consents SET status_code = ${STATUS_CODE.revoked}, revoked_reason = 'patient asked' WHERE id = ?`).run(id));
  add('expiredB', { grantee: NPI.b, purpose: 'HRESCH', periodStart: d(2020), periodEnd: d(2022) });
  add('futureB', { grantee: NPI.b, purpose: 'HPAYMT', periodStart: d(2027) });
  add('supersededB', { grantee: NPI.b, purpose: 'HOPERAT' }, (id) => t.db.prepare(`UPDATE consents SET status_code = ${STATUS_CODE.superseded} WHERE id = ?`).run(id));
  // Org grantee: a deny for marketing, everything.
  add('denyOrg', { grantee: 'ACME-HEALTH', granteeKind: 'org', purpose: 'HMARKT', decision: 'deny' });
  // An ETREAT deny on file (break-glass still permits, and says so).
  add('denyETREAT', { grantee: NPI.c, purpose: 'ETREAT', decision: 'deny' });
  otherPatientId = add('otherPatient', { mrn: 'MRN0002', birthDate: null, grantee: NPI.c });
});
afterAll(() => t.cleanup());

type Case = [string, Partial<DecideQuery>, 'permit' | 'deny', string[], RegExp];
const cases: Case[] = [
  ['a permit in force permits', { grantee: NPI.a, at: d(2024, 6) }, 'permit', ['permitA'], /Permitted by a consent/],
  ['the start second is covered', { grantee: NPI.a, at: d(2020) }, 'permit', ['permitA'], /Permitted/],
  ['the end is exclusive', { grantee: NPI.a, at: d(2030) }, 'deny', [], /no consent in force/],
  ['before the period: deny', { grantee: NPI.a, at: d(2019) }, 'deny', [], /no consent in force/],
  ['deny overrides permit where both are in force', { grantee: NPI.a, category: 'mental-health', at: d(2025, 6) }, 'deny', ['denyMH2025'], /override 1 permit/],
  ['outside the deny period the permit stands', { grantee: NPI.a, category: 'mental-health', at: d(2026, 6) }, 'permit', ['permitMH'], /Permitted/],
  ['a permit does not cover another category', { grantee: NPI.a, category: 'HIV', at: d(2024) }, 'deny', [], /no consent on file/],
  ['a permit does not cover another purpose', { grantee: NPI.a, purpose: 'HMARKT', at: d(2024) }, 'deny', [], /no consent on file/],
  ['a revoked consent does not count', { grantee: NPI.b, at: d(2024) }, 'deny', [], /no consent in force/],
  ['an expired consent does not count', { grantee: NPI.b, purpose: 'HRESCH', at: d(2024) }, 'deny', [], /no consent in force/],
  ['a future consent does not count yet', { grantee: NPI.b, purpose: 'HPAYMT', at: d(2024) }, 'deny', [], /no consent in force/],
  ['a superseded consent does not count', { grantee: NPI.b, purpose: 'HOPERAT', at: d(2024) }, 'deny', [], /no consent in force/],
  ['an explicit deny denies', { grantee: 'ACME-HEALTH', purpose: 'HMARKT', at: d(2024) }, 'deny', ['denyOrg'], /Denied by a deny consent/],
  ['no consent at all is a deny', { grantee: NPI.c, at: d(2024) }, 'deny', [], /no consent on file/],
];

describe('decide', () => {
  it.each(cases)('%s', (_name, q, decision, counted, reason) => {
    const result = decide(t.db, { grantee: NPI.a, patientId, purpose: 'TREAT', category: 'general', at: d(2024), ...q });
    expect(result.decision).toBe(decision);
    expect(result.breakGlass).toBe(false);
    expect(result.reason).toMatch(reason);
    expect(result.decidedBy.filter((x) => x.counts).map((x) => x.consentId)).toEqual(counted.map((n) => ids[n]));
  });

  it('explains what is on file but does not count', () => {
    const revoked = decide(t.db, { grantee: NPI.b, patientId, purpose: 'TREAT', category: 'general', at: d(2024) });
    expect(revoked.decidedBy).toEqual([{ consentId: ids.revokedB, externalId: null, decision: 'permit', counts: false, why: 'revoked (patient asked): does not count' }]);
    const expired = decide(t.db, { grantee: NPI.b, patientId, purpose: 'HRESCH', category: 'general', at: d(2024) });
    expect(expired.decidedBy[0]!.why).toBe('expired (2020-01-01 to 2021-12-31): does not count');
    const overridden = decide(t.db, { grantee: NPI.a, patientId, purpose: 'TREAT', category: 'mental-health', at: d(2025, 6) });
    expect(overridden.decidedBy.find((x) => x.consentId === ids.permitMH)).toMatchObject({ counts: false, why: expect.stringMatching(/deny overrides permit/) });
  });

  it('keeps patients apart', () => {
    expect(decide(t.db, { grantee: NPI.c, patientId: otherPatientId, purpose: 'TREAT', category: 'general', at: d(2024) }).decision).toBe('permit');
    expect(decide(t.db, { grantee: NPI.a, patientId: otherPatientId, purpose: 'TREAT', category: 'general', at: d(2024) }).decision).toBe('deny');
  });

  it('breaks the glass only when asked to, with a reason: permits, flags it, and reports what it overrides', () => {
    // Asking about ETREAT is a question like any other: the ETREAT deny on file answers it, no break-glass.
    expect(decide(t.db, { grantee: NPI.c, patientId, purpose: 'ETREAT', category: 'general', at: d(2024) })).toMatchObject({ decision: 'deny', breakGlass: false });
    expect(() => decide(t.db, { grantee: NPI.c, patientId, purpose: 'TREAT', category: 'general', at: d(2024), breakGlassReason: 'unconscious in ED' })).toThrow(AppError);
    expect(() => decide(t.db, { grantee: NPI.c, patientId, purpose: 'ETREAT', category: 'general', at: d(2024), breakGlassReason: '  ' })).toThrow(/needs a reason/);
    const r = decide(t.db, { grantee: NPI.c, patientId, purpose: 'ETREAT', category: 'general', at: d(2024), breakGlassReason: 'unconscious in ED' });
    expect(r).toMatchObject({ decision: 'permit', breakGlass: true });
    expect(r.reason).toMatch(/^Break-glass emergency access: unconscious in ED\. Without it: Denied by a deny consent/);
    expect(r.decidedBy).toEqual([expect.objectContaining({ consentId: ids.denyETREAT, counts: false })]);
    const none = decide(t.db, { grantee: NPI.a, patientId, purpose: 'ETREAT', category: 'HIV', at: new Date(d(2024) * 1000), breakGlassReason: 'cardiac arrest' });
    expect(none).toMatchObject({ decision: 'permit', breakGlass: true, decidedBy: [] });
  });

  it('answers from the consents_decide index, never a scan', () => {
    const { inForce, onFile } = consentStatements(t.db);
    for (const [stmt, params] of [
      [inForce, [patientId, NPI.a, 'TREAT', 'general', 1, 1]],
      [onFile, [patientId, NPI.a, 'TREAT', 'general']],
    ] as const) {
      const plan = (t.db.prepare(`EXPLAIN QUERY PLAN ${stmt.source}`).all(...params) as { detail: string }[]).map((r) => r.detail);
      expect(plan.join('\n')).toMatch(/SEARCH consents USING INDEX consents_decide \(patient_id=\? AND grantee=\? AND purpose_code=\? AND category_code=\?/);
      expect(plan.join('\n')).not.toMatch(/SCAN consents/);
    }
  });
});
