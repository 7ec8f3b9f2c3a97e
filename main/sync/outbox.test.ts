// The one outbox writer, as an attacker would try it: a payload that carries more than pseudonyms and codes (an MRN
// slipped into a claim, a consent purpose the ledger has no code for, a bulk import row with a name) is refused when
// written, naming the kind and the field and never the value, and nothing of the caller's transaction stays. And no
// production file writes the outbox but this writer.
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CLAIM_RECORD } from '../claims/outbox-events';
import { CONSENT_CHANGE } from '../consents/outbox-events';
import type { Db } from '../db/connection';
import { consentPayload, openTestDb, tempDir, TEST_PATIENTS } from './fixtures/chain';
import { statusFixture } from './fixtures/status';
import { enqueueOutbox, heldEventReasons, holdEvent, OutboxBatchWriter, OutboxPayloadError } from './outbox';
import { formatSyncStatus } from './report-text';

let dir: string;
let db: Db;
beforeAll(() => {
  dir = tempDir('outbox-writer');
  db = openTestDb(path.join(dir, 'outbox.sqlite'));
});
afterAll(() => {
  db?.close();
  fs.rmSync(dir, { recursive: true, force: true });
});

const count = () => db.prepare(`SELECT count(*) FROM outbox`).pluck().get() as number;
const claim = { v: 2, claimRowId: 7, claimHash: `0x${'12'.repeat(32)}`, payerCommitment: `0x${'34'.repeat(32)}` } as const;

describe('enqueueOutbox', () => {
  it('writes a payload that passes its kind schema, exactly as given', () => {
    const text = consentPayload({}, 3);
    const id = enqueueOutbox(db, CONSENT_CHANGE, text, '2026-01-02T03:04:05.000Z');
    expect(db.prepare(`SELECT kind, payload, state, created_at FROM outbox_events WHERE id = ?`).get(id)).toEqual({ kind: 'consent.change', payload: text, state: 'pending', created_at: '2026-01-02T03:04:05.000Z' });
  });

  it('refuses a claim carrying an MRN at write time, naming the kind and field but not the value; the transaction leaves nothing', () => {
    const before = count();
    const leaky = { ...claim, mrn: TEST_PATIENTS[0]!.mrn };
    let thrown: unknown;
    try {
      db.transaction(() => {
        db.prepare(`INSERT INTO settings (key, value) VALUES ('outbox-probe', '1')`).run();
        enqueueOutbox(db, CLAIM_RECORD, leaky as never);
      })();
    } catch (err) {
      thrown = err;
    }
    expect(thrown).toBeInstanceOf(OutboxPayloadError);
    expect(thrown).toMatchObject({ code: 'SYNC_PAYLOAD_INVALID', kind: 'claim.record' });
    expect((thrown as Error).message).toMatch(/^A claim\.record outbox event was refused when written: \(payload\): unexpected field\(s\) mrn\.$/);
    expect((thrown as Error).message).not.toContain(TEST_PATIENTS[0]!.mrn);
    expect(count()).toBe(before);
    expect(db.prepare(`SELECT count(*) FROM settings WHERE key = 'outbox-probe'`).pluck().get()).toBe(0);
  });

  it.each<[string, string, RegExp]>([
    ['a purpose the ledger has no code for', JSON.stringify({ ...JSON.parse(consentPayload({}, 4)), purposeHash: `0x${'ab'.repeat(32)}` }), /consent\.change .*purposeHash: is not a purpose the ConsentLedger has a code for/],
    ['a text that is not JSON', '{"v":2,', /consent\.change .*payload is not JSON/],
    ['a missing stamp', JSON.stringify({ ...JSON.parse(consentPayload({}, 5)), hlc: undefined }), /consent\.change .*hlc: /],
  ])('refuses a consent change with %s', (_what, text, reason) => {
    const before = count();
    expect(() => enqueueOutbox(db, CONSENT_CHANGE, text)).toThrow(reason);
    expect(count()).toBe(before);
  });
});

