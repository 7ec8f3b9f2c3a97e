// The synced kinds of this build: one line per domain's plug-in, handed to the sync engine as a typed registry.
// Adding a synced kind is a plug-in in its domain (schema, contract call, gas, reader) and one line here.
import type { HeadSealNow } from '../audit/reanchor';
import { auditRootSync } from '../audit/sync-plugin';
import { claimRecordSync, type ClaimChainSink } from '../claims/sync-plugin';
import type { ConsentChainSink } from '../consents/chain-reader';
import type { ConsentSealer } from '../consents/ledger-seal';
import { consentChangeSync } from '../consents/sync-plugin';
import type { ConsentResender } from '../consents/writes';
import { credentialStatusSync } from '../credentials/sync-plugin';
import { agreementSync, type SharingChainSink } from '../sharing/sync-plugin';
import { SyncRegistry } from '../sync/plugin';

export interface SyncPluginDeps {
  /** Seals and opens consent changes under the facility secret; null: consent changes cannot be sent or opened. */
  consentSealer: ConsentSealer | null;
  consentSink?: ConsentChainSink | null;
  /** The consents write path that re-stamps and resends changes the chain holds without their event (torn state). */
  consentResender?: ConsentResender | null;
  /** Signs and queues an audit head now: a torn anchor is carried on by a later head (audit/reanchor.ts). */
  sealAuditHead?: HeadSealNow | null;
  sharingSink?: SharingChainSink | null;
  claimSink?: ClaimChainSink | null;
}

export function syncRegistry(deps: SyncPluginDeps) {
  return new SyncRegistry([
    consentChangeSync({ sealer: deps.consentSealer, sink: deps.consentSink ?? null, resend: deps.consentResender ?? null }),
    credentialStatusSync(),
    auditRootSync({ sealHead: deps.sealAuditHead ?? null }),
    ...agreementSync({ sink: deps.sharingSink ?? null }),
    claimRecordSync({ sink: deps.claimSink ?? null }),
  ]);
}
