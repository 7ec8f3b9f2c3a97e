// Staff writes: each grant, revoke and supersede is one transaction with its history row and exactly one outbox
// event per ledger key it changes, with increasing sequence numbers; no outbox payload ever holds PHI.
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { AppError } from '../api/errors';
import { consentChangePayload } from './outbox-events';

/** The ledger key's fields as one string: equal for two events of one key. */
const ledgerKey = (p: { patientPseudonym: string; granteeHash: string; purposeHash: string; categoryHash: string }) => `${p.patientPseudonym}${p.granteeHash}${p.purposeHash}${p.categoryHash}`;
import { draft, NPI, testData, type TestData } from './test-support';
import { ConsentWrites } from './writes';

let t: TestData;
let writes: ConsentWrites;
beforeEach(() => {
  t = testData();
  writes = new ConsentWrites(t.db, t.store);
});
afterEach(() => t.cleanup());

const outbox = () => (t.db.prepare(`SELECT kind, payload FROM outbox_events ORDER BY id`).all() as { kind: string; payload: string }[]).map((r) => ({ kind: r.kind, payload: consentChangePayload.parse(JSON.parse(r.payload)) }));
const history = (id: number) => t.db.prepare('SELECT action, actor, detail FROM consent_history WHERE consent_id = ? ORDER BY id').all(id) as { action: string; actor: string; detail: string | null }[];
const row = (id: number) => t.db.prepare('SELECT * FROM consents WHERE id = ?').get(id) as Record<string, unknown>;

function expectCode(fn: () => unknown, code: string) {
  try {
    fn();
  } catch (err) {
    expect(err).toBeInstanceOf(AppError);
    expect((err as AppError).code).toBe(code);
    return;
  }
  throw new Error(`expected ${code}`);
}

