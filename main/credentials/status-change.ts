// Status changes for a credential (suspend, revoke, reinstate), authorised by the ISSUER's EIP-712 signature: one
// 'credential.status' outbox event for the sync engine (CredentialRegistry.setStatuses) and a local record, in one
// transaction. The workstation only relays: without a signature that recovers to the credential's issuer, nothing
// is written (CREDENTIAL_STATUS_UNSIGNED), since the registry would skip it anyway.
import type { Signer } from 'ethers';
import type { CredentialStatusChange, IssuerStatusSignature } from '../api/credentials';
import { AppError } from '../api/errors';
import type { Db } from '../db/connection';
import { enqueueOutbox } from '../sync/outbox';
import { CREDENTIAL_STATUS, credentialStatusPayload, type CredentialStatusPayload } from './sync-plugin';
import { signStatus, statusDomain, statusNonce, statusSignedByIssuer, STATUS_SIGNATURE_TTL_SECONDS, type SignedStatus } from './status-signature';
import { credentialById, insertStatusChange, type CredentialRow } from './store';

type StatusRow = Pick<CredentialRow, 'credential_hash' | 'issuer' | 'chain_id' | 'registry'>;

/** The signed status for `row`, checked: the signature recovers to the credential's issuer in its registry's domain. */
export function signedStatusOf(row: StatusRow, status: CredentialStatusChange, sig: IssuerStatusSignature, now: Date): SignedStatus {
  const signed: SignedStatus = { credentialHash: row.credential_hash, status, issuer: row.issuer, ...sig };
  if (!statusSignedByIssuer(statusDomain(row.chain_id, row.registry), signed)) {
    throw new AppError('CREDENTIAL_STATUS_UNSIGNED', `The signature over "${status}" does not recover to the credential's issuer ${row.issuer} for registry ${row.registry} on chain ${row.chain_id}; the registry would skip it.`);
  }
  if (sig.deadline <= Math.floor(now.getTime() / 1000)) {
    throw new AppError('CREDENTIAL_STATUS_UNSIGNED', `The issuer's signature expired at ${new Date(sig.deadline * 1000).toISOString()}; ask the issuer for a new one.`);
  }
  return signed;
}

/** The outbox payload (credentials/sync-plugin.ts): the credential only as its hash, the issuer's address and signature. */
export function statusPayloadOf(signed: SignedStatus): CredentialStatusPayload {
  return credentialStatusPayload.parse(signed);
}

/** What the issuer tool signs as the registry's expiresAt: none (0). */
export const NO_CHAIN_EXPIRY = 0;

/** The issuer tool's half: signs `status` for `row` with the issuer's key (nonce = now in ms, 30-day deadline). */
export async function issuerStatusSignatureFor(issuer: Signer, row: StatusRow & Pick<CredentialRow, 'valid_until'>, status: CredentialStatusChange, now: Date): Promise<IssuerStatusSignature> {
  const signed = await signStatus(issuer, statusDomain(row.chain_id, row.registry), {
    credentialHash: row.credential_hash,
    status,
    // No expiry on chain: the expiry date next to a credential hash would narrow a dictionary of NPPES entries to a
    // handful (issue #12 item 4). The document's own validUntil is checked off chain (verdict.ts validityFinding).
    expiresAt: NO_CHAIN_EXPIRY,
    nonce: statusNonce(now),
    deadline: Math.floor(now.getTime() / 1000) + STATUS_SIGNATURE_TTL_SECONDS,
  });
  return { expiresAt: signed.expiresAt, nonce: signed.nonce, deadline: signed.deadline, signature: signed.signature };
}

export function changeCredentialStatus(
  db: Db,
  credentialId: number,
  status: CredentialStatusChange,
  reason: string,
  actor: string,
  now: Date,
  issuerSignature: IssuerStatusSignature | undefined,
): { outboxId: number; row: CredentialRow } {
  const row = credentialById(db, credentialId);
  if (!row) throw new AppError('CREDENTIAL_NOT_FOUND', `There is no credential with id ${credentialId}.`);
  if (!issuerSignature) {
    throw new AppError(
      'CREDENTIAL_STATUS_UNSIGNED',
      `A credential's status is the issuer's word: "${status}" needs the issuer's signature. The issuer signs it with \`custodian credentials set-status ${credentialId} ${status} REASON --issuer-key KEY\` (or \`credentials sign-status\` for another workstation to submit).`,
    );
  }
  const payload = statusPayloadOf(signedStatusOf(row, status, issuerSignature, now));
  const at = now.toISOString();
  const outboxId = db.transaction(() => {
    const id = enqueueOutbox(db, CREDENTIAL_STATUS, payload, at);
    insertStatusChange(db, credentialId, status, reason, actor, id, at);
    return id;
  })();
  return { outboxId, row };
}
