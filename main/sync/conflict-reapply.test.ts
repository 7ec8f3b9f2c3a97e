// "Re-apply mine" on a real chain: two workstations (own databases and signers, one anvil). Workstation A's revoke
// loses to B's later grant; A's records manager re-applies it through sync.resolveConflict (the dispatcher, the
// consents write path); A's next sync wins by the rule and B pulls the revoke. An auditor who calls the same channel
// gets PERMISSION_DENIED and nothing is queued.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Contract } from 'ethers';
import { ANONYMOUS, type Principal } from '../api/permissions';
import type { ConsentConflictSummary, ResolveConflictResult } from '../api/sync';
import { loadArtifact } from '../chain/artifacts';
import { consentReapplier } from '../consents/handlers';
import type { Db } from '../db/connection';
import { createDispatcher, type ApiHandlers } from '../runtime/dispatcher';
import { silentLogger } from '../runtime/log';
import type { ChainRuntime } from '../runtime/chain-runtime';
import { ConsentConflicts } from '../consents/consent-conflicts';
import { SqlConsentSink } from '../consents/consent-sink';
import { orderText, unpackState } from '../consents/consent-state';
import { startTestChain, tempDir, testEngine, TEST_REGISTRY, TEST_SEALER, TEST_SECRET, workstationKey, type TestChain } from './fixtures/chain';
import { currentConsents, workstation as station, writeConsent as write } from './fixtures/workstation';
import { createSyncHandlers } from './handlers';
import path from 'node:path';
import { replaceFacilitySecret } from '../consents/pseudonym';
import { foldKeyLogs } from '../consents/ledger-state';

let chain: TestChain;
let dir: string;
beforeAll(async () => {
  chain = await startTestChain();
  dir = tempDir('sync-reapply');
});
afterAll(async () => {
  await chain?.stop();
});

const manager: Principal = { id: 'manager-a', name: 'Records manager', role: 'records_manager' };
const auditor: Principal = { id: 'auditor-a', name: 'Auditor', role: 'auditor' };
const clerk: Principal = { id: 'clerk-a', name: 'Clerk', role: 'records_clerk' };

/** The sync channels of one workstation behind the real dispatcher (permissions, zod, one transaction per call). */
function syncApi(db: Db, dataDir: string) {
  // The facility secret the consents write path reads (the same one the test sealer uses).
  replaceFacilitySecret(dataDir, TEST_SECRET);
  const handlers = createSyncHandlers({ db, engine: null, chain: { current: { state: 'disabled' } } as unknown as ChainRuntime, confirmations: 1, health: { current: { state: 'disabled', mode: 'embedded', since: null, queued: 0, reason: 'no chain in this test' } }, registry: TEST_REGISTRY, conflicts: new ConsentConflicts(db), reapplyConsentChange: consentReapplier({ db, dataDir }) });
  const dispatch = createDispatcher(handlers as unknown as ApiHandlers, silentLogger, { transaction: (fn) => db.transaction(fn).immediate() });
  return async <T>(channel: string, input: unknown, as: Principal = ANONYMOUS) => {
    const r = await dispatch(channel, input, { transport: 'cli', principal: as });
    return r.ok ? { ok: true as const, value: r.value as T } : { ok: false as const, code: r.error.code, message: r.error.message };
  };
}

const outboxCount = (db: Db) => db.prepare(`SELECT count(*) FROM outbox`).pluck().get() as number;

