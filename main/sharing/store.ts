// SQL of the sharing domain: agreement rows (ours and pulled), their views with the effective status, and
// release requests. Prepared statements only; callers wrap multi-row changes (row + outbox + audit) in one transaction.
import type { AgreementStatus, AgreementView, ReleaseRequestView } from '../api/sharing';
import type { CategoryCode, PurposeCode } from '../api/consents';
import type { Statement } from 'better-sqlite3-multiple-ciphers';
import type { Db } from '../db/connection';
import type { AgreementFacts } from '../access/agreement-rule';
import type { Direction } from './terms';

export interface AgreementRow {
  id: string;
  our_role: 'A' | 'B';
  partner_org_id: string;
  partner_address: string;
  our_address: string;
  direction: Direction;
  categories: string;
  purposes: string;
  valid_from: number;
  valid_until: number;
  document_hash: string;
  terms_hash: string;
  chain_id: number;
  contract: string;
  our_signature: string | null;
  partner_signature: string | null;
  status: AgreementStatus;
  chain_state: 'queued' | 'on-chain' | 'rejected';
  terminated_by: string | null;
  terminated_at: string | null;
  created_at: string;
  updated_at: string;
}

export type NewAgreementRow = Omit<AgreementRow, 'terminated_by' | 'terminated_at' | 'updated_at'>;

interface RequestRow {
  id: number;
  partner_org_id: string;
  patient_id: number;
  category: CategoryCode;
  purpose: PurposeCode;
  professional_npi: string | null;
  agreement_id: string | null;
  decision: 'permit' | 'deny';
  reasons: string;
  released_hash: string | null;
  released_file: string | null;
  requested_by: string;
  requested_at: string;
  decided_at: string;
  released_at: string | null;
}

const iso = (s: number) => new Date(s * 1000).toISOString();

export function effectiveStatus(row: Pick<AgreementRow, 'status' | 'valid_until'>, nowSec: number): AgreementStatus {
  return (row.status === 'active' || row.status === 'proposed') && nowSec >= row.valid_until ? 'expired' : row.status;
}

export function agreementView(row: AgreementRow, nowSec: number): AgreementView {
  return {
    id: row.id,
    ourRole: row.our_role,
    partnerOrgId: row.partner_org_id,
    partnerAddress: row.partner_address,
    ourAddress: row.our_address,
    direction: row.direction,
    categories: JSON.parse(row.categories) as CategoryCode[],
    purposes: JSON.parse(row.purposes) as PurposeCode[],
    validFrom: iso(row.valid_from),
    validUntil: iso(row.valid_until),
    documentHash: row.document_hash,
    termsHash: row.terms_hash,
    status: effectiveStatus(row, nowSec),
    chainState: row.chain_state,
    signedByUs: row.our_signature !== null,
    signedByPartner: row.partner_signature !== null,
    terminatedBy: row.terminated_by,
    createdAt: row.created_at,
    updatedAt: row.updated_at,
  };
}

export function agreementFacts(row: AgreementRow): AgreementFacts {
  return {
    id: row.id,
    partnerOrgId: row.partner_org_id,
    direction: row.direction,
    categories: JSON.parse(row.categories) as string[],
    purposes: JSON.parse(row.purposes) as string[],
    validFrom: row.valid_from,
    validUntil: row.valid_until,
    bothSigned: row.status === 'active' || (row.status === 'terminated' && row.our_signature !== null && row.partner_signature !== null),
    terminated: row.status === 'terminated',
  };
}

export function agreementById(db: Db, id: string): AgreementRow | undefined {
  return db.prepare(`SELECT * FROM sharing_agreements WHERE id = ?`).get(id.toLowerCase()) as AgreementRow | undefined;
}

// Prepared once per connection: the release decision reads this on every request (bench/sharing.bench.ts).
const byPartner = new WeakMap<Db, Statement>();

