// The audit.root payload schema against what the audit domain really writes: a signed tree head's outbox event
// passes, and a payload naming a trail (the trail is the sender on chain), a zero root or no size fails, field named.
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Wallet } from 'ethers';
import { sealTreeHead } from '../audit/log';
import { recordAudit } from '../audit/trail';
import type { Db } from '../db/connection';
import { openTestDb, tempDir, TEST_REGISTRY } from './fixtures/chain';

const parsePayload = (kind: string, json: string) => TEST_REGISTRY.parse(kind, json);

let dir: string;
let db: Db;
let sealed: Record<string, unknown>;
beforeAll(() => {
  dir = tempDir('sync-payloads');
  db = openTestDb(path.join(dir, 'payloads.sqlite'));
  for (let i = 0; i < 3; i++) recordAudit(db, { actor: null, action: 'system.start', outcome: 'success', workstation: 'ws-test' });
  sealTreeHead(db, { dataDir: dir, signer: Wallet.createRandom() });
  sealed = JSON.parse(db.prepare(`SELECT payload FROM outbox WHERE kind = 'audit.root'`).pluck().get() as string) as Record<string, unknown>;
});
afterAll(() => {
  db?.close();
  fs.rmSync(dir, { recursive: true, force: true });
});

describe("the 'audit.root' payload", () => {
  it("accepts the audit domain's outbox event: the head's size and root", () => {
    expect(sealed).toEqual({ treeSize: 3, rootHash: expect.stringMatching(/^0x[0-9a-f]{64}$/) });
    expect(parsePayload('audit.root', JSON.stringify(sealed))).toEqual({ ok: true, value: sealed });
  });

  it.each<[string, (p: Record<string, unknown>) => Record<string, unknown>, RegExp]>([
    ['a trail id (another trail cannot be named)', (p) => ({ ...p, trailId: `0x${'11'.repeat(32)}` }), /unexpected field\(s\) trailId/],
    ['the zero root', (p) => ({ ...p, rootHash: `0x${'00'.repeat(32)}` }), /^rootHash: must not be zero/],
    ['no size', ({ treeSize: _t, ...rest }) => rest, /^treeSize: /],
  ])('rejects %s, naming the field', (_what, change, reason) => {
    const parsed = parsePayload('audit.root', JSON.stringify(change(sealed)));
    expect(parsed.ok).toBe(false);
    if (!parsed.ok) expect(parsed.reason).toMatch(reason);
  });
});
