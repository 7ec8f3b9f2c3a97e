// Applies consent changes pulled from the chain to the consents tables of 0002 (patients, consents,
// consent_history): the chain's order wins (higher seq; on a tie, what the chain holds). Never writes the outbox,
// so a pulled change is not sent back. Patients and grantees this workstation does not know stay in the mirror.
// Each applied change is logged with the state it replaced (0007 sync_pulled_consent_changes), so a reorg that
// removes its block undoes it here too (pull-undo.ts); it is applied again when it lands again.
import type { Db } from '../db/connection';
import { CATEGORY_HASHES, granteeHashOf, PURPOSE_HASHES } from '../consents/outbox-events';
import type { ChainChangeSink, ChainConsentChange } from './puller';
import { PulledChangeLog, type RollbackReport } from './pull-undo';

export type SinkOutcome = 'applied' | 'same' | 'local-newer' | 'unknown-patient' | 'unknown-code' | 'unknown-grantee';

interface ConsentRow {
  id: number;
  external_id: string | null;
  decision: string;
  period_start: number;
  period_end: number | null;
  status: string;
  document_hash: string;
  seq: number;
}

const invert = (m: Record<string, string>) => new Map(Object.entries(m).map(([code, hash]) => [hash.toLowerCase(), code]));
const PURPOSE_BY_HASH = invert(PURPOSE_HASHES);
const CATEGORY_BY_HASH = invert(CATEGORY_HASHES);

export class SqlConsentSink implements ChainChangeSink {
  readonly outcomes: Record<SinkOutcome, number> = { applied: 0, same: 0, 'local-newer': 0, 'unknown-patient': 0, 'unknown-code': 0, 'unknown-grantee': 0 };
  private grantees = new Map<string, { kind: string; grantee: string }>();
  private stale = true;
  private readonly log: PulledChangeLog;

  constructor(
    private readonly db: Db,
    private readonly now: () => Date = () => new Date(),
  ) {
    this.log = new PulledChangeLog(db);
  }

  rollBackAbove(chainId: number, forkBlock: number): RollbackReport {
    const report = this.log.undoAbove(chainId, forkBlock);
    // Grantees may have come only from rows just removed.
    this.stale = true;
    return report;
  }

  prune(chainId: number, belowBlock: number): void {
    this.log.prune(chainId, belowBlock);
  }

  begin(): void {
    this.stale = true;
  }

  consentChanged(change: ChainConsentChange): void {
    this.outcomes[this.apply(change)]++;
  }

  apply(c: ChainConsentChange): SinkOutcome {
    const patient = this.db.prepare(`SELECT id FROM patients WHERE pseudonym = ?`).get(c.patientPseudonym) as { id: number } | undefined;
    if (!patient) return 'unknown-patient';
    const purpose = PURPOSE_BY_HASH.get(c.purposeHash);
    const category = CATEGORY_BY_HASH.get(c.categoryHash);
    if (!purpose || !category) return 'unknown-code';
    const grantee = this.grantee(c.granteeHash);
    if (!grantee) return 'unknown-grantee';

    const current = this.db
      .prepare(
        `SELECT id, external_id, decision, period_start, period_end, status, document_hash, seq FROM consents
         WHERE patient_id = ? AND grantee = ? AND grantee_kind = ? AND purpose = ? AND category = ? AND status <> 'superseded'
         ORDER BY seq DESC, id DESC LIMIT 1`,
      )
      .get(patient.id, grantee.grantee, grantee.kind, purpose, category) as ConsentRow | undefined;
    if (current && current.seq > c.seq) return 'local-newer';
    const decision = c.decision;
    const periodEnd = c.validUntil === 0 ? null : c.validUntil;
    const status = c.revoked ? 'revoked' : 'active';
    const sameTerms = current && current.decision === decision && current.period_start === c.validFrom && current.period_end === periodEnd && current.document_hash === c.documentHash;
    if (current && sameTerms && current.seq === c.seq && (current.status === status || (!c.revoked && current.status === 'expired'))) return 'same';

    const at = this.now().toISOString();
    const detail = JSON.stringify({ txHash: c.txHash, blockNumber: c.blockNumber, seq: c.seq });
    const insertHistory = this.db.prepare(`INSERT INTO consent_history (consent_id, action, actor, at, detail) VALUES (?, ?, 'chain-sync', ?, ?)`);
    const historyIds: number[] = [];
    const history = (consentId: number, action: string) => historyIds.push(Number(insertHistory.run(consentId, action, at, detail).lastInsertRowid));
    if (current && sameTerms && c.revoked) {
      // Only the revocation is new: revoke the row in place, as a local revoke would.
      const before = this.db.prepare(`SELECT status, seq, revoked_reason, updated_at FROM consents WHERE id = ?`).get(current.id) as Record<string, unknown>;
      this.db.prepare(`UPDATE consents SET status = 'revoked', seq = ?, revoked_reason = coalesce(revoked_reason, 'revoked on another workstation'), updated_at = ? WHERE id = ?`).run(c.seq, at, current.id);
      history(current.id, 'revoke');
      this.log.record(c, { action: 'revoke', previousId: current.id, previousState: before, insertedId: null, historyIds });
      return 'applied';
    }
    const before = current ? (this.db.prepare(`SELECT status, superseded_by, updated_at FROM consents WHERE id = ?`).get(current.id) as Record<string, unknown>) : null;
    // New terms (or the chain's side of a tie): a new current row; the old one is superseded and kept as history.
    if (current) this.db.prepare(`UPDATE consents SET status = 'superseded', updated_at = ? WHERE id = ?`).run(at, current.id);
    const inserted = this.db
      .prepare(
        `INSERT INTO consents (external_id, patient_id, grantee, grantee_kind, decision, purpose, category, period_start, period_end, status, document_hash, source, seq, created_at, updated_at)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 'chain', ?, ?, ?)`,
      )
      .run(current?.external_id ?? null, patient.id, grantee.grantee, grantee.kind, decision, purpose, category, c.validFrom, periodEnd, status, c.documentHash, c.seq, at, at);
    const id = Number(inserted.lastInsertRowid);
    if (current) {
      this.db.prepare(`UPDATE consents SET superseded_by = ? WHERE id = ?`).run(id, current.id);
      history(current.id, 'supersede');
    }
    history(id, c.revoked ? 'revoke' : 'create');
    this.log.record(c, { action: 'replace', previousId: current?.id ?? null, previousState: before, insertedId: id, historyIds });
    return 'applied';
  }

  /** Grantees are hashed on chain; only those this workstation has seen can be named again. */
  private grantee(hash: string): { kind: string; grantee: string } | undefined {
    let hit = this.grantees.get(hash);
    // Refreshed at most once per pulled range: a grantee added locally since the last pull is found again.
    if (!hit && this.stale) {
      this.refreshGrantees();
      hit = this.grantees.get(hash);
    }
    return hit;
  }

  refreshGrantees(): void {
    this.stale = false;
    const rows = this.db.prepare(`SELECT DISTINCT grantee_kind AS kind, grantee FROM consents`).all() as { kind: 'npi' | 'org'; grantee: string }[];
    this.grantees = new Map(rows.map((r) => [granteeHashOf(r.kind, r.grantee).toLowerCase(), r]));
  }
}
