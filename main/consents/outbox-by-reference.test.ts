// consent.change events stored by reference (migration 0023): the payload the sync engine reads (view
// outbox_events) is the text today's writer builds, to the byte, for every write path (grant, revoke, supersede on
// the same key and onto another, a torn change sent again, a bulk import), so batch ids (which commit to payload
// texts) do not change. As the attacker: a later edit of what a payload is rebuilt from (a consent's terms, a
// patient's pseudonym, the reference, a hash, deleting the row) is refused by name (OUTBOX_SOURCE_IMMUTABLE), and a
// source removed behind the triggers' back makes an event the engine fails by name, never a different payload.
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { BulkConsentStore } from '../imports/bulk-store';
import { batchIdOf } from '../sync/batcher';
import { consentPayload } from '../sync/fixtures/chain';
import { enqueueOutbox, OutboxBatchWriter } from '../sync/outbox';
import { SyncRegistry } from '../sync/plugin';
import { CATEGORY_CODE, DECISION_CODE, GRANTEE_KIND_CODE, PURPOSE_CODE } from './compact-columns';
import { CONSENT_CHANGE, consentChangePayload } from './outbox-events';
import { ConsentStore, type NewConsent } from './store';
import { consentChangeSync } from './sync-plugin';
import { draft, NPI, testData, type TestData } from './test-support';
import { ConsentWrites } from './writes';
import { ConsentConflicts } from './consent-conflicts';

const NOW = '2026-03-04T05:06:07.000Z';

/** The store as today, recording the text it hands the outbox writer (what was stored as a copy before 0023). */
class RecordingStore extends ConsentStore {
  readonly texts: string[] = [];
  protected override writeOutbox(payload: string, now: string): void {
    this.texts.push(payload);
    super.writeOutbox(payload, now);
  }
}
class RecordingBulkStore extends BulkConsentStore {
  readonly texts: string[] = [];
  protected override writeOutbox(payload: string, now: string): void {
    this.texts.push(payload);
    super.writeOutbox(payload, now);
  }
}

let t: TestData;
beforeEach(() => {
  t = testData('custodian-outbox-ref-');
});
afterEach(() => t.cleanup());

const sent = () => t.db.prepare(`SELECT payload FROM outbox_events WHERE kind = 'consent.change' ORDER BY id`).pluck().all() as string[];
const stored = () => t.db.prepare(`SELECT payload FROM outbox WHERE kind = 'consent.change' ORDER BY id`).pluck().all() as string[];
const refs = () => t.db.prepare(`SELECT count(*) FROM outbox_refs`).pluck().get() as number;

function newConsent(store: ConsentStore, overrides: Partial<NewConsent> = {}): NewConsent {
  const patient = store.createPatient('GH01', `MRN-${Math.random().toString(36).slice(2, 8)}`, null, null, NOW);
  return {
    externalId: null,
    patientId: patient.id,
    pseudonym: patient.pseudonym,
    grantee: NPI.a,
    granteeKind: 'npi',
    decision: 'permit',
    purpose: 'TREAT',
    category: 'general',
    periodStart: Date.UTC(2024, 0, 1) / 1000,
    periodEnd: null,
    status: 'active',
    revokedReason: null,
    documentHash: `0x${'5a'.repeat(32)}`,
    source: 'staff:s1',
    importRunId: null,
    sourceRow: null,
    ...overrides,
  };
}

