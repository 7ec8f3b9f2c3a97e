// Reads for the Claims page: the filtered list (newest first, keyset paging on id) and a claim's detail.
import type { ClaimDetail, ClaimFilter, ClaimListResult, ClaimListRow } from '../api/claims';
import type { Db } from '../db/connection';
import { claimById, reasonsOf, type ClaimRow } from './store';

export function listRowOf(r: ClaimRow): ClaimListRow {
  return {
    id: r.id,
    claimId: r.claim_id,
    patient: { facility: r.facility, mrn: r.mrn, id: r.patient_id },
    renderingNpi: r.rendering_npi,
    payerId: r.payer_id,
    serviceDate: r.service_date,
    codes: JSON.parse(r.codes) as string[],
    amountCents: r.amount_cents,
    verdict: r.verdict,
    reasonCodes: [...new Set(reasonsOf(r).map((x) => x.code))],
    chainStatus: r.chain_status,
    chainReason: r.chain_reason,
    source: r.source,
    createdAt: r.created_at,
  };
}

export function detailOf(r: ClaimRow): ClaimDetail {
  return {
    ...listRowOf(r),
    contentHash: r.content_hash,
    chainCommitment: r.chain_commitment,
    chainSalt: r.chain_salt,
    reasons: reasonsOf(r),
    chainTx: r.chain_tx,
    chainBlock: r.chain_block,
    importRunId: r.import_run_id,
    sourceRow: r.source_row,
    checkedBy: r.checked_by,
    updatedAt: r.updated_at,
  };
}

export function claimDetail(db: Db, id: number): ClaimDetail | null {
  const r = claimById(db, id);
  return r ? detailOf(r) : null;
}

/** Each filter is optional; a NULL parameter switches its condition off, so one prepared statement serves all. */
export function listClaims(db: Db, filter: ClaimFilter, limit: number, before: number | null): ClaimListResult {
  const rows = db
    .prepare(
      `SELECT * FROM claims
       WHERE (@verdict IS NULL OR verdict = @verdict) AND (@chainStatus IS NULL OR chain_status = @chainStatus)
         AND (@payerId IS NULL OR payer_id = @payerId) AND (@serviceFrom IS NULL OR service_date >= @serviceFrom)
         AND (@serviceTo IS NULL OR service_date <= @serviceTo) AND (@before IS NULL OR id < @before)
       ORDER BY id DESC LIMIT @limit`,
    )
    .all({
      verdict: filter.verdict ?? null,
      chainStatus: filter.chainStatus ?? null,
      payerId: filter.payerId ?? null,
      serviceFrom: filter.serviceFrom ?? null,
      serviceTo: filter.serviceTo ?? null,
      before,
      limit: limit + 1,
    }) as ClaimRow[];
  const page = rows.slice(0, limit);
  return { rows: page.map(listRowOf), nextCursor: rows.length > limit ? page[page.length - 1]!.id : null };
}

/** A patient's claims created in [from, to) (ISO instants; null: open), oldest first: for the accounting of disclosures. */
export function claimsOfPatient(db: Db, patientId: number, from: string | null, to: string | null, limit: number): ClaimRow[] {
  return db
    .prepare(
      `SELECT * FROM claims WHERE patient_id = @patientId AND (@from IS NULL OR created_at >= @from) AND (@to IS NULL OR created_at < @to)
       ORDER BY created_at, id LIMIT @limit`,
    )
    .all({ patientId, from, to, limit }) as ClaimRow[];
}
