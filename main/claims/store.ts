// The claims table: stores a checked claim with its verdict and reasons (and, for a pass, its 'claim.record'
// outbox event in the same transaction), lists and reads claims for the Claims page, and applies the chain status
// the puller brings back. Prepared statements only. It OWNS the claims table (scripts/table-owners.ts): payers.ts
// queues a payer's waiting claims through queueClaimRecord here.
import type { Statement } from 'better-sqlite3-multiple-ciphers';
import type { Db } from '../db/connection';
import type { CheckableClaim } from './precheck';
import { type ClaimReason, type ClaimVerdict } from './model';
import { randomBytes } from 'node:crypto';
import { enqueueOutbox } from '../sync/outbox';
import { CLAIM_RECORD, claimCommitmentOf, openReasonCode, payerCommitmentOf, payerNonceOf, type ClaimRecordPayload } from './outbox-events';

/** The address registered for `payerId` in this data folder, or undefined. */
export function payerAddressOf(db: Db, payerId: string): string | undefined {
  return (db.prepare(`SELECT address FROM claim_payers WHERE payer_id = ?`).pluck().get(payerId) as string | undefined) ?? undefined;
}

/** Queues the 'claim.record' event of one passing claim (its salt and commitment set) for `payerAddress`. */
export function queueClaimRecord(db: Db, claimRowId: number, salt: string, commitment: string, payerAddress: string): number {
  const payload: ClaimRecordPayload = { v: 2, claimRowId, claimHash: commitment, payerCommitment: payerCommitmentOf(payerAddress, payerNonceOf(salt)) };
  const outboxId = enqueueOutbox(db, CLAIM_RECORD, payload);
  db.prepare(`UPDATE claims SET outbox_id = ? WHERE id = ?`).run(outboxId, claimRowId);
  return outboxId;
}

export type ChainStatus = 'not_sent' | 'pending' | 'recorded' | 'accepted' | 'denied';

export interface ClaimRow {
  id: number;
  claim_id: string;
  facility: string;
  mrn: string;
  patient_id: number | null;
  rendering_npi: string;
  payer_id: string;
  service_date: string;
  codes: string;
  amount_cents: number;
  content_hash: string;
  /** 0x + 32 hex digits: the per-claim salt of the on-chain commitment (null for claims stored before it). */
  chain_salt: string | null;
  chain_commitment: string | null;
  verdict: 'pass' | 'fail';
  reasons: string;
  chain_status: ChainStatus;
  chain_reason: string | null;
  chain_tx: string | null;
  chain_block: number | null;
  outbox_id: number | null;
  source: string;
  import_run_id: number | null;
  source_row: number | null;
  checked_by: string;
  created_at: string;
  updated_at: string;
}

export interface ClaimOrigin {
  source: 'form' | 'import';
  importRunId: number | null;
  sourceRow: number | null;
  checkedBy: string;
  patientId: number | null;
}

interface Statements {
  insert: Statement;
  setCommitment: Statement<[string, string, number]>;
  byClaimId: Statement<[string], ClaimRow>;
  recorded: Statement<[number, string, string, string]>;
  decided: Statement<[string, string | null, number, string, string, string]>;
}
const cache = new WeakMap<Db, Statements>();
function statements(db: Db): Statements {
  let s = cache.get(db);
  if (!s) {
    s = {
      insert: db.prepare(
        `INSERT INTO claims (claim_id, facility, mrn, patient_id, rendering_npi, payer_id, service_date, codes, amount_cents, content_hash, verdict,
           reasons, chain_status, source, import_run_id, source_row, checked_by, created_at, updated_at)
         VALUES (@claimId, @facility, @mrn, @patientId, @renderingNpi, @payerId, @serviceDate, @codes, @amountCents, @contentHash, @verdict,
           @reasons, @chainStatus, @source, @importRunId, @sourceRow, @checkedBy, @now, @now)`,
      ),
      setCommitment: db.prepare(`UPDATE claims SET chain_salt = ?, chain_commitment = ? WHERE id = ?`),
      byClaimId: db.prepare(`SELECT * FROM claims WHERE claim_id = ?`),
      // A claim recorded from another batch first (or re-pulled) keeps a later payer answer.
      recorded: db.prepare(
        `UPDATE claims SET chain_status = 'recorded', chain_block = ?, chain_tx = ?, updated_at = ?
         WHERE coalesce(chain_commitment, content_hash) = ? AND verdict = 'pass' AND chain_status = 'pending'`,
      ),
      decided: db.prepare(
        `UPDATE claims SET chain_status = ?, chain_reason = ?, chain_block = ?, chain_tx = ?, updated_at = ?
         WHERE coalesce(chain_commitment, content_hash) = ? AND verdict = 'pass'`,
      ),
    };
    cache.set(db, s);
  }
  return s;
}

