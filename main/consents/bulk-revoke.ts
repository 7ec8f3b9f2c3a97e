// Bulk revoke with a safety net: a preview that states how many consents of which patients and providers will change,
// a typed confirmation above a threshold, one audit entry per consent plus one for the action, and an undo (new changes
// re-granting exactly the revoked consents) for the staff member who did it, within the undo window. What a bulk revoke
// changed is kept in the database (bulk-revoke-records.ts), so the undo survives a restart of the console.
import crypto from 'node:crypto';
import type { HandlersFor } from '../api/channel';
import {
  BULK_REVOKE_MAX,
  BULK_TYPED_CONFIRMATION_ABOVE,
  BULK_UNDO_WINDOW_HOURS,
  type BulkRevokePreview,
  type BulkSelection,
  type consentsBulkChannels,
} from '../api/consents-bulk';
import { AppError } from '../api/errors';
import type { Db } from '../db/connection';
import type { RequestContext } from '../runtime/dispatcher';
import { canSeeIdentity } from '../runtime/minimum-necessary';
import { outboxRangeUnsent } from '../sync/outbox';
import { bulkRevokeOf, insertBulkRevoke, markBulkUndone, undoableBulkRevokesOf, type BulkRevokeRecord } from './bulk-revoke-records';
import { providerDirectory } from './provider-directory';
import { loadOrCreateFacilitySecret, Pseudonymizer } from './pseudonym';
import { activeConsentsOf, type ConsentJoinedRow } from './queries';
import { ConsentStore } from './store';
import { ConsentWrites } from './writes';

/** How many patients and providers the preview names (the counts are always complete). */
const SHOWN = 20;

export interface BulkRevokeDeps {
  db: Db;
  dataDir: string;
  now?: () => Date;
}

export function typedConfirmationFor(consents: number): string | null {
  return consents > BULK_TYPED_CONFIRMATION_ABOVE ? `REVOKE ${consents}` : null;
}

/** Fingerprint of the exact consents (ids, ascending) a person confirmed. */
export function fingerprintOf(rows: readonly { id: number }[]): string {
  return crypto.createHash('sha256').update(rows.map((r) => r.id).join(',')).digest('hex');
}

function summarize(rows: readonly ConsentJoinedRow[], db: Db): Pick<BulkRevokePreview, 'patients' | 'providers'> {
  const patients = new Map<number, { id: number; mrn: string | null; name: string | null; consents: number }>();
  const providers = new Map<string, { grantee: string; name: string | null; consents: number }>();
  for (const r of rows) {
    const p = patients.get(r.patient_id) ?? { id: r.patient_id, mrn: r.mrn, name: r.patient_name, consents: 0 };
    p.consents += 1;
    patients.set(r.patient_id, p);
    const g = providers.get(r.grantee) ?? { grantee: r.grantee, name: r.grantee_kind === 'npi' ? providerDirectory().nameOf(db, r.grantee) : null, consents: 0 };
    g.consents += 1;
    providers.set(r.grantee, g);
  }
  const top = <T extends { consents: number }>(m: Map<unknown, T>) => [...m.values()].sort((a, b) => b.consents - a.consents).slice(0, SHOWN);
  return { patients: { count: patients.size, shown: top(patients) }, providers: { count: providers.size, shown: top(providers) } };
}

