// Channels of bulk consent changes: revoke a selection (chosen rows or every row matching the table's filter) after a
// preview that states what it will change, and undo it as new changes. Each needs consents.revoke, checked in main.
import { z } from 'zod';
import { channel } from './channel';
import { consentFilter } from './consents';

/** Above this many consents the confirmation must be typed (main checks it too). */
export const BULK_TYPED_CONFIRMATION_ABOVE = 50;
/** At most this many consents in one bulk revoke: a larger selection must be narrowed. */
export const BULK_REVOKE_MAX = 10_000;
/** A bulk revoke may be undone by its author for this many hours (across restarts); then only re-granted one by one. */
export const BULK_UNDO_WINDOW_HOURS = 24;

/** What a bulk revoke will change, as main counts it now. Patient identity is null for callers without patients.view. */
export interface BulkRevokePreview {
  /** Active consents the revoke will change. */
  consents: number;
  /** Selected consents it leaves alone (already revoked, superseded, or gone). */
  notActive: number;
  patients: { count: number; shown: { id: number; mrn: string | null; name: string | null; consents: number }[] };
  providers: { count: number; shown: { grantee: string; name: string | null; consents: number }[] };
  /** The exact text to type to confirm, when above BULK_TYPED_CONFIRMATION_ABOVE; else null. */
  typedConfirmation: string | null;
  /** Fingerprint of the exact consents previewed; the revoke is refused when the selection changed since. */
  fingerprint: string;
}

export interface BulkRevokeResult {
  bulkId: string;
  revoked: number;
  patients: number;
  providers: number;
}

export interface BulkRevokeStatus {
  bulkId: string;
  revoked: number;
  /** True once any of its revokes was batched for sending, sent or confirmed: undoing it can no longer be silent. */
  synced: boolean;
  undone: boolean;
  /** ISO time until which its author may undo it; null: no window. */
  undoUntil: string | null;
  /** The undo window has closed (undo is refused with BULK_UNDO_EXPIRED). */
  expired: boolean;
}

/** One of the caller's own bulk revokes still open to undo (not undone, window open): found again after a restart. */
export interface UndoableBulkRevoke {
  bulkId: string;
  createdAt: string;
  undoUntil: string | null;
  revoked: number;
  synced: boolean;
}

export interface BulkUndoResult {
  bulkId: string;
  regranted: number;
  /** Consents changed since the bulk revoke, left as they are. */
  skipped: { consentId: number; why: string }[];
  afterSync: boolean;
}

const bulkId = z.string().uuid();
export const bulkSelection = z.union([z.object({ ids: z.array(z.number().int().positive()).min(1).max(BULK_REVOKE_MAX) }).strict(), z.object({ filter: consentFilter }).strict()]);
export type BulkSelection = z.infer<typeof bulkSelection>;

export const consentsBulkChannels = {
  'consents.bulkRevokePreview': channel<BulkRevokePreview>()(z.object({ selection: bulkSelection }).strict(), 'consents.revoke'),
  'consents.bulkRevoke': channel<BulkRevokeResult>()(
    z
      .object({
        selection: bulkSelection,
        reason: z.string().trim().min(3).max(500),
        /** The preview's count and fingerprint: what the person confirmed. */
        expected: z.object({ consents: z.number().int().positive(), fingerprint: z.string().regex(/^[0-9a-f]{64}$/) }).strict(),
        typedConfirmation: z.string().trim().max(40).optional(),
      })
      .strict(),
    'consents.revoke',
  ),
  'consents.bulkRevokeStatus': channel<BulkRevokeStatus>()(z.object({ bulkId }).strict(), 'consents.revoke', { audited: false }),
  /** The caller's own bulk revokes still open to undo, newest first (at most 20); nobody else's. */
  'consents.bulkRevokesMine': channel<UndoableBulkRevoke[]>()(z.object({}).strict(), 'consents.revoke', { audited: false }),
  /** Re-grants exactly the consents a bulk revoke changed, as new changes; refused (BULK_REVOKE_SYNCED) once synced unless afterSync. */
  'consents.bulkUndo': channel<BulkUndoResult>()(z.object({ bulkId, afterSync: z.boolean().default(false) }).strict(), 'consents.revoke'),
};
