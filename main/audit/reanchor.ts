// The repair of an audit head whose anchor left a torn node state (sync SYNC_APPLIED_WITHOUT_LOG): AuditAnchor holds
// the head in our trail's storage, but no HeadAnchored event of it is in any block, so no workstation mirrors it and
// the contract refuses the same head again. A head covers every entry before it, so a LATER head anchored with its
// event carries the torn one on: the repair is audited (`audit.reanchor`, which also grows the log) and a new head is
// sealed and queued through the one outbox writer. Called by the audit.root sync plug-in (sync-plugin.ts).
import type { Db } from '../db/connection';
import { outboxHighWater } from '../sync/outbox';
import type { SignedTreeHead } from './heads';
import { recordAudit } from './trail';

/** Seals (signs and queues for the chain) a head over the whole log now; null when it could not (no key, nothing new). */
export type HeadSealNow = (db: Db) => Promise<SignedTreeHead | null>;

export interface TornHead {
  treeSize: number;
  rootHash: string;
}

export interface ReanchorOutcome {
  /** Outbox ids of the heads queued by this repair (none when a later head already carries the torn one on). */
  resent: number[];
  note: string;
}

/**
 * Carries a torn head on by a later one. Idempotent: a later head already in the log's heads (queued when it was
 * sealed) carries it on, and a repair already recorded for this batch is not recorded twice.
 */
export async function reanchorTornHead(db: Db, torn: TornHead, batchId: string, sealNow: HeadSealNow | null): Promise<ReanchorOutcome> {
  const later = laterHead(db, torn.treeSize);
  if (later !== null) return { resent: [], note: `the head of ${torn.treeSize} entries is carried on by the later head of ${later} entries (already queued); nothing sent again` };
  const already = db.prepare(`SELECT count(*) FROM audit_log WHERE action = 'audit.reanchor' AND json_extract(details, '$.batchId') = ?`).pluck().get(batchId) as number;
  if (!already) {
    recordAudit(db, {
      actor: null,
      action: 'audit.reanchor',
      outcome: 'success',
      subject: `audit-head:${torn.treeSize}`,
      details: { reason: 'SYNC_APPLIED_WITHOUT_LOG', batchId, treeSize: torn.treeSize, rootHash: torn.rootHash },
    });
  }
  if (!sealNow) return { resent: [], note: `the head of ${torn.treeSize} entries is re-anchored by the next head the head sealer signs (the repair is in the log, so the log grew)` };
  const before = outboxHighWater(db);
  const head = await sealNow(db);
  const after = outboxHighWater(db);
  if (!head) return { resent: [], note: `the head of ${torn.treeSize} entries is NOT re-anchored yet: no head could be signed now (the head sealer retries)` };
  const resent = after > before ? [after] : [];
  return { resent, note: `the head of ${torn.treeSize} entries is re-anchored by a new head of ${head.treeSize} entries (outbox event ${resent.join(', ') || 'none'})` };
}

function laterHead(db: Db, treeSize: number): number | null {
  return (db.prepare(`SELECT max(tree_size) FROM audit_heads WHERE tree_size > ?`).pluck().get(treeSize) as number | null) ?? null;
}