export function claimByClaimId(db: Db, claimId: string): ClaimRow | undefined {
  return statements(db).byClaimId.get(claimId);
}

export function claimById(db: Db, id: number): ClaimRow | undefined {
  return db.prepare(`SELECT * FROM claims WHERE id = ?`).get(id) as ClaimRow | undefined;
}

/**
 * Stores a checked claim; a pass also queues its 'claim.record' event. Call inside a transaction when storing many.
 * The caller has made sure the claim id is new (DUPLICATE_CLAIM_ID claims are refused, never stored).
 */
export function insertClaim(db: Db, claim: CheckableClaim, verdict: ClaimVerdict, origin: ClaimOrigin, now: string): number {
  const s = statements(db);
  const pass = verdict.verdict === 'pass';
  const id = Number(
    s.insert.run({
      claimId: claim.claimId,
      facility: claim.facility,
      mrn: claim.mrn,
      patientId: origin.patientId,
      renderingNpi: claim.renderingNpi,
      payerId: claim.payerId,
      serviceDate: claim.serviceDate,
      codes: JSON.stringify(claim.codes),
      amountCents: claim.amountCents,
      contentHash: claim.contentHash,
      verdict: verdict.verdict,
      reasons: JSON.stringify(verdict.reasons),
      chainStatus: pass ? 'pending' : 'not_sent',
      source: origin.source,
      importRunId: origin.importRunId,
      sourceRow: origin.sourceRow,
      checkedBy: origin.checkedBy,
      now,
    }).lastInsertRowid,
  );
  if (pass) {
    const salt = `0x${randomBytes(16).toString('hex')}`;
    const commitment = claimCommitmentOf(salt, claim.contentHash);
    s.setCommitment.run(salt, commitment, id);
    // Addressed on chain by a commitment to the payer's address: without one yet, the claim waits (payers.ts).
    const payerAddress = payerAddressOf(db, claim.payerId);
    if (payerAddress) queueClaimRecord(db, id, salt, commitment, payerAddress);
  }
  return id;
}

/** ClaimRecorded pulled from the chain: the local passing claim with this commitment is now on chain. */
export function markRecorded(db: Db, contentHash: string, blockNumber: number, txHash: string, now: string): boolean {
  return statements(db).recorded.run(blockNumber, txHash, now, contentHash).changes > 0;
}

/** ClaimStatusChanged pulled from the chain: the payer accepted or denied the claim. */
export function markDecided(db: Db, contentHash: string, status: 'accepted' | 'denied', reasonCode: string | null, blockNumber: number, txHash: string, now: string): boolean {
  return statements(db).decided.run(status, reasonCode, blockNumber, txHash, now, contentHash).changes > 0;
}

/**
 * The payer's reason code of a pulled decision: masked on chain with a pad of the claim's salt (outbox-events.ts), so
 * only a claim of ours can be read; null for none or for a claim we do not hold.
 */
export function openedReasonCode(db: Db, chainKey: string, sealedReason: string): string | null {
  const salt = db.prepare(`SELECT chain_salt FROM claims WHERE chain_commitment = ?`).pluck().get(chainKey) as string | null | undefined;
  return salt ? openReasonCode(salt, sealedReason) : null;
}

/** After a reorg: claims whose chain status came from blocks above `forkBlock` go back to what the remaining events say. */
export function claimsAboveBlock(db: Db, forkBlock: number): { chain_key: string }[] {
  return db.prepare(`SELECT coalesce(chain_commitment, content_hash) AS chain_key FROM claims WHERE verdict = 'pass' AND chain_block > ?`).all(forkBlock) as { chain_key: string }[];
}

/** `chainKey`: the claim's commitment on chain (its content hash for claims stored before commitments). */
export function resetChainStatus(db: Db, chainKey: string, now: string): void {
  db.prepare(`UPDATE claims SET chain_status = 'pending', chain_reason = NULL, chain_block = NULL, chain_tx = NULL, updated_at = ? WHERE coalesce(chain_commitment, content_hash) = ? AND verdict = 'pass'`).run(now, chainKey);
}

export function reasonsOf(row: Pick<ClaimRow, 'reasons'>): ClaimReason[] {
  return JSON.parse(row.reasons) as ClaimReason[];
}

/** A claim record sent again under a new outbox event (a torn node state's repair): the claim follows the new one. */
export function relinkClaimRecord(db: Db, oldOutboxId: number, newOutboxId: number): void {
  db.prepare(`UPDATE claims SET outbox_id = ? WHERE outbox_id = ?`).run(newOutboxId, oldOutboxId);
}
