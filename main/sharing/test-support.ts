// Shared by the tests that run two organisations' sharing against one chain: a data folder with the test facility
// secret, its organisation key and identity, the sink that opens terms sealed to that key, and the agreement service.
import path from 'node:path';
import { seedSecret } from '../consents/test-support';
import type { Db } from '../db/connection';
import { openTestDb, tempDir, type TestEngineOptions } from '../sync/fixtures/chain';
import { AgreementService, type SharingChain } from './agreements';
import { ensureIdentity, loadOrCreateOrgWallet, setOrgId } from './identity';
import { openTerms } from './sealed-terms';
import { SqlSharingSink } from './sink';

export interface SharingOrg {
  dir: string;
  db: Db;
  service: AgreementService;
  sink: SqlSharingSink;
  /** Options for testEngine: pulled sharing events go to this organisation's sink. */
  syncOptions: TestEngineOptions;
  address: string;
  publicKey: string;
}

/** An organisation in a new folder named from `prefix`, with `orgId`, signing agreements for `chainOf()`. */
export function sharingOrg(prefix: string, orgId: string, chainOf: () => SharingChain): SharingOrg {
  const dir = tempDir(prefix);
  seedSecret(dir);
  const db = openTestDb(path.join(dir, 'custodian.sqlite'));
  const wallet = loadOrCreateOrgWallet(dir);
  ensureIdentity(db, wallet);
  setOrgId(db, orgId);
  const sink = new SqlSharingSink(db, (sealed, id) => openTerms(sealed, id, wallet.privateKey));
  return {
    dir,
    db,
    service: new AgreementService({ db, wallet, chain: chainOf }),
    sink,
    syncOptions: { sink: { consentChanged() {}, sharingEvent: (e) => sink.sharingEvent(e) } },
    address: wallet.address,
    publicKey: wallet.signingKey.compressedPublicKey,
  };
}
