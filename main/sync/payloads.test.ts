// The audit.root payload schema against what the audit domain really writes: a sealed batch's outbox event passes,
// and a payload without its trail (or with the zero trail, which AuditAnchor refuses) fails with the field named.
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sealDueBatches } from '../audit/batches';
import { recordAudit } from '../audit/trail';
import { auditTrailId } from '../audit/trail-id';
import type { Db } from '../db/connection';
import { openTestDb, tempDir } from './fixtures/chain';
import { parsePayload } from './payloads';

let dir: string;
let db: Db;
let sealed: Record<string, unknown>;
beforeAll(() => {
  dir = tempDir('sync-payloads');
  db = openTestDb(path.join(dir, 'payloads.sqlite'));
  for (let i = 0; i < 3; i++) recordAudit(db, { actor: null, action: 'system.start', outcome: 'success', workstation: 'ws-test' });
  sealDueBatches(db, { force: true });
  sealed = JSON.parse(db.prepare(`SELECT payload FROM outbox WHERE kind = 'audit.root'`).pluck().get() as string) as Record<string, unknown>;
});
afterAll(() => {
  db?.close();
  fs.rmSync(dir, { recursive: true, force: true });
});

describe("the 'audit.root' payload", () => {
  it("accepts the audit domain's outbox event, trail id included", () => {
    expect(sealed.trailId).toBe(auditTrailId(db));
    expect(parsePayload('audit.root', JSON.stringify(sealed))).toEqual({ ok: true, value: sealed });
  });

  it.each<[string, (p: Record<string, unknown>) => Record<string, unknown>, RegExp]>([
    ['no trail id', ({ trailId: _t, ...rest }) => rest, /^trailId: /],
    ['the zero trail id', (p) => ({ ...p, trailId: `0x${'00'.repeat(32)}` }), /^trailId: must not be zero/],
    ['a malformed trail id', (p) => ({ ...p, trailId: 'ws-a.hospital.local' }), /^trailId: must be 0x \+ 64 hex digits/],
  ])('rejects %s, naming the field', (_what, change, reason) => {
    const parsed = parsePayload('audit.root', JSON.stringify(change(sealed)));
    expect(parsed.ok).toBe(false);
    if (!parsed.ok) expect(parsed.reason).toMatch(reason);
  });
});