describe('OutboxBatchWriter (bulk imports)', () => {
  it('checks each payload as it is added and writes them all on flush, in order', () => {
    const writer = new OutboxBatchWriter(db, CONSENT_CHANGE);
    const texts = Array.from({ length: 130 }, (_, i) => consentPayload({}, 100 + i));
    const before = count();
    db.transaction(() => {
      for (const t of texts) writer.add(t, '2026-01-01T00:00:00.000Z');
      expect(writer.rows).toBe(130);
      writer.flush();
    })();
    expect(count()).toBe(before + 130);
    expect(db.prepare(`SELECT payload FROM outbox_events ORDER BY id DESC LIMIT 130`).pluck().all().reverse()).toEqual(texts);
  });

  it('refuses a row with a name in it when added, before anything is written', () => {
    const writer = new OutboxBatchWriter(db, CONSENT_CHANGE);
    writer.add(consentPayload({}, 300), '2026-01-01T00:00:00.000Z');
    const named = JSON.stringify({ ...JSON.parse(consentPayload({}, 301)), name: TEST_PATIENTS[1]!.name });
    expect(() => writer.add(named, '2026-01-01T00:00:00.000Z')).toThrow(/consent\.change .*unexpected field\(s\) name/);
    expect(writer.rows).toBe(1);
  });
});

describe('one writer', () => {
  const root = path.resolve(import.meta.dirname, '../..');
  const sources = (dir: string): string[] =>
    fs.readdirSync(path.join(root, dir), { recursive: true, withFileTypes: true }).flatMap((e) => {
      const file = path.relative(root, path.join(e.parentPath, e.name));
      return e.isFile() && /\.(ts|tsx|mjs|cjs|js)$/.test(e.name) && !/\.test\.ts$|\/fixtures\/|test-support\.ts$/.test(file) ? [file] : [];
    });

  it('no production file but main/sync/outbox.ts inserts into the outbox', () => {
    const writers = ['main', 'bench', 'scripts'].flatMap(sources).filter((f) => /INSERT\s+(OR\s+\w+\s+)?INTO\s+outbox\b/i.test(fs.readFileSync(path.join(root, f), 'utf8')));
    expect(writers).toEqual(['main/sync/outbox.ts']);
  });
});

// An IT admin told only "3 events held" cannot act: `sync status` and the Sync page show the newest held events with
// the reason their domain wrote, which names what to do.
describe('held events, each with its reason', () => {
  it('lists the newest held events with id, kind and reason; waiting and batched events are not held', () => {
    const held = (reason: string) => {
      const id = enqueueOutbox(db, CLAIM_RECORD, { ...claim, claimRowId: 900 + count() });
      expect(holdEvent(db, id, reason)).toBe(true);
      return id;
    };
    const first = held('SHARING_PROPOSAL_LEGACY: agreement 0xab is NOT sent: propose it again once the partner key is known');
    const ids = [first, held(`SYNC_PAYLOAD_INVALID: ${'x'.repeat(400)}`), ...Array.from({ length: 5 }, (_, i) => held(`SHARING_PROPOSAL_LEGACY: agreement ${i}`))];
    enqueueOutbox(db, CLAIM_RECORD, { ...claim, claimRowId: 990 }); // waiting, not held
    const latest = heldEventReasons(db);
    expect(latest.map((e) => e.id)).toEqual(ids.slice(-5).reverse());
    expect(latest[0]).toEqual({ id: ids.at(-1), kind: CLAIM_RECORD.kind, reason: 'SHARING_PROPOSAL_LEGACY: agreement 4' });
    const all = heldEventReasons(db, 100);
    expect(all.find((e) => e.id === ids[1])!.reason).toHaveLength(300);
    expect(all.find((e) => e.id === first)!.reason).toMatch(/propose it again/);
    expect(all.every((e) => ids.includes(e.id))).toBe(true);
  });

  it('sync status prints each shown event with its reason and says when more are held', () => {
    const text = formatSyncStatus({ ...statusFixture(), heldOutboxEvents: { total: 7, byCode: { SHARING_PROPOSAL_LEGACY: 7 }, latest: [{ id: 42, kind: 'agreement.propose', reason: 'SHARING_PROPOSAL_LEGACY: propose again' }] } });
    expect(text).toContain('Held, unsent: 7 outbox event(s) will not be sent: SHARING_PROPOSAL_LEGACY 7');
    expect(text).toContain('event 42 (agreement.propose): SHARING_PROPOSAL_LEGACY: propose again');
    expect(text).toContain('(the newest 1 shown)');
    expect(text).not.toContain('sync event');
  });
});