export function agreementsWith(db: Db, partnerOrgId: string): AgreementRow[] {
  let stmt = byPartner.get(db);
  if (!stmt) {
    stmt = db.prepare(`SELECT * FROM sharing_agreements WHERE partner_org_id = ? ORDER BY created_at DESC`);
    byPartner.set(db, stmt);
  }
  return stmt.all(partnerOrgId) as AgreementRow[];
}

/** Agreements with this partner, any state, as the access policy's agreement rule reads them (for decideReleaseRequest). */
export function agreementFactsWith(db: Db, partnerOrgId: string): AgreementFacts[] {
  return agreementsWith(db, partnerOrgId).map(agreementFacts);
}

export function allAgreements(db: Db): AgreementRow[] {
  return db.prepare(`SELECT * FROM sharing_agreements ORDER BY created_at DESC, id`).all() as AgreementRow[];
}

export function insertAgreement(db: Db, r: NewAgreementRow): void {
  db.prepare(
    `INSERT INTO sharing_agreements (id, our_role, partner_org_id, partner_address, our_address, direction, categories, purposes, valid_from, valid_until,
       document_hash, terms_hash, chain_id, contract, our_signature, partner_signature, status, chain_state, created_at, updated_at)
     VALUES (@id, @our_role, @partner_org_id, @partner_address, @our_address, @direction, @categories, @purposes, @valid_from, @valid_until,
       @document_hash, @terms_hash, @chain_id, @contract, @our_signature, @partner_signature, @status, @chain_state, @created_at, @created_at)`,
  ).run(r);
}

export function setOurSignature(db: Db, id: string, signature: string, at: string): void {
  db.prepare(`UPDATE sharing_agreements SET our_signature = ?, chain_state = 'queued', updated_at = ? WHERE id = ?`).run(signature, at, id);
}

export function setPartnerSignature(db: Db, id: string, signature: string, at: string): boolean {
  return db.prepare(`UPDATE sharing_agreements SET partner_signature = ?, updated_at = ? WHERE id = ? AND partner_signature IS NULL`).run(signature, at, id).changes === 1;
}

export function setChainState(db: Db, id: string, state: AgreementRow['chain_state'], at: string): void {
  db.prepare(`UPDATE sharing_agreements SET chain_state = ?, updated_at = ? WHERE id = ?`).run(state, at, id);
}

/** Both signatures are on chain: active, unless it was terminated meanwhile (termination always wins). */
export function markActive(db: Db, id: string, at: string): boolean {
  return db.prepare(`UPDATE sharing_agreements SET status = 'active', chain_state = 'on-chain', updated_at = ? WHERE id = ? AND status = 'proposed'`).run(at, id).changes === 1;
}

export function markTerminated(db: Db, id: string, by: string, at: string): boolean {
  return (
    db.prepare(`UPDATE sharing_agreements SET status = 'terminated', terminated_by = ?, terminated_at = ?, updated_at = ? WHERE id = ? AND status <> 'terminated'`).run(by, at, at, id)
      .changes === 1
  );
}

/**
 * A reorg took pulled events away: the chain-derived columns as the events left rebuild them (sink.ts). The
 * termination columns are kept only while the status stays terminated.
 */
export function restoreChainDerived(
  db: Db,
  id: string,
  derived: { partnerSignature: string | null; status: AgreementStatus; chainState: AgreementRow['chain_state'] },
  at: string,
): void {
  db.prepare(
    `UPDATE sharing_agreements SET partner_signature = ?, status = ?, chain_state = ?, terminated_by = CASE WHEN ? = 'terminated' THEN terminated_by ELSE NULL END,
       terminated_at = CASE WHEN ? = 'terminated' THEN terminated_at ELSE NULL END, updated_at = ? WHERE id = ?`,
  ).run(derived.partnerSignature, derived.status, derived.chainState, derived.status, derived.status, at, id);
}

/** The terms of a proposal received again, replacing a row kept as rejected (only while it is still rejected). */
export type ReceivedTerms = Omit<AgreementFacts, 'id' | 'bothSigned' | 'terminated'> & { documentHash: string };