export function createBulkRevokeHandlers(deps: BulkRevokeDeps): HandlersFor<typeof consentsBulkChannels, RequestContext> {
  const { db } = deps;
  const clock = deps.now ?? (() => new Date());
  const nowSec = () => Math.floor(clock().getTime() / 1000);
  let writes: ConsentWrites | null = null;
  const writer = () => (writes ??= new ConsentWrites(db, new ConsentStore(db, new Pseudonymizer(loadOrCreateFacilitySecret(deps.dataDir)))));

  /** The selection's active consents; refuses an identity search to a caller without patients.view, and a selection too large. */
  const resolve = (selection: BulkSelection, ctx: RequestContext) => {
    if ('filter' in selection && selection.filter.search !== undefined && !canSeeIdentity(ctx.principal)) {
      throw new AppError('PERMISSION_DENIED', `Your role (${ctx.principal.role}) may not select consents by patient identity (search) without patients.view.`, { permission: 'patients.view' });
    }
    const found = activeConsentsOf(db, selection, nowSec(), BULK_REVOKE_MAX);
    if (found.rows.length > BULK_REVOKE_MAX) {
      throw new AppError('VALIDATION_FAILED', `The selection holds more than ${BULK_REVOKE_MAX.toLocaleString('en-US')} active consents; narrow it (one bulk revoke changes at most that many).`, {
        issues: [{ field: 'selection', message: `more than ${BULK_REVOKE_MAX} active consents` }],
      });
    }
    return found;
  };

  const mine = (bulkId: string, ctx: RequestContext): BulkRevokeRecord => {
    const record = bulkRevokeOf(db, bulkId, ctx.principal.id);
    // Another staff member's bulk action is as unknown as one that never was: undo is its author's alone.
    if (!record) throw new AppError('NOT_FOUND', `There is no bulk revoke ${bulkId} of yours.`);
    return record;
  };
  const synced = (r: Pick<BulkRevokeRecord, 'outboxFrom' | 'outboxTo'>) => !outboxRangeUnsent(db, r.outboxFrom, r.outboxTo);
  const expired = (r: Pick<BulkRevokeRecord, 'undoUntil'>) => r.undoUntil !== null && r.undoUntil <= clock().toISOString();

  const countOf = (id: string) => (db.prepare('SELECT count(*) AS n FROM bulk_revoke_consents WHERE bulk_id = ?').get(id) as { n: number }).n;

  return {
    'consents.bulkRevokePreview': ({ selection }, ctx) => {
      const { rows, notActive } = resolve(selection, ctx);
      const summary = summarize(rows, db);
      ctx.audit({ details: { consents: rows.length, patientIds: [...new Set(rows.map((r) => r.patient_id))].sort((a, b) => a - b) } });
      return { consents: rows.length, notActive, ...summary, typedConfirmation: typedConfirmationFor(rows.length), fingerprint: fingerprintOf(rows) };
    },

    'consents.bulkRevoke': ({ selection, reason, expected, typedConfirmation }, ctx) => {
      const { rows } = resolve(selection, ctx);
      if (rows.length === 0) throw new AppError('CONFLICT', 'None of the selected consents is active any more: nothing to revoke.', { consents: 0 });
      if (rows.length !== expected.consents || fingerprintOf(rows) !== expected.fingerprint) {
        throw new AppError('CONFLICT', `The selection changed since it was reviewed: it now holds ${rows.length} active consents, not ${expected.consents}. Review it again.`, { consents: rows.length });
      }
      const typed = typedConfirmationFor(rows.length);
      if (typed !== null && typedConfirmation !== typed) {
        throw new AppError('VALIDATION_FAILED', `Revoking ${rows.length} consents needs the typed confirmation "${typed}".`, { issues: [{ field: 'typedConfirmation', message: `type ${typed} to confirm` }] });
      }
      const result = writer().revokeMany(
        rows.map((r) => r.id),
        reason,
        ctx.principal.id,
      );
      // The whole selection was active a moment ago, in this same transaction: a skip means a bug, not a race.
      if (result.skipped.length) throw new AppError('CONFLICT', `${result.skipped.length} of the selected consents changed while revoking; nothing was revoked.`);
      const bulkId = crypto.randomUUID();
      const at = clock();
      // In the revoke's transaction (the dispatcher's): the record exists exactly when the revokes do.
      insertBulkRevoke(
        db,
        { id: bulkId, actorId: ctx.principal.id, reason, outboxFrom: result.outboxFrom, outboxTo: result.outboxTo, createdAt: at.toISOString(), undoUntil: new Date(at.getTime() + BULK_UNDO_WINDOW_HOURS * 3_600_000).toISOString() },
        result.revoked.map((r) => ({ consentId: r.id, status: 'active' as const, seq: r.seq, hlc: r.hlc })),
      );
      for (const r of result.revoked) ctx.auditEach('consents.revoke', { patientId: r.patient_id, subject: `consent:${r.id}`, details: { bulk: bulkId } });
      const patientIds = [...new Set(result.revoked.map((r) => r.patient_id))].sort((a, b) => a - b);
      const providers = new Set(result.revoked.map((r) => r.grantee)).size;
      ctx.audit({ subject: `bulk:${bulkId}`, details: { consents: result.revoked.length, patientIds, providers } });
      return { bulkId, revoked: result.revoked.length, patients: patientIds.length, providers };
    },

    'consents.bulkRevokeStatus': ({ bulkId }, ctx) => {
      const r = mine(bulkId, ctx);
      return { bulkId, revoked: r.consentIds.length, synced: synced(r), undone: r.undoneAt !== null, undoUntil: r.undoUntil, expired: expired(r) };
    },

    'consents.bulkRevokesMine': (_input, ctx) =>
      undoableBulkRevokesOf(db, ctx.principal.id, clock().toISOString(), 20).map((r) => ({ bulkId: r.id, createdAt: r.createdAt, undoUntil: r.undoUntil, synced: synced(r), revoked: countOf(r.id) })),

    'consents.bulkUndo': ({ bulkId, afterSync }, ctx) => {
      const r = mine(bulkId, ctx);
      if (r.undoneAt !== null) throw new AppError('CONFLICT', `Bulk revoke ${bulkId} was already undone.`);
      if (expired(r)) {
        throw new AppError('BULK_UNDO_EXPIRED', `Bulk revoke ${bulkId} can no longer be undone (its ${BULK_UNDO_WINDOW_HOURS}-hour window closed); re-grant its consents one by one if needed.`, {
          undoUntil: r.undoUntil,
        });
      }
      const left = synced(r);
      if (left && !afterSync) {
        throw new AppError(
          'BULK_REVOKE_SYNCED',
          `These ${r.consentIds.length} revokes have already left this workstation for the chain, so undoing them cannot be silent: other workstations will see each revoke and then its re-grant. Re-grant them as new consents if that is what you want.`,
          { revoked: r.consentIds.length },
        );
      }
      // Claimed first, in the undo's transaction: a second undo (or one racing this) finds it taken and changes nothing.
      if (!markBulkUndone(db, bulkId, ctx.principal.id, clock().toISOString())) throw new AppError('CONFLICT', `Bulk revoke ${bulkId} was already undone.`);
      const result = writer().regrantRevoked(r.consentIds, r.reason, ctx.principal.id);
      for (const g of result.regranted) ctx.auditEach('consents.grant', { patientId: g.patientId, subject: `consent:${g.to}`, details: { bulkUndo: bulkId, regrants: g.from } });
      ctx.audit({
        subject: `bulk:${bulkId}`,
        details: { regranted: result.regranted.length, skipped: result.skipped.length, afterSync: left, patientIds: [...new Set(result.regranted.map((g) => g.patientId))].sort((a, b) => a - b) },
      });
      return { bulkId, regranted: result.regranted.length, skipped: result.skipped, afterSync: left };
    },
  };
}
