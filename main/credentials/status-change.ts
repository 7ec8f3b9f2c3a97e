// Status changes this workstation makes for a credential (suspend, revoke, reinstate): one 'credential.status'
// outbox event for the sync engine (CredentialRegistry.setStatuses) and a local record, in one transaction.
import type { CredentialStatusChange } from '../api/credentials';
import { AppError } from '../api/errors';
import type { Db } from '../db/connection';
import { credentialStatusPayload, type CredentialStatusPayload } from '../sync/payloads';
import { credentialById, insertStatusChange, type CredentialRow } from './store';
import { expiresAtOf } from './verdict';

export const CREDENTIAL_STATUS_KIND = 'credential.status';

/** The outbox payload (sync/payloads.ts): the credential only as its hash, the issuer's address, the expiry. */
export function statusPayloadOf(row: Pick<CredentialRow, 'credential_hash' | 'valid_until' | 'issuer'>, status: CredentialStatusChange): CredentialStatusPayload {
  return credentialStatusPayload.parse({ credentialHash: row.credential_hash, status, expiresAt: expiresAtOf(row.valid_until), issuer: row.issuer });
}

export function changeCredentialStatus(
  db: Db,
  credentialId: number,
  status: CredentialStatusChange,
  reason: string,
  actor: string,
  now: Date,
): { outboxId: number; row: CredentialRow } {
  const row = credentialById(db, credentialId);
  if (!row) throw new AppError('CREDENTIAL_NOT_FOUND', `There is no credential with id ${credentialId}.`);
  const payload = statusPayloadOf(row, status);
  const at = now.toISOString();
  const outboxId = db.transaction(() => {
    const id = Number(
      db.prepare('INSERT INTO outbox (kind, payload, created_at, updated_at) VALUES (?, ?, ?, ?)').run(CREDENTIAL_STATUS_KIND, JSON.stringify(payload), at, at).lastInsertRowid,
    );
    insertStatusChange(db, credentialId, status, reason, actor, id, at);
    return id;
  })();
  return { outboxId, row };
}