describe('consent.change by reference: the payload sent is the one built today, to the byte', () => {
  it('grant, revoke, supersede on the same key and onto another key: every event by reference, every payload identical, the same batch id', () => {
    const store = new RecordingStore(t.db, t.pseudonymizer);
    const writes = new ConsentWrites(t.db, store);
    const a = writes.grant(draft({ externalId: 'F-1' }), 'staff-1');
    const b = writes.grant(draft({ mrn: 'MRN0002', grantee: NPI.b, purpose: 'HPAYMT', category: 'HIV', periodEnd: Date.UTC(2027, 0, 1) / 1000, decision: 'deny' }), 'staff-1');
    writes.revoke(b, 'withdrawn', 'staff-2');
    const a2 = writes.supersede(a, draft({ externalId: 'F-1', periodEnd: Date.UTC(2030, 0, 1) / 1000 }), 'staff-2');
    writes.supersede(a2, draft({ externalId: 'F-1', grantee: NPI.c }), 'staff-3');
    expect(store.texts.length).toBeGreaterThanOrEqual(6);
    expect(sent()).toEqual(store.texts);
    // Stored by reference, every one: '' and a reference row (a copy would make this test pass without 0023).
    expect(stored().every((p) => p === '')).toBe(true);
    expect(refs()).toBe(store.texts.length);
    for (const p of sent()) consentChangePayload.parse(JSON.parse(p));
    const events = t.db.prepare(`SELECT id, payload FROM outbox_events ORDER BY id`).all() as { id: number; payload: string }[];
    const origin = `0x${'11'.repeat(32)}`;
    expect(batchIdOf(origin, 'consent.change', events)).toBe(batchIdOf(origin, 'consent.change', events.map((e, i) => ({ id: e.id, payload: store.texts[i]! }))));
  });

  it('grantee texts JSON escapes (quotes, backslash, control characters, non-ASCII, U+2028), open and closed periods, a period before 1970', () => {
    const store = new RecordingStore(t.db, t.pseudonymizer);
    const odd = ['Org "Quoted" \\ back', 'tab\there\nline\u001f', 'Ünïcødé – 医院 \u2028 end', 'slash/and\u007f'];
    for (const grantee of odd) store.insert(newConsent(store, { grantee, granteeKind: 'org', periodStart: -86_400, periodEnd: 0 }), 1, { now: NOW, actor: 'staff:s1' });
    store.insert(newConsent(store, { purpose: 'HMARKT', category: 'reproductive', periodEnd: 4_102_444_800 }), 1, { now: NOW, actor: 'staff:s1' });
    expect(sent()).toEqual(store.texts);
    expect(stored().every((p) => p === '')).toBe(true);
  });

  it('a bulk import (multi-row writes): the same texts, by reference, and nothing fell back to a copy', () => {
    const store = new RecordingBulkStore(t.db, t.pseudonymizer);
    t.db.exec('BEGIN IMMEDIATE');
    store.begin();
    for (let i = 0; i < 300; i++) {
      const c = newConsent(store, { grantee: i % 3 === 0 ? `Org ${i % 7} "x"` : NPI.b, granteeKind: i % 3 === 0 ? 'org' : 'npi', category: i % 2 ? 'HIV' : 'general' });
      store.insert(c, 1, { now: NOW, actor: 'import:1' });
    }
    store.flush();
    t.db.exec('COMMIT');
    expect(sent()).toEqual(store.texts);
    expect(stored().filter((p) => p !== '')).toEqual([]);
  });

  it('a torn change sent again (resendUnchanged): the new event by reference, byte for byte the torn one; a second time, nothing', () => {
    const store = new RecordingStore(t.db, t.pseudonymizer);
    const writes = new ConsentWrites(t.db, store);
    writes.grant(draft(), 'staff-1');
    const text = sent()[0]!;
    const torn = consentChangePayload.parse(JSON.parse(text));
    const out = t.db.transaction(() => store.resendUnchanged(1, text, torn, NOW))();
    expect(out).toMatchObject({ hlc: torn.hlc });
    expect(sent()).toEqual([text, text]);
    expect(stored()).toEqual(['', '']);
    // Already sent again: a retry of the torn batch's hook queues nothing more.
    expect(t.db.transaction(() => store.resendUnchanged(1, text, torn, NOW))()).toBeNull();
    expect(sent()).toHaveLength(2);
  });

  it('a torn change sent again takes its open conflict with it (raised while it waited, judged at its new event)', () => {
    const store = new RecordingStore(t.db, t.pseudonymizer);
    const writes = new ConsentWrites(t.db, store);
    const id = writes.grant(draft(), 'staff-1');
    const text = sent()[0]!;
    const torn = consentChangePayload.parse(JSON.parse(text));
    const mine = { decision: 1 as const, revoked: false, hlc: BigInt(`0x${torn.hlc}`), writer: `0x${'a'.repeat(40)}` };
    const conflicts = new ConsentConflicts(t.db);
    conflicts.overridden(id, torn.hlc, mine, { ...mine, hlc: mine.hlc + 5n, writer: `0x${'b'.repeat(40)}` });
    expect(conflicts.list().map((c) => c.outboxId)).toEqual([1]);
    const [resent] = writes.resendTorn([{ outboxId: 1, text, payload: torn }], `0x${'cd'.repeat(32)}`);
    expect(conflicts.list().map((c) => c.outboxId)).toEqual([resent!.outboxId]);
  });

  it('a later revoke of the consent leaves the create event as it was built (its stamp and revoked flag are its own)', () => {
    const store = new RecordingStore(t.db, t.pseudonymizer);
    const writes = new ConsentWrites(t.db, store);
    const id = writes.grant(draft(), 'staff-1');
    const before = sent()[0];
    writes.revoke(id, 'withdrawn', 'staff-2');
    expect(sent()[0]).toBe(before);
    expect(JSON.parse(sent()[1]!)).toMatchObject({ change: 'revoke', revoked: true });
  });

  it('a payload its source row does not rebuild (another consent id, a fixture) is stored as a copy, exactly as given', () => {
    const text = consentPayload({}, 3);
    const id = enqueueOutbox(t.db, CONSENT_CHANGE, text, NOW);
    expect(t.db.prepare(`SELECT payload FROM outbox WHERE id = ?`).pluck().get(id)).toBe(text);
    expect(refs()).toBe(0);
    const writer = new OutboxBatchWriter(t.db, CONSENT_CHANGE);
    t.db.transaction(() => {
      for (let i = 0; i < 5; i++) writer.add(consentPayload({}, 10 + i), NOW);
      writer.flush();
    })();
    expect(writer.copies).toBe(5);
    expect(refs()).toBe(0);
    expect(sent().slice(1)).toEqual(Array.from({ length: 5 }, (_, i) => consentPayload({}, 10 + i)));
  });
});

