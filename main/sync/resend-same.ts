// Sends again, unchanged, the writes of a batch the chain holds without their events (SYNC_APPLIED_WITHOUT_LOG), for
// kinds whose contract announces a write it already holds again with its events (CredentialRegistry, ClaimsLedger,
// SharingAgreements): each goes through the one outbox writer under a fresh batch, audited by its domain. Used by
// those domains' plug-ins; the domain decides which writes the chain still holds as they were sent.
import type { Db } from '../db/connection';
import { enqueueOutbox, laterEventWithPayload } from './outbox';
import type { BatchEvent, OutboxKind, ResendOutcome } from './plugin';

export interface SameWrite<P> {
  event: BatchEvent;
  payload: P;
  /** Why it is (resend) or is not (a sentence) sent again: the chain holds it exactly, or something later won. */
  verdict: { resend: true } | { resend: false; why: string };
}

export interface ResendSameDeps {
  /** Audits one resend and moves the domain's link from the old outbox event to the new one (same transaction). */
  resent(db: Db, oldOutboxId: number, newOutboxId: number): void;
}

/**
 * Queues each write the chain holds exactly as sent again, once: a write already queued again (a later outbox event
 * of the same kind with the same payload) is not queued a second time, so running this twice resends nothing more.
 */
export function resendSame<P>(db: Db, kind: OutboxKind<P>, writes: readonly SameWrite<P>[], deps: ResendSameDeps): ResendOutcome {
  const resent: number[] = [];
  let already = 0;
  const kept: string[] = [];
  db.transaction(() => {
    for (const w of writes) {
      if (!w.verdict.resend) {
        kept.push(`outbox event ${w.event.id}: ${w.verdict.why}`);
        continue;
      }
      if (laterEventWithPayload(db, kind.kind, w.event.id, w.event.payload) !== null) {
        already++;
        continue;
      }
      const id = enqueueOutbox(db, kind, w.event.payload);
      deps.resent(db, w.event.id, id);
      resent.push(id);
    }
  })();
  const parts = [`${resent.length} ${kind.kind} write(s) the chain holds without an event sent again unchanged as outbox event(s) ${resent.join(', ') || 'none'}`];
  if (already) parts.push(`${already} already sent again`);
  if (kept.length) parts.push(`not sent again: ${kept.join('; ')}`);
  return { resent, note: parts.join('; ') };
}
