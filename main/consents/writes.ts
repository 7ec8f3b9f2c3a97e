// Consent changes made by staff: grant, revoke with a reason, supersede. Each is one transaction holding the
// row, its history and exactly one outbox event per ledger key it changes.
import { AppError } from '../api/errors';
import { systemAudit } from '../audit/system-audit';
import type { Db } from '../db/connection';
import { documentHashOf, termFieldsOf, termsOf } from './canonical';
import type { ConsentChangePayload } from './outbox-events';
import { Pseudonymizer } from './pseudonym';
import type { ConsentDraft } from './draft';
import { outboxHighWater } from '../sync/outbox';
import { ConsentStore, nextSeq, rowAsConsent, type ConsentRow, type NewConsent, type PatientRef } from './store';
import { ConsentConflicts } from './consent-conflicts';

export interface Origin {
  runId: number | null;
  rowNumber: number | null;
  source: string;
}

/** The document hash of a draft that came without one: its terms under the patient's pseudonym (RFC 8785). */
export function draftDocumentHash(d: ConsentDraft, pseudonym: string): string {
  return documentHashOf(termsOf(d, pseudonym));
}

/** The row a draft becomes for a resolved patient; the document hash is computed when the source gave none. */
export function toNewConsent(d: ConsentDraft, patient: PatientRef, origin: Origin): NewConsent {
  const documentHash = d.documentHash ?? draftDocumentHash(d, patient.pseudonym);
  return {
    externalId: d.externalId,
    patientId: patient.id,
    pseudonym: patient.pseudonym,
    ...termFieldsOf(d),
    status: d.status,
    revokedReason: d.status === 'active' ? null : (d.revokedReason ?? 'not in force in the imported source'),
    documentHash,
    source: origin.source,
    importRunId: origin.runId,
    sourceRow: origin.rowNumber,
  };
}

export class ConsentWrites {
  constructor(
    private readonly db: Db,
    private readonly store: ConsentStore,
  ) {}

  private atomically<T>(fn: () => T): T {
    try {
      return this.db.transaction(fn).immediate();
    } catch (err) {
      this.store.discardCache();
      throw err;
    }
  }

  private pseudonymOf(patientId: number): string {
    return (this.db.prepare('SELECT pseudonym FROM patients WHERE id = ?').get(patientId) as { pseudonym: string }).pseudonym;
  }

  private activeRow(id: number): ConsentRow {
    const row = this.store.byId(id);
    if (!row) throw new AppError('NOT_FOUND', `There is no consent ${id}.`);
    if (row.status !== 'active') throw new AppError('CONFLICT', `Consent ${id} is ${row.status}; only an active consent can be changed.`, { status: row.status });
    return row;
  }

  private patientFor(d: ConsentDraft, now: string): PatientRef {
    const found = this.store.findPatient(d.facility, d.mrn);
    if (found && d.birthDate !== null && found.birthDate !== null && found.birthDate !== d.birthDate) {
      throw new AppError('VALIDATION_FAILED', 'birth_date differs from the date of birth on file for this facility and MRN.', { issues: [{ field: 'birthDate', message: 'differs from the one on file' }] });
    }
    if (found) {
      this.store.fillPatient(found, d.patientName, d.birthDate);
      return found;
    }
    return this.store.createPatient(d.facility, d.mrn, d.patientName, d.birthDate, now);
  }

  grant(d: ConsentDraft, actor: string): number {
    return this.atomically(() => {
      const write = { now: new Date().toISOString(), actor };
      if (d.externalId !== null && this.store.byExternalId(d.externalId)) {
        throw new AppError('CONFLICT', `A consent with external id ${d.externalId} is already on file; supersede it instead.`);
      }
      const patient = this.patientFor(d, write.now);
      const c = toNewConsent(d, patient, { runId: null, rowNumber: null, source: `staff:${actor}` });
      const rows = this.store.keyRows(patient.id, c.grantee, c.purpose, c.category);
      const same = rows.find(
        (r) => r.status === 'active' && r.decision === c.decision && r.period_start === c.periodStart && r.period_end === c.periodEnd && r.document_hash === c.documentHash,
      );
      if (same) throw new AppError('CONFLICT', `The same consent is already on file (consent ${same.id}).`, { consentId: same.id });
      return this.store.insert(c, nextSeq(rows), write, { by: actor });
    });
  }