describe('consent.change by reference, as the attacker: what a sent payload is rebuilt from cannot change', () => {
  let id: number;
  let before: string;
  beforeEach(() => {
    id = new ConsentWrites(t.db, t.store).grant(draft({ periodEnd: Date.UTC(2028, 0, 1) / 1000 }), 'staff-1');
    before = sent()[0]!;
    expect(stored()).toEqual(['']);
  });

  it.each<[string, string]>([
    ['widen the period', `UPDATE consents SET period_end = NULL WHERE id = $id`],
    ['flip the decision', `UPDATE consents SET decision_code = ${DECISION_CODE.deny} WHERE id = $id`],
    ['another purpose', `UPDATE consents SET purpose_code = ${PURPOSE_CODE.HRESCH} WHERE id = $id`],
    ['another category', `UPDATE consents SET category_code = ${CATEGORY_CODE.HIV} WHERE id = $id`],
    ['an organisation instead of the NPI', `UPDATE consents SET grantee_kind_code = ${GRANTEE_KIND_CODE.org} WHERE id = $id`],
    ['move it to another grantee', `UPDATE consents SET grantee = '${NPI.b}' WHERE id = $id`],
    ['another document', `UPDATE consents SET document_hash_bin = zeroblob(32) WHERE id = $id`],
    ['another patient', `UPDATE consents SET patient_id = patient_id + 1 WHERE id = $id`],
    ['re-source it as a pulled row', `UPDATE consents SET source_text = 'chain' WHERE id = $id`],
    ['re-pseudonymize the patient', `UPDATE patients SET pseudonym_bin = zeroblob(32) WHERE id = (SELECT patient_id FROM consents WHERE id = $id)`],
    ['delete the consent', `DELETE FROM consents WHERE id = $id`],
    ['edit the reference', `UPDATE outbox_refs SET revoked = 1`],
    ['drop the reference', `DELETE FROM outbox_refs`],
    ['swap a hash', `UPDATE outbox_ref_hashes SET hash = '0x${'00'.repeat(32)}' WHERE text = 'TREAT'`],
    ['delete a hash', `DELETE FROM outbox_ref_hashes WHERE text = 'npi:${NPI.a}'`],
  ])('%s: refused by name, the payload unchanged', (_what, sql) => {
    expect(() => t.db.prepare(sql.replaceAll('$id', String(id))).run()).toThrow(/OUTBOX_SOURCE_IMMUTABLE/);
    expect(sent()[0]).toBe(before);
  });

  it('the source removed behind the triggers (a hand edit of the file): the engine fails the event by name and sends nothing else', () => {
    t.db.exec('DROP TRIGGER consents_referenced_kept');
    t.db.pragma('foreign_keys = OFF');
    t.db.prepare('DELETE FROM consents WHERE id = ?').run(id);
    expect(sent()).toEqual(['']);
    const registry = new SyncRegistry([consentChangeSync({ sealer: null })]);
    expect(registry.parse('consent.change', sent()[0]!)).toEqual({ ok: false, reason: expect.stringMatching(/^OUTBOX_SOURCE_MISSING: /) });
  });
});
