// The re-check schedule: starts a verifyAll job only when credentials are due (never checked, or checked longer
// ago than the configured interval) and none is already running; the job's params say offline when it is.
import fs from 'node:fs';
import { Wallet } from 'ethers';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { JobSummary } from '../api/system';
import type { Db } from '../db/connection';
import { createAuditSink } from '../audit/api-sink';
import { createDispatcher, type ApiHandlers } from '../runtime/dispatcher';
import { silentLogger } from '../runtime/log';
import { createCredentialHandlers } from './handlers';
import { credentialDomain } from './eip712';
import { startCredentialRechecks, verifyAllJobParams } from './scheduler';
import { rememberRegistry, SETTING_KEYS, writeSetting } from './settings';
import { saveFinding } from './store';
import { openTestDb, signTestCredential, storeCredential, tempDir } from './test-support';

let dir: string;
let db: Db;
const domain = credentialDomain(31337, '0x5FbDB2315678afecb367f032d93F642f64180aa3');
const offline = { connection: null, current: { state: 'offline', reason: 'ECONNREFUSED' } };
const connected = { connection: { endpoint: { rpcUrl: 'http://127.0.0.1:8545', chainId: 31337, contracts: { CredentialRegistry: domain.verifyingContract } } }, current: { state: 'connected' } };

beforeAll(() => {
  dir = tempDir();
  db = openTestDb(dir);
});
afterAll(() => {
  db.close();
  fs.rmSync(dir, { recursive: true, force: true });
});

const noUploads = (): never => {
  throw new Error('no uploads in this test');
};

describe('startCredentialRechecks', () => {
  it('starts a scheduled job when credentials are due, and not while one runs or none is due', async () => {
    const started: { kind: string; params: unknown }[] = [];
    const jobs = {
      start(kind: string, params: unknown): JobSummary {
        started.push({ kind, params });
        const id = `00000000-0000-4000-8000-${String(started.length).padStart(12, '0')}`;
        db.prepare(`INSERT INTO jobs (id, kind, state, params) VALUES (?, ?, 'running', '{}')`).run(id, kind);
        return { id, kind, state: 'running', done: 0, total: null, startedAt: null, finishedAt: null, error: null };
      },
    };
    const now = new Date('2026-06-15T12:00:00Z');
    const schedule = startCredentialRechecks({ db, jobs, chain: connected, log: silentLogger, now: () => now, firstTickMs: 1e9 });
    try {
      expect(schedule.tick()).toBeNull(); // nothing stored yet

      const id = storeCredential(db, await signTestCredential(Wallet.createRandom(), domain));
      const job = schedule.tick();
      expect(job?.kind).toBe('credentials.verifyAll');
      expect(started[0]!.params).toMatchObject({ trigger: 'schedule', actor: null, endpoint: { chainId: 31337, registry: domain.verifyingContract }, dueBefore: '2026-06-15T06:00:00.000Z' });
      expect(schedule.tick()).toBeNull(); // one is running

      db.prepare(`UPDATE jobs SET state = 'succeeded'`).run();
      saveFinding(db, id, { verdict: 'verified', reason: 'ok' }, { checkedAt: '2026-06-15T07:00:00.000Z', trigger: 'schedule', actor: null });
      expect(schedule.tick()).toBeNull(); // checked 5 h ago, interval 6 h

      writeSetting(db, SETTING_KEYS.recheckMinutes, '60');
      expect(schedule.tick()?.kind).toBe('credentials.verifyAll');
    } finally {
      schedule.stop();
    }
  });

  it('hands the worker the reason and the last known registry when the chain is offline', () => {
    rememberRegistry(db, domain);
    expect(verifyAllJobParams(db, offline, 'bulk', null, null)).toEqual({
      endpoint: null,
      offlineReason: 'chain offline: ECONNREFUSED',
      expected: { chainId: 31337, registry: domain.verifyingContract },
      dueBefore: null,
      trigger: 'bulk',
      actor: null,
    });
  });

  it('lets an IT admin change the interval, window and gate age through the API (audited), and no one else', async () => {
    const handlers = createCredentialHandlers({ db, chain: { ...offline, connection: null }, jobs: { start: () => { throw new Error('unused'); } }, incoming: noUploads }) as unknown as ApiHandlers;
    const dispatch = createDispatcher(handlers, silentLogger, { audit: createAuditSink(db) });
    const admin = { id: 'it-1', name: 'IT Admin', role: 'it_admin' as const };
    const manager = { id: 'rm-1', name: 'Manager', role: 'records_manager' as const };
    expect(await dispatch('credentials.settings', {}, { principal: manager, transport: 'browser' })).toEqual({ ok: true, value: { recheckMinutes: 60, expiringDays: 30, gateMaxAgeHours: 24 } });
    expect(await dispatch('credentials.configure', { expiringDays: 45 }, { principal: manager, transport: 'browser' })).toMatchObject({ ok: false, error: { code: 'PERMISSION_DENIED' } });
    expect(await dispatch('credentials.configure', { expiringDays: 0 }, { principal: admin, transport: 'browser' })).toMatchObject({ ok: false, error: { code: 'VALIDATION_FAILED' } });
    expect(await dispatch('credentials.configure', { expiringDays: 45, recheckMinutes: 120 }, { principal: admin, transport: 'browser' })).toEqual({ ok: true, value: { recheckMinutes: 120, expiringDays: 45, gateMaxAgeHours: 24 } });
    const entry = db.prepare(`SELECT actor_id, details FROM audit_log WHERE action = 'credentials.configure' AND outcome = 'success'`).get() as { actor_id: string; details: string };
    expect(entry.actor_id).toBe('it-1');
    expect(JSON.parse(entry.details)).toMatchObject({ expiringDays: 45, recheckMinutes: 120 });
  });
});