describe('consent writes', () => {
  it('grant: a row, a create history entry and one outbox event', () => {
    const id = writes.grant(draft({ externalId: 'F-1' }), 'staff-7');
    expect(row(id)).toMatchObject({ status: 'active', seq: 1, source: 'staff:staff-7', external_id: 'F-1' });
    expect(history(id)).toEqual([{ action: 'create', actor: 'staff-7', detail: '{"by":"staff-7"}' }]);
    const events = outbox();
    expect(events).toHaveLength(1);
    expect(events[0]).toMatchObject({ kind: 'consent.change', payload: { v: 2, change: 'create', consentId: id, decision: 'permit', revoked: false, hlc: row(id).hlc } });
  });

  it('revoke: status, reason, a history entry and one event with the next seq of the key', () => {
    const id = writes.grant(draft(), 'staff-7');
    writes.revoke(id, 'patient withdrew', 'staff-8');
    expect(row(id)).toMatchObject({ status: 'revoked', revoked_reason: 'patient withdrew', seq: 2 });
    expect(history(id).map((h) => h.action)).toEqual(['create', 'revoke']);
    const events = outbox();
    expect(events).toHaveLength(2);
    expect(events[1]!.payload).toMatchObject({ change: 'revoke', revoked: true });
    // The key's order stamp moves forward even within one millisecond (the counter), never back.
    expect(events[1]!.payload.hlc > events[0]!.payload.hlc).toBe(true);
    expect(row(id).hlc).toBe(events[1]!.payload.hlc);
    expect(ledgerKey(events[1]!.payload)).toBe(ledgerKey(events[0]!.payload));
    expectCode(() => writes.revoke(id, 'again', 'staff-8'), 'CONFLICT');
    expectCode(() => writes.revoke(9999, 'nope', 'staff-8'), 'NOT_FOUND');
    expect(outbox()).toHaveLength(2);
  });

  it('supersede on the same key: one event, the old row kept as history and linked', () => {
    const id = writes.grant(draft({ externalId: 'F-2' }), 'staff-7');
    const next = writes.supersede(id, draft({ periodEnd: Date.UTC(2030, 0, 1) / 1000 }), 'staff-7');
    expect(row(id)).toMatchObject({ status: 'superseded', superseded_by: next });
    expect(row(next)).toMatchObject({ status: 'active', external_id: 'F-2', seq: 2 });
    expect(history(id).map((h) => h.action)).toEqual(['create', 'supersede']);
    expect(JSON.parse(history(id)[1]!.detail!)).toEqual({ supersededBy: next, changed: ['period_end', 'document_hash'] });
    const stamps = outbox().map((e) => [e.payload.change, e.payload.hlc]);
    expect(stamps.map((s) => s[0])).toEqual(['create', 'supersede']);
    expect(stamps[1]![1]! > stamps[0]![1]!).toBe(true);
  });

  it('supersede onto another key: the new key set, the old key revoked (one event per key)', () => {
    const id = writes.grant(draft(), 'staff-7');
    const next = writes.supersede(id, draft({ grantee: NPI.b }), 'staff-7');
    const events = outbox();
    expect(events.map((e) => [e.payload.change, e.payload.consentId, e.payload.revoked])).toEqual([
      ['create', id, false],
      ['supersede', next, false],
      ['revoke', id, true],
    ]);
    expect(events[2]!.payload.hlc > events[0]!.payload.hlc).toBe(true);
    expect(ledgerKey(events[2]!.payload)).toBe(ledgerKey(events[0]!.payload));
  });

  it('refuses duplicates, a taken external id, another patient, and rolls everything back', () => {
    const id = writes.grant(draft({ externalId: 'F-3' }), 'staff-7');
    expectCode(() => writes.grant(draft(), 'staff-7'), 'CONFLICT');
    expectCode(() => writes.grant(draft({ externalId: 'F-3', grantee: NPI.b }), 'staff-7'), 'CONFLICT');
    expectCode(() => writes.supersede(id, draft({ mrn: 'MRN9' }), 'staff-7'), 'VALIDATION_FAILED');
    expectCode(() => writes.grant(draft({ grantee: NPI.c, birthDate: '1999-01-01' }), 'staff-7'), 'VALIDATION_FAILED');
    expect(t.db.prepare('SELECT count(*) AS n FROM consents').get()).toEqual({ n: 1 });
    expect(t.db.prepare('SELECT count(*) AS n FROM patients').get()).toEqual({ n: 1 });
    expect(outbox()).toHaveLength(1);
    // A patient created inside a rolled-back write is not remembered by the store's cache.
    writes.grant(draft({ mrn: 'MRN-NEW', grantee: NPI.c }), 'staff-7');
    expect(t.db.prepare('SELECT count(*) AS n FROM patients').get()).toEqual({ n: 2 });
  });

  it('never puts an MRN, name or date of birth in an outbox payload', () => {
    const patients = [
      { mrn: 'MRN-555-0199', patientName: 'Zyxwvut, Quillon', birthDate: '1957-03-09' },
      { mrn: 'A77341', patientName: 'Ębrowska-Nakamura, Ülla', birthDate: '2001-12-24' },
    ];
    for (const p of patients) {
      const id = writes.grant(draft({ ...p, externalId: `X-${p.mrn}` }), 'staff-7');
      const next = writes.supersede(id, draft({ ...p, category: 'HIV' }), 'staff-7');
      writes.revoke(next, 'patient withdrew', 'staff-7');
    }
    const raw = (t.db.prepare('SELECT payload FROM outbox_events').all() as { payload: string }[]).map((r) => r.payload);
    expect(raw.length).toBe(8);
    for (const payload of raw) {
      for (const p of patients) {
        for (const value of [p.mrn, p.patientName, p.birthDate, p.patientName.split(',')[0]!, p.birthDate.replace(/-/g, '')]) expect(payload).not.toContain(value);
      }
      expect(payload).not.toMatch(/GH01|MRN|mrn|name|birth/i);
      expect(Object.keys(JSON.parse(payload)).sort()).toEqual(
        ['v', 'change', 'consentId', 'patientPseudonym', 'granteeHash', 'purposeHash', 'categoryHash', 'granteeKind', 'grantee', 'hlc', 'prevHlc', 'decision', 'validFrom', 'validUntil', 'revoked', 'documentHash'].sort(),
      );
    }
  });
});
