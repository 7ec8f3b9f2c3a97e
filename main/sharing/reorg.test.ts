// A reorg on a real anvil takes the partner's signature away after A had pulled it: A's agreement goes back from
// active to proposed (partner signature gone), and the release rule says AGREEMENT_NOT_SIGNED again.
import crypto from 'node:crypto';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Db } from '../db/connection';
import { openTestDb, startTestChain, tempDir, testEngine, type TestChain } from '../sync/fixtures/chain';
import type { SyncEngine } from '../sync/engine';
import { AgreementService } from './agreements';
import { ensureIdentity, loadOrCreateOrgWallet, setOrgId } from './identity';
import { decideRelease } from '../access/agreement-rule';
import { openTerms } from './sealed-terms';
import { SqlSharingSink } from './sink';
import { agreementById, agreementFacts } from './store';

let chain: TestChain;
const orgs: { db: Db; engine: SyncEngine; service: AgreementService; address: string }[] = [];
const actor = { id: 'u', name: 'U', role: 'records_manager' };

function org(name: string, orgId: string) {
  const dir = tempDir(`sharing-reorg-${name}`);
  const db = openTestDb(path.join(dir, 'custodian.sqlite'));
  const wallet = loadOrCreateOrgWallet(dir);
  ensureIdentity(db, wallet);
  setOrgId(db, orgId);
  const sink = new SqlSharingSink(db, (sealed, id) => openTerms(sealed, id, wallet.privateKey));
  const engine = testEngine(db, chain, { sink: { consentChanged() {}, sharingEvent: (e) => sink.sharingEvent(e), sharingRolledBack: (ids) => sink.sharingRolledBack(ids) } });
  const o = { db, engine, service: new AgreementService({ db, wallet, chain: () => ({ chainId: chain.chainId, contract: chain.contracts.SharingAgreements! }) }), address: wallet.address, publicKey: wallet.signingKey.compressedPublicKey };
  orgs.push(o);
  return o;
}

beforeAll(async () => {
  chain = await startTestChain();
});
afterAll(async () => {
  for (const o of orgs) {
    await o.engine.stop();
    o.db.close();
  }
  await chain?.stop();
});

describe('sharing after a reorg', () => {
  it('rebuilds the agreement from the events that remain on the canonical chain', async () => {
    const a = org('a', 'GENHOSP');
    const b = org('b', 'STMARY');
    const day = (o: number) => new Date(Date.now() + o * 86_400_000).toISOString().slice(0, 10);
    const row = await a.service.propose(
      { partnerOrgId: 'STMARY', partnerPublicKey: b.publicKey, direction: 'outbound', categories: ['general'], purposes: ['TREAT'], validFrom: day(-1), validUntil: day(30), documentHash: crypto.randomBytes(32).toString('hex') },
      actor,
    );
    await a.engine.runUntilDrained(60_000);
    await b.engine.runUntilDrained(60_000);
    await a.engine.syncNow();
    const snapshot = (await chain.provider.send('evm_snapshot', [])) as string;

    await b.service.sign(row.id, actor);
    await b.engine.runUntilDrained(60_000);
    await a.engine.syncNow();
    expect(agreementById(a.db, row.id)).toMatchObject({ status: 'active' });

    // The blocks holding B's signature are replaced by others.
    await chain.provider.send('evm_revert', [snapshot]);
    for (let i = 0; i < 3; i++) await chain.provider.send('evm_mine', []);
    const report = await a.engine.syncNow();
    expect(report.pull?.rolledBackTo).not.toBeNull();
    const after = agreementById(a.db, row.id)!;
    expect(after).toMatchObject({ status: 'proposed', partner_signature: null, chain_state: 'on-chain' });
    const decision = decideRelease(
      { partnerOrgId: 'STMARY', category: 'general', purpose: 'TREAT', at: Math.floor(Date.now() / 1000) },
      { agreements: [agreementFacts(after)], consent: { decision: 'permit', breakGlass: false, reason: 'ok' }, credential: null },
    );
    expect(decision.reasons.map((r) => r.code)).toEqual(['AGREEMENT_NOT_SIGNED']);
    expect(a.db.prepare(`SELECT count(*) FROM audit_log WHERE action = 'sharing.agreement.reorg'`).pluck().get()).toBe(1);
  });
});
