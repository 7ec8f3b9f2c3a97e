// Credential statuses through the real engine and a real anvil, as an attacker would try them: a status signed by
// no issuer, one by an unregistered issuer (squatting a hash), a stale "active" after "revoked", and a replay. The
// batch lands; each bad item is skipped by the registry and reported by name on its outbox row and as a sync state.
// The replay of the very update the registry holds only announces it again (the repair of a torn node state's lost
// event, torn-repair.test.ts): no skip, and nothing changes on chain.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import path from 'node:path';
import { Contract, Wallet } from 'ethers';
import type { SyncState } from '../api/events';
import { loadArtifact } from '../chain/artifacts';
import { credentialPayload, enqueue, openTestDb, registerIssuer, startTestChain, tempDir, testEngine, type TestChain } from './fixtures/chain';

let chain: TestChain;
let dir: string;

beforeAll(async () => {
  chain = await startTestChain();
  dir = tempDir('credential-status');
});
afterAll(async () => {
  await chain?.stop();
});

describe('credential statuses through the engine', () => {
  it('applies the issuer-signed items, skips and reports the forged, squatting, stale and replayed ones', async () => {
    const db = openTestDb(path.join(dir, 'status.sqlite'));
    const board = Wallet.createRandom();
    const squatter = Wallet.createRandom(); // never registered
    await registerIssuer(chain, board.address);
    const revoke = credentialPayload(1, board, chain, 'revoked');
    const staleActive = credentialPayload(1, board, chain, 'active'); // signed after, but lands after "revoked"
    const good = credentialPayload(2, board, chain, 'active');
    const forged = JSON.stringify({ ...JSON.parse(credentialPayload(3, squatter, chain, 'revoked')), issuer: board.address });
    const squat = credentialPayload(4, squatter, chain, 'revoked');
    enqueue(db, 'credential.status', [revoke, good]);
    const states: SyncState[] = [];
    const engine = testEngine(db, chain, { emit: (s) => states.push(s) });
    await engine.runUntilDrained();
    enqueue(db, 'credential.status', [staleActive, forged, squat, revoke]);
    await engine.runUntilDrained();
    await engine.stop();

    const rows = db.prepare(`SELECT id, state, last_error FROM outbox ORDER BY id`).all() as { id: number; state: string; last_error: string | null }[];
    expect(rows.map((r) => r.state)).toEqual(Array(6).fill('confirmed'));
    expect(rows.map((r) => r.last_error?.match(/StatusUpdateSkipped\((\w+)\)/)?.[1] ?? null)).toEqual([null, null, 'AlreadyRevoked', 'BadSignature', 'IssuerNotRegistered', null]);
    const skipped = states.filter((s): s is Extract<SyncState, { state: 'failed' }> => s.state === 'failed' && s.reason === 'item-skipped');
    expect(skipped.map((s) => s.message.match(/outbox event (\d+)/)?.[1])).toEqual(rows.slice(2, 5).map((r) => String(r.id)));

    const registry = new Contract(chain.contracts.CredentialRegistry, loadArtifact('CredentialRegistry').abi, chain.provider);
    const status = async (json: string) => (await registry.getFunction('statusOf')(JSON.parse(json).credentialHash)).toArray();
    expect(await status(revoke)).toEqual([3n, 1_900_000_000n, board.address]);
    expect(await status(good)).toEqual([1n, 1_900_000_000n, board.address]);
    expect(await status(forged)).toEqual([0n, 0n, '0x0000000000000000000000000000000000000000']);
    expect(await status(squat)).toEqual([0n, 0n, '0x0000000000000000000000000000000000000000']);
    db.close();
  });
});
