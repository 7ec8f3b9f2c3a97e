// sharing.partners through the real services (dispatcher, zod, permissions) on real SQLite: the directory comes from
// the agreements table with each agreement's effective status (one past its end counts as ended), the search is
// bounded and taken as text, and reading it writes nothing to the audit trail (like the agreements list).
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Principal } from '../api/permissions';
import type { PartnerView } from '../api/sharing';
import { silentLogger } from '../runtime/log';
import { startServices, type Services } from '../compose/services';

let dir: string;
let services: Services;
const clerk: Principal = { id: 'c1', name: 'Test Clerk', role: 'records_clerk' };
const auditor: Principal = { id: 'a1', name: 'Test Auditor', role: 'auditor' };
const YEAR = 365 * 86_400;

function agreementRow(n: number, partner: string, fields: { status: string; validUntil: number }): void {
  const now = new Date().toISOString();
  services.db
    .prepare(
      `INSERT INTO sharing_agreements (id, our_role, partner_org_id, partner_address, our_address, direction, categories, purposes, valid_from, valid_until,
         document_hash, terms_hash, chain_id, contract, status, chain_state, created_at, updated_at)
       VALUES (?, 'A', ?, ?, ?, 'outbound', '["general"]', '["TREAT"]', ?, ?, ?, ?, 31337, ?, ?, 'queued', ?, ?)`,
    )
    .run(`0x${String(n).padStart(64, '0')}`, partner, `0x${String(n).padStart(40, '1')}`, `0x${'9'.repeat(40)}`, 1_600_000_000, fields.validUntil, `0x${'a'.repeat(64)}`, `0x${'b'.repeat(64)}`, `0x${'c'.repeat(40)}`, fields.status, now, now);
}

beforeAll(async () => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'custodian-partners-'));
  services = await startServices({ dataDir: dir, runtime: 'cli', logger: silentLogger, config: { chain: { mode: 'none' } } });
  const future = Math.floor(Date.now() / 1000) + YEAR;
  agreementRow(1, 'NORTH-CLINIC', { status: 'active', validUntil: future });
  // Active in the table but past its end: the directory counts it as ended, as the agreements list shows it expired.
  agreementRow(2, 'OLD-PARTNER', { status: 'active', validUntil: 1_700_000_000 });
  agreementRow(3, 'lakeside.hosp', { status: 'proposed', validUntil: future });
});
afterAll(async () => {
  await services.stop();
  fs.rmSync(dir, { recursive: true, force: true });
});

const partners = async (input: unknown, who: Principal = clerk) => {
  const r = await services.call('sharing.partners', input, who);
  if (!r.ok) throw Object.assign(new Error(r.error.message), { code: r.error.code });
  return r.value as PartnerView[];
};

describe('sharing.partners', () => {
  it('lists every partner with its agreements by effective status, active first, for every role that sees Sharing', async () => {
    const audit = services.db.prepare('SELECT count(*) FROM audit_log').pluck();
    const before = audit.get() as number;
    const all = await partners({});
    expect(all.map((p) => [p.orgId, p.active, p.proposed, p.ended])).toEqual([
      ['NORTH-CLINIC', 1, 0, 0],
      ['lakeside.hosp', 0, 1, 0],
      ['OLD-PARTNER', 0, 0, 1],
    ]);
    expect(Date.parse(all[0]!.activeUntil!)).toBeGreaterThan(Date.now());
    expect((await partners({ search: 'SIDE' }, auditor)).map((p) => p.orgId)).toEqual(['lakeside.hosp']);
    expect(audit.get()).toBe(before);
  });

  it('takes the search as text: pattern characters match nothing, an over-long search is refused naming the field', async () => {
    for (const text of ['%', '_', '.*', "' OR 1=1 --", '"']) expect(await partners({ search: text })).toEqual([]);
    await expect(partners({ search: 'x'.repeat(65) })).rejects.toMatchObject({ code: 'VALIDATION_FAILED', message: expect.stringContaining('search') });
    await expect(partners({ search: 'north', extra: 1 })).rejects.toMatchObject({ code: 'VALIDATION_FAILED' });
  });
});
