// Error values that cross the API boundary: a stable code the UI can act on, a message for people.
// Pure TypeScript so the renderer can import it; never carries stack traces or PHI.

export type ErrorCode =
  | 'VALIDATION_FAILED'
  | 'UNKNOWN_CHANNEL'
  | 'PERMISSION_DENIED'
  | 'NOT_AUTHENTICATED'
  | 'NOT_FOUND'
  | 'CONFLICT'
  | 'CHAIN_UNAVAILABLE'
  | 'CHAIN_ID_MISMATCH'
  /** An on-demand chain call (verify a credential, …) got no answer in time: the node is down or paused. */
  | 'CHAIN_TIMEOUT'
  | 'SYNC_OFFLINE'
  | 'SYNC_RPC_TIMEOUT'
  | 'SYNC_RPC_GARBAGE'
  | 'SYNC_NONCE_CONFLICT'
  | 'SYNC_INSUFFICIENT_FUNDS'
  | 'SYNC_REVERTED'
  | 'SYNC_PAYLOAD_INVALID'
  /** An outbox event may be replaced only while it waits here, never batched, by a later event of its kind (migration 0025). */
  | 'OUTBOX_REPLACE_REFUSED'
  | 'SYNC_SIGNER_UNAVAILABLE'
  | 'SIGNER_SEAL_UNAVAILABLE'
  | 'SYNC_DISABLED'
  | 'DB_MIGRATION_EDITED'
  | 'DB_FROM_FUTURE'
  | 'DB_MIGRATION_FAILED'
  | 'DB_KEY_MISSING'
  | 'PASSWORD_CHANGE_REQUIRED'
  | 'DB_KEY_WRONG'
  | 'DB_ENCRYPTION_FAILED'
  | 'JOB_NOT_FOUND'
  | 'JOB_FAILED'
  /** A job's worker reached its heap cap (JOB_WORKER_OLD_GENERATION_MB) and was stopped; it resumes from its checkpoint. */
  | 'JOB_OUT_OF_MEMORY'
  | 'IMPORT_FAILED'
  | 'AUDIT_TAMPERED'
  | 'AUDIT_ENTRY_NOT_FOUND'
  /** A call refused because its audit entry could not be written: nothing changed, nothing shown. */
  | 'AUDIT_WRITE_FAILED'
  | 'AUDIT_NOT_BATCHED'
  | 'AUDIT_ANCHOR_MISMATCH'
  | 'AUDIT_PROOF_INVALID'
  /** A FHIR export's patient set no longer matches the digest in its signed audit entry (details: exportId, entryId). */
  | 'AUDIT_EXPORT_SET_TAMPERED'
  /** A consent proof bundle that does not hold (details.reason: a ConsentProofFailure). */
  | 'CONSENT_PROOF_INVALID'
  /** The consent's latest change is not (yet) on the ledger: queued, skipped, or the chain holds other terms. */
  | 'CONSENT_NOT_ON_CHAIN'
  /** The ledger's change of a consent says other terms than the database (or does not open under the facility secret). */
  | 'CONSENT_CHAIN_MISMATCH'
  /** A bulk revoke whose changes already left for the chain: undoing it cannot be silent (re-grant instead). */
  | 'BULK_REVOKE_SYNCED'
  /** A bulk revoke older than its undo window (details.undoUntil): its consents can only be re-granted one by one. */
  | 'BULK_UNDO_EXPIRED'
  | 'AUDIT_NOT_BREAK_GLASS'
  | 'AUDIT_SELF_REVIEW'
  | 'AUDIT_ALREADY_REVIEWED'
  | 'CREDENTIAL_MALFORMED'
  | 'CREDENTIAL_INVALID_NPI'
  | 'CREDENTIAL_BAD_SIGNATURE'
  | 'CREDENTIAL_UNKNOWN_ISSUER'
  | 'CREDENTIAL_EXPIRED'
  | 'CREDENTIAL_NOT_YET_VALID'
  | 'CREDENTIAL_REVOKED'
  | 'CREDENTIAL_SUSPENDED'
  | 'CREDENTIAL_NOT_ON_REGISTRY'
  | 'CREDENTIAL_UNVERIFIED_OFFLINE'
  | 'CREDENTIAL_STATUS_UNSIGNED'
  | 'CREDENTIAL_NOT_FOUND'
  | 'CREDENTIAL_ISSUER_KEY_INVALID'
  | 'PROVIDER_NOT_FOUND'
  | 'ROSTER_HEADER_MISSING'
  | 'ROSTER_HEADER_DUPLICATE'
  | 'ROSTER_HEADER_TOO_WIDE'
  | 'SYNC_CONTRACT_NOT_CONFIGURED'
  | 'SHARING_NOT_CONFIGURED'
  | 'SHARING_KEY_INVALID'
  /** A sealed secret file of the data folder (organisation key, facility secret; db/secret-files.ts) whose seal does not
   * verify, or that was swapped for another; one sealed under another folder's secret; one that cannot be read. */
  | 'ORG_KEY_TAMPERED'
  | 'ORG_KEY_WRONG_SECRET'
  | 'ORG_KEY_UNREADABLE'
  | 'FACILITY_SECRET_TAMPERED'
  | 'FACILITY_SECRET_WRONG_SECRET'
  | 'FACILITY_SECRET_UNREADABLE'
  | 'SHARING_PARTNER_IS_SELF'
  | 'SHARING_AGREEMENT_EXPIRED'
  | 'SHARING_AGREEMENT_TERMINATED'
  | 'SHARING_AGREEMENT_NOT_SIGNED'
  | 'SHARING_ALREADY_SIGNED'
  | 'SHARING_TERMS_MISMATCH'
  | 'SHARING_WRONG_CHAIN'
  /** A permitted release whose package could not be written after its entries committed: nothing left. */
  | 'SHARING_RELEASE_WRITE_FAILED'
  | 'INTERNAL';

export interface ApiErrorShape {
  code: ErrorCode | (string & {});
  message: string;
  details?: unknown;
}

/** An error meant for the caller: its code, message and details reach the renderer as they are. */
export class AppError extends Error implements ApiErrorShape {
  readonly code: ErrorCode | (string & {});
  readonly details?: unknown;
  constructor(code: ErrorCode | (string & {}), message: string, details?: unknown) {
    super(message);
    this.name = 'AppError';
    this.code = code;
    this.details = details;
  }
  toJSON(): ApiErrorShape {
    return this.details === undefined
      ? { code: this.code, message: this.message }
      : { code: this.code, message: this.message, details: this.details };
  }
}

export type ApiResult<T> = { ok: true; value: T } | { ok: false; error: ApiErrorShape };

export function isApiErrorShape(v: unknown): v is ApiErrorShape {
  return typeof v === 'object' && v !== null && typeof (v as ApiErrorShape).code === 'string' && typeof (v as ApiErrorShape).message === 'string';
}