describe('re-apply mine', () => {
  it("makes a lost revoke win at the next sync on every workstation; an auditor cannot, and nothing is queued", async () => {
    const a = station(dir, 'ws-a', [0]);
    const b = station(dir, 'ws-b', [0]);
    const keyA = await workstationKey(chain);
    const keyB = await workstationKey(chain);
    const sa = new SqlConsentSink(a);
    const sb = new SqlConsentSink(b);
    const drain = async (db: Db, sink: SqlConsentSink, key: string) => {
      const e = testEngine(db, chain, { sink, signerKey: key });
      await e.runUntilDrained();
      await e.stop();
    };
    const base = { patient: 0, grantee: '1111111111', purpose: 'TREAT', category: 'general', decision: 'permit' } as const;
    write(a, 'a', { ...base, seq: 1, revoked: false });
    await drain(a, sa, keyA);
    await drain(b, sb, keyB);

    // Offline on both sides: A revokes (stamp 2); B, later, grants new terms (stamp 3) and lands first.
    write(a, 'a', { ...base, seq: 2, revoked: true });
    // B had pulled A's grant at 1: its change says so (prevHlc), so only A's revoke lost.
    write(b, 'b', { ...base, seq: 3, revoked: false, until: 1_900_000_000, prevSeq: 1 });
    await drain(b, sb, keyB);
    await drain(a, sa, keyA);
    const conflicts = new ConsentConflicts(a);
    const [lost] = conflicts.list({ open: true });
    expect(lost).toBeDefined();
    // A's table shows B's grant, and says so in the conflict.
    expect(currentConsents(a)[0]).toMatchObject({ status: 'active' });

    const callA = syncApi(a, path.join(dir, 'data-a'));
    const listed = await callA<ConsentConflictSummary[]>('sync.conflicts', { open: true }, manager);
    expect(listed.ok && listed.value[0]).toMatchObject({ id: lost!.id, mine: { revoked: true }, now: { status: 'active', decision: 'permit' }, consent: { grantee: '1111111111', purpose: 'TREAT' } });

    // The attacker: roles that may not decide consents call the channel directly. Refused by name, nothing queued.
    const queued = outboxCount(a);
    for (const who of [auditor, clerk]) {
      const denied = await callA('sync.resolveConflict', { id: lost!.id, resolution: 'reapplied' }, who);
      expect(denied.ok ? null : denied.code).toBe('PERMISSION_DENIED');
    }
    expect(outboxCount(a)).toBe(queued);
    expect(conflicts.openCount()).toBe(1);
    // An unknown conflict is a named error.
    const unknown = await callA('sync.resolveConflict', { id: 999_999, resolution: 'reapplied' }, manager);
    expect(unknown.ok ? null : unknown.code).toBe('NOT_FOUND');

    const done = await callA<ResolveConflictResult>('sync.resolveConflict', { id: lost!.id, resolution: 'reapplied' }, manager);
    expect(done.ok && done.value).toMatchObject({ resolved: true, resolution: 'reapplied' });
    expect(outboxCount(a)).toBe(queued + 1);
    // Idempotent: a second call changes nothing and queues nothing.
    const again = await callA<ResolveConflictResult>('sync.resolveConflict', { id: lost!.id, resolution: 'reapplied' }, manager);
    expect(again.ok && again.value).toEqual({ resolved: false, resolution: 'reapplied', consentId: null });
    expect(outboxCount(a)).toBe(queued + 1);
    expect(conflicts.byId(lost!.id)).toMatchObject({ resolution: 'reapplied', resolvedBy: manager.id });
    expect(currentConsents(a)[0]).toMatchObject({ status: 'revoked' });

    // A's next sync wins by the rule; B pulls it. Both tables and the chain say revoked, and nobody has a new conflict.
    await drain(a, sa, keyA);
    await drain(b, sb, keyB);
    await drain(a, sa, keyA);
    expect(currentConsents(a)).toEqual(currentConsents(b));
    expect(currentConsents(b)[0]).toMatchObject({ status: 'revoked', decision: 'permit' });
    expect(conflicts.openCount()).toBe(0);
    expect(new ConsentConflicts(b).list({ open: false })).toEqual([]);
    const ledger = new Contract(chain.contracts.ConsentLedger, loadArtifact('ConsentLedger').abi, chain.provider);
    const key = (a.prepare(`SELECT consent_key FROM sync_chain_consents`).pluck().all() as string[])[0]!;
    const onChain = (await foldKeyLogs(chain.provider, ledger.target as string, TEST_SEALER.facilityId, key)).state!;
    expect(onChain.revoked).toBe(true);
    expect(orderText(onChain).slice(0, 16)).toBe(currentConsents(a)[0]!.hlc);
    a.close();
    b.close();
  });
});