export function replaceRejectedTerms(db: Db, id: string, t: ReceivedTerms, at: string): void {
  db.prepare(
    `UPDATE sharing_agreements SET partner_org_id = ?, direction = ?, categories = ?, purposes = ?, valid_from = ?, valid_until = ?, document_hash = ?,
       chain_state = 'on-chain', updated_at = ? WHERE id = ? AND chain_state = 'rejected'`,
  ).run(t.partnerOrgId, t.direction, JSON.stringify(t.categories), JSON.stringify(t.purposes), t.validFrom, t.validUntil, t.documentHash, at, id);
}

/** A queued proposal that will never be sent (legacy-proposals.ts holds it back): not sent, kept as rejected. */
export function rejectQueued(db: Db, id: string, at: string): void {
  db.prepare(`UPDATE sharing_agreements SET chain_state = 'rejected', updated_at = ? WHERE id = ? AND chain_state = 'queued'`).run(at, id);
}

/** Our proposal signed again (legacy-proposals.ts converts a v1 proposal): its new commitment and proof, queued. */
export function replaceOurProposal(db: Db, id: string, p: { termsHash: string; signature: string; chainId: number; contract: string }, at: string): void {
  db.prepare(`UPDATE sharing_agreements SET terms_hash = ?, our_signature = ?, chain_id = ?, contract = ?, chain_state = 'queued', updated_at = ? WHERE id = ?`).run(
    p.termsHash,
    p.signature,
    p.chainId,
    p.contract,
    at,
    id,
  );
}

export interface NewReleaseRequest {
  partner_org_id: string;
  patient_id: number;
  category: string;
  purpose: string;
  professional_npi: string | null;
  agreement_id: string | null;
  decision: 'permit' | 'deny';
  reasons: string;
  requested_by: string;
  requested_at: string;
}

export function insertRequest(db: Db, r: NewReleaseRequest): number {
  return Number(
    db
      .prepare(
        `INSERT INTO sharing_release_requests (partner_org_id, patient_id, category, purpose, professional_npi, agreement_id, decision, reasons, requested_by, requested_at, decided_at)
         VALUES (@partner_org_id, @patient_id, @category, @purpose, @professional_npi, @agreement_id, @decision, @reasons, @requested_by, @requested_at, @requested_at)`,
      )
      .run(r).lastInsertRowid,
  );
}

export function markReleased(db: Db, id: number, hash: string, file: string, at: string): void {
  db.prepare(`UPDATE sharing_release_requests SET released_hash = ?, released_file = ?, released_at = ? WHERE id = ? AND released_at IS NULL`).run(hash, file, at, id);
}

function requestView(r: RequestRow): ReleaseRequestView {
  return {
    id: r.id,
    partnerOrgId: r.partner_org_id,
    patientId: r.patient_id,
    category: r.category,
    purpose: r.purpose,
    professionalNpi: r.professional_npi,
    agreementId: r.agreement_id,
    decision: r.decision,
    reasons: JSON.parse(r.reasons) as ReleaseRequestView['reasons'],
    releasedHash: r.released_hash,
    releasedAt: r.released_at,
    requestedBy: r.requested_by,
    requestedAt: r.requested_at,
  };
}

export function requestById(db: Db, id: number): ReleaseRequestView | undefined {
  const row = db.prepare(`SELECT * FROM sharing_release_requests WHERE id = ?`).get(id) as RequestRow | undefined;
  return row && requestView(row);
}

export function listRequests(db: Db, releasedOnly: boolean, limit: number): ReleaseRequestView[] {
  const sql = releasedOnly
    ? `SELECT * FROM sharing_release_requests WHERE released_at IS NOT NULL ORDER BY released_at DESC, id DESC LIMIT ?`
    : `SELECT * FROM sharing_release_requests ORDER BY id DESC LIMIT ?`;
  return (db.prepare(sql).all(limit) as RequestRow[]).map(requestView);
}
