// consents.proof through the real services (embedded devnet, dispatcher): a consent granted in the console and synced
// yields a bundle that checks on chain; the call is audited as a read of the patient's consent; a change still queued
// is CONSENT_NOT_ON_CHAIN; nobody signed out gets anything.
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ConsentDetail, ConsentProofBundle } from '../api/consents';
import type { Principal } from '../api/permissions';
import type { SyncNowResult } from '../api/sync';
import { createProvider } from '../chain/provider';
import { memorySession } from '../runtime/dispatcher';
import { silentLogger } from '../runtime/log';
import { startServices, type Services } from '../compose/services';
import { loadOrCreateFacilitySecret } from './pseudonym';
import { checkConsentProof } from './proof';
import { consentCheckProofCommand, consentProofCommand } from './proof-cli';
import { tempDir } from './test-support';

const manager: Principal = { id: 'manager', name: 'Records manager', role: 'records_manager' };
const auditor: Principal = { id: 'auditor', name: 'Auditor', role: 'auditor' };
let services: Services;
let dir: string;

beforeAll(async () => {
  dir = tempDir('custodian-consent-proof-');
  services = await startServices({ dataDir: dir, runtime: 'cli', logger: silentLogger, waitForChain: true, sync: 'manual', config: { chain: { mode: 'embedded' } } });
});
afterAll(async () => {
  await services?.stop();
});

async function ok<T>(channel: string, input: unknown, as: Principal = manager): Promise<T> {
  const r = await services.call(channel, input, as);
  if (!r.ok) throw new Error(`${channel}: ${r.error.code} ${r.error.message}`);
  return r.value as T;
}

describe('consents.proof', () => {
  it('exports a bundle of a synced consent that checks on chain, audited as a read of the patient', async () => {
    const form = { facility: 'GH01', mrn: 'MRN-PROOF-1', patientName: 'Proof Patient', decision: 'permit', purpose: 'HRESCH', category: 'genetic', grantee: '1234567893', periodStart: '2025-01-01', periodEnd: '2027-01-01' };
    const granted = await ok<ConsentDetail>('consents.grant', form);
    const queued = await services.call('consents.proof', { id: granted.id }, auditor);
    expect(queued).toMatchObject({ ok: false, error: { code: 'CONSENT_NOT_ON_CHAIN' } });
    let r = await ok<SyncNowResult>('sync.now', {});
    while (r.outcome === 'worked') r = await ok<SyncNowResult>('sync.now', {});

    const bundle = await ok<ConsentProofBundle>('consents.proof', { id: granted.id }, auditor);
    expect(bundle.terms).toMatchObject({ purpose: 'HRESCH', category: 'genetic', grantee: '1234567893', decision: 'permit', revoked: false });
    const text = JSON.stringify(bundle);
    expect(text).not.toContain('MRN-PROOF-1');
    expect(text).not.toContain('Proof Patient');
    expect(text).not.toContain(loadOrCreateFacilitySecret(dir).toString('hex'));

    const entry = services.db.prepare(`SELECT * FROM audit_log WHERE action = 'consents.proof' AND outcome = 'success' ORDER BY id DESC LIMIT 1`).get() as { patient_id: number; actor_id: string; subject: string; details: string };
    expect(entry).toMatchObject({ patient_id: granted.patient.id, actor_id: auditor.id, subject: `consent:${granted.id}` });
    expect(JSON.parse(entry.details)).toMatchObject({ patientIds: [granted.patient.id], proof: bundle.chain.txHash });

    const provider = createProvider(services.chain.connection!.endpoint.rpcUrl, bundle.chain.chainId);
    try {
      await expect(checkConsentProof(bundle, provider, { ledger: services.chain.connection!.endpoint.contracts.ConsentLedger! })).resolves.toMatchObject({ current: true, stateAtBlock: { decision: 'permit' } });
    } finally {
      provider.destroy();
    }
  });

  it('the CLI commands: `consent proof ID --out FILE` through the dispatcher, then `consent check-proof FILE --rpc URL`', async () => {
    const id = services.db.prepare(`SELECT max(id) FROM consents`).pluck().get() as number;
    const file = path.join(dir, 'consent-proof.json');
    const out: string[] = [];
    const io = { out: (t: string) => out.push(t), err: (t: string) => out.push(t) };
    expect(await consentProofCommand(services, { transport: 'cli', principal: auditor }, String(id), { out: file }, io)).toBe(0);
    expect((fs.statSync(file).mode & 0o777).toString(8)).toBe('600');
    // Never overwrites a file.
    await expect(consentProofCommand(services, { transport: 'cli', principal: auditor }, String(id), { out: file }, io)).rejects.toThrow(/EEXIST/);
    const rpc = services.chain.connection!.endpoint.rpcUrl;
    const ledger = services.chain.connection!.endpoint.contracts.ConsentLedger!;
    expect(await consentCheckProofCommand(file, { rpc, ledger, json: false }, io)).toBe(0);
    expect(out.join('')).toContain(`Proof OK: consent ${id}`);
    await expect(consentCheckProofCommand(file, { rpc: undefined, json: false }, io)).rejects.toMatchObject({ code: 'VALIDATION_FAILED' });
    await expect(consentCheckProofCommand(path.join(dir, 'missing.json'), { rpc, json: false }, io)).rejects.toMatchObject({ code: 'CONSENT_PROOF_INVALID' });
  });

  it('attacker: a database row edited after the change landed gets no proof of terms the chain does not hold', async () => {
    const id = services.db.prepare(`SELECT max(id) FROM consents`).pluck().get() as number;
    const end = services.db.prepare(`SELECT period_end FROM consents WHERE id = ?`).pluck().get(id) as number;
    const edit = services.db.prepare(`UPDATE consents SET period_end = ? WHERE id = ?`);
    // The schema refuses the edit (terms are fixed once written: outbox events are rebuilt from them)...
    expect(() => edit.run(end + 86_400 * 365, id)).toThrow(/OUTBOX_SOURCE_IMMUTABLE/);
    // ...but whoever holds the database file can drop that trigger first: the proof must still refuse.
    const trigger = services.db.prepare(`SELECT sql FROM sqlite_schema WHERE type = 'trigger' AND name = 'consents_terms_fixed'`).pluck().get() as string;
    services.db.exec('DROP TRIGGER consents_terms_fixed');
    edit.run(end + 86_400 * 365, id);
    try {
      expect(await services.call('consents.proof', { id }, auditor)).toMatchObject({ ok: false, error: { code: 'CONSENT_CHAIN_MISMATCH', details: { fields: ['validUntil'] } } });
    } finally {
      edit.run(end, id);
      services.db.exec(trigger);
    }
  });

  it('refuses callers who are not signed in, and a consent that does not exist', async () => {
    expect(await services.call('consents.proof', { id: 1 }, { session: memorySession() })).toMatchObject({ ok: false, error: { code: 'NOT_AUTHENTICATED' } });
    expect(await services.call('consents.proof', { id: 99_999 }, auditor)).toMatchObject({ ok: false, error: { code: 'NOT_FOUND' } });
  });
});