  revoke(id: number, reason: string, actor: string): void {
    this.atomically(() => {
      const row = this.activeRow(id);
      const rows = this.store.keyRows(row.patient_id, row.grantee, row.purpose, row.category);
      this.store.revoke(row, this.pseudonymOf(row.patient_id), reason, nextSeq(rows), { now: new Date().toISOString(), actor });
    });
  }

  /** Replaces an active consent of the same patient by new terms; the old row keeps its history. */
  supersede(id: number, d: ConsentDraft, actor: string): number {
    return this.atomically(() => {
      const write = { now: new Date().toISOString(), actor };
      const old = this.activeRow(id);
      const patient = this.patientFor(d, write.now);
      if (patient.id !== old.patient_id) throw new AppError('VALIDATION_FAILED', `Consent ${id} belongs to another patient; a consent can only be superseded for the same patient.`);
      const c = toNewConsent({ ...d, externalId: d.externalId ?? old.external_id }, patient, { runId: null, rowNumber: null, source: `staff:${actor}` });
      const rows = this.store.keyRows(patient.id, c.grantee, c.purpose, c.category);
      const sameKey = old.grantee === c.grantee && old.purpose === c.purpose && old.category === c.category;
      const seqOld = sameKey ? null : nextSeq(this.store.keyRows(old.patient_id, old.grantee, old.purpose, old.category));
      return this.store.supersede(old, patient.pseudonym, c, nextSeq(rows), seqOld, write);
    });
  }

  /**
   * Revokes each of `ids` that is still active, in one transaction; the others are returned as skipped. The outbox
   * ids of the revokes are [outboxFrom, outboxTo] (nothing else writes the outbox inside this write transaction).
   */
  revokeMany(ids: readonly number[], reason: string, actor: string): { revoked: ConsentRow[]; skipped: number[]; outboxFrom: number; outboxTo: number } {
    return this.atomically(() => {
      const write = { now: new Date().toISOString(), actor };
      const outboxFrom = outboxHighWater(this.db) + 1;
      const revoked: ConsentRow[] = [];
      const skipped: number[] = [];
      for (const id of ids) {
        const row = this.store.byId(id);
        if (!row || row.status !== 'active') {
          skipped.push(id);
          continue;
        }
        const rows = this.store.keyRows(row.patient_id, row.grantee, row.purpose, row.category);
        this.store.revoke(row, this.pseudonymOf(row.patient_id), reason, nextSeq(rows), write);
        revoked.push(row);
      }
      return { revoked, skipped, outboxFrom, outboxTo: outboxHighWater(this.db) };
    });
  }

  /**
   * Undoes revokes as new changes: each consent whose key still stands as that revoke left it (the same row, revoked
   * with `reason`) is superseded by an active row with exactly its terms. A key changed since is left alone and named.
   */
  regrantRevoked(ids: readonly number[], reason: string, actor: string): { regranted: { from: number; to: number; patientId: number }[]; skipped: { consentId: number; why: string }[] } {
    return this.atomically(() => {
      const write = { now: new Date().toISOString(), actor };
      const regranted: { from: number; to: number; patientId: number }[] = [];
      const skipped: { consentId: number; why: string }[] = [];
      for (const id of ids) {
        const row = this.store.byId(id);
        if (!row) {
          skipped.push({ consentId: id, why: 'no longer on file' });
          continue;
        }
        const rows = this.store.keyRows(row.patient_id, row.grantee, row.purpose, row.category);
        const current = rows.filter((r) => r.status !== 'superseded').sort((x, y) => (x.hlc === y.hlc ? y.id - x.id : x.hlc < y.hlc ? 1 : -1))[0];
        if (row.status !== 'revoked' || row.revoked_reason !== reason || current?.id !== row.id) {
          skipped.push({ consentId: id, why: `changed since the bulk revoke (now ${row.status}${current && current.id !== row.id ? `; consent ${current.id} is current` : ''})` });
          continue;
        }
        const pseudonym = this.pseudonymOf(row.patient_id);
        const next: NewConsent = { ...rowAsConsent(row, pseudonym), status: 'active', revokedReason: null, source: `staff:${actor}`, importRunId: null, sourceRow: null };
        const to = this.store.supersede(row, pseudonym, next, nextSeq(rows), null, write);
        regranted.push({ from: id, to, patientId: row.patient_id });
      }
      return { regranted, skipped };
    });
  }

  /**
   * "Re-apply mine" for a change of this workstation that lost on the chain (main/sync/README.md, Conflicts): writes
   * the lost change's terms (`consentId` is the row it changed; `revoked` what it did) again as a new change of the
   * key, stamped above the winner (read by keyRows once pulled, or `winningHlc` from the chain's report), so it wins
   * by the rule now.
   * The key's current row is revoked in place when only the revocation differs, else superseded by the terms.
   */
  reapply(lost: { conflictId: number; consentId: number; revoked: boolean; winningHlc: string | null }, actor: string): number {
    return this.atomically(() => {
      const write = { now: new Date().toISOString(), actor };
      const mine = this.store.byId(lost.consentId);
      if (!mine) throw new AppError('NOT_FOUND', `There is no consent ${lost.consentId}.`);
      const rows = this.store.keyRows(mine.patient_id, mine.grantee, mine.purpose, mine.category);
      if (lost.winningHlc !== null) this.store.sawStamp({ patientId: mine.patient_id, grantee: mine.grantee, purpose: mine.purpose, category: mine.category }, lost.winningHlc);
      const current = rows.filter((r) => r.status !== 'superseded').sort((x, y) => (x.hlc === y.hlc ? y.id - x.id : x.hlc < y.hlc ? 1 : -1))[0];
      const pseudonym = this.pseudonymOf(mine.patient_id);
      const reason = `re-applied after sync conflict ${lost.conflictId}${mine.revoked_reason ? `: ${mine.revoked_reason}` : ''}`.slice(0, 500);
      const sameTerms = (r: ConsentRow) => r.decision === mine.decision && r.period_start === mine.period_start && r.period_end === mine.period_end && r.document_hash === mine.document_hash;
      if (lost.revoked && current?.status === 'active' && sameTerms(current)) {
        this.store.revoke(current, pseudonym, reason, nextSeq(rows), write);
        return current.id;
      }
      const next: NewConsent = {
        ...rowAsConsent(mine, pseudonym),
        externalId: current ? current.external_id : null,
        status: lost.revoked ? 'revoked' : 'active',
        revokedReason: lost.revoked ? reason : null,
        source: `staff:${actor}`,
        importRunId: null,
        sourceRow: null,
      };
      if (!current) return this.store.insert(next, nextSeq(rows), write, { by: actor, reapplies: lost.conflictId });
      return this.store.supersede(current, pseudonym, next, nextSeq(rows), null, write);
    });
  }

  /**
   * Sends again, unchanged and with events, the changes of a batch the chain holds without its log (sync
   * SYNC_APPLIED_WITHOUT_LOG; ConsentStore.resendUnchanged), each with its outbox event and audited (`consent.resend`,
   * naming the batch and both outbox events), all in one transaction. Running it twice resends nothing more.
   */
  resendTorn(torn: readonly TornChange[], batchId: string): ResentChange[] {
    return this.atomically(() => {
      const now = new Date().toISOString();
      const out: ResentChange[] = [];
      for (const t of torn) {
        const done = this.store.resendUnchanged(t.outboxId, t.text, t.payload, now);
        if (!done) continue;
        systemAudit(this.db, {
          action: 'consent.resend',
          patientId: done.patientId,
          subject: `consent:${t.payload.consentId}`,
          details: { reason: 'SYNC_APPLIED_WITHOUT_LOG', batchId, outboxId: t.outboxId, hlc: t.payload.hlc, resentAs: done.outboxId, newHlc: done.hlc },
        });
        new ConsentConflicts(this.db).follow(t.outboxId, done.outboxId);
        out.push({ outboxId: done.outboxId, consentId: t.payload.consentId, replaces: t.outboxId });
      }
      return out;
    });
  }
}

/** A change of ours whose batch the chain holds with no event: its outbox event, payload text and payload. */
export interface TornChange {
  outboxId: number;
  /** The event's payload text, sent again byte for byte. */
  text: string;
  payload: ConsentChangePayload;
}

export interface ResentChange {
  /** The new outbox event carrying the change again. */
  outboxId: number;
  consentId: number;
  /** The outbox event whose change it resends. */
  replaces: number;
}

export type ConsentResender = (db: Db, torn: readonly TornChange[], batchId: string) => ResentChange[];

/**
 * The consents write path for the sync plug-in's resend (composition root: compose/sync-plugins.ts); the facility
 * secret is read on first use, as for the other writes.
 */
export function consentResender(secret: () => Buffer): ConsentResender {
  const writes = new WeakMap<Db, ConsentWrites>();
  return (db, torn, batchId) => {
    let w = writes.get(db);
    if (!w) writes.set(db, (w = new ConsentWrites(db, new ConsentStore(db, new Pseudonymizer(secret())))));
    return w.resendTorn(torn, batchId);
  };
}
