// Applies consent changes pulled from the chain (opened with the facility key) to the consents tables of 0002: the
// ordering rule decides (main/sync/README.md: the greatest (hlc, rank, writer) wins), so workstations converge
// whatever order they pull in. Never writes the outbox, so a pulled change is not sent back. A change whose patient
// this workstation does not know is kept (sync_pending_consent_changes) and applied when the patient appears; one
// that did not open, or whose writer is not a registered signer of this facility, is kept as a problem. A pulled
// change that overrides a change of this workstation that never landed raises a conflict (consent-conflicts.ts).
// Each applied change is logged with the state it replaced (0009), so a reorg that removes its block undoes it here
// too (pull-undo.ts).
import type { Db } from '../db/connection';
import { CATEGORY_HASHES, PURPOSE_HASHES } from './outbox-events';
import { ConsentConflicts } from './consent-conflicts';
import { hlcOfText, hlcText, orderKeyOf, orderText, type LedgerState } from './consent-state';
import type { ChainConsentChange, ConsentChainSink, UnopenableConsentChange } from './chain-reader';
import { PulledChangeLog, type RollbackReport } from './pull-undo';
import { documentHashBytes } from './store';

export type SinkOutcome = 'applied' | 'same' | 'local-newer' | 'unknown-patient' | 'unknown-code';

interface ConsentRow {
  id: number;
  external_id: string | null;
  decision: string;
  period_start: number;
  period_end: number | null;
  status: string;
  document_hash: string;
  seq: number;
  hlc: string;
  hlc_writer: string | null;
}

const invert = (m: Record<string, string>) => new Map(Object.entries(m).map(([code, hash]) => [hash.toLowerCase(), code]));
const PURPOSE_BY_HASH = invert(PURPOSE_HASHES);
const CATEGORY_BY_HASH = invert(CATEGORY_HASHES);

export class SqlConsentSink implements ConsentChainSink {
  readonly outcomes: Record<SinkOutcome, number> = { applied: 0, same: 0, 'local-newer': 0, 'unknown-patient': 0, 'unknown-code': 0 };
  private readonly log: PulledChangeLog;
  private readonly conflicts: ConsentConflicts;
  /** This workstation's signer address (lowercase): the writer of its own changes. Set by the sync engine. */
  me: string | null = null;

  constructor(
    private readonly db: Db,
    private readonly now: () => Date = () => new Date(),
  ) {
    this.log = new PulledChangeLog(db);
    this.conflicts = new ConsentConflicts(db, now);
  }

  rollBackAbove(chainId: number, forkBlock: number): RollbackReport {
    this.db.prepare(`DELETE FROM sync_pending_consent_changes WHERE chain_id = ? AND block_number > ?`).run(chainId, forkBlock);
    // A conflict raised by a change the reorg removed names a winner the chain no longer holds: withdrawn, whether
    // the rows could be undone or were kept (the convergence bench found these left open). If the change lands
    // again, pulling it decides again.
    return this.log.undoAbove(chainId, forkBlock, (r) => this.conflicts.withdrawOverridden(r.consentId, r));
  }

  prune(chainId: number, belowBlock: number): void {
    this.log.prune(chainId, belowBlock);
  }

  /** Start of a pulled range: first apply the kept changes whose patient has appeared since. */
  begin(): void {
    this.applyPending();
  }

  consentChanged(change: ChainConsentChange): void {
    this.outcomes[this.apply(change)]++;
  }

  /** A change kept as a problem, never applied: UNOPENABLE, or UNREGISTERED_WRITER with the writer and its facility. */
  consentUnopenable(c: UnopenableConsentChange): void {
    const reason = c.reason ?? 'UNOPENABLE';
    const detail = reason === 'UNREGISTERED_WRITER' ? JSON.stringify({ writer: c.writer ?? null, writerFacility: c.writerFacility ?? null }) : '{}';
    this.db
      .prepare(
        `INSERT OR IGNORE INTO sync_pending_consent_changes (chain_id, block_number, block_hash, log_index, tx_hash, op_key, reason, patient_pseudonym, change_json, first_seen)
         VALUES (?, ?, ?, ?, ?, ?, ?, NULL, ?, ?)`,
      )
      .run(c.chainId, c.blockNumber, c.blockHash, c.logIndex, c.txHash, c.consentKey, reason, detail, this.now().toISOString());
  }

  /** Applies kept changes whose patient is now known; they stay kept otherwise. */
  applyPending(): number {
    const rows = this.db
      .prepare(
        `SELECT id, change_json FROM sync_pending_consent_changes
         WHERE reason = 'UNKNOWN_PATIENT' AND patient_pseudonym IN (SELECT pseudonym FROM patients) ORDER BY block_number, log_index`,
      )
      .all() as { id: number; change_json: string }[];
    let applied = 0;
    for (const r of rows) {
      const c = JSON.parse(r.change_json) as Omit<ChainConsentChange, 'hlc' | 'prevHlc'> & { hlc: string; prevHlc: string };
      const outcome = this.apply({ ...c, hlc: BigInt(c.hlc), prevHlc: BigInt(c.prevHlc) }, true);
      if (outcome !== 'unknown-patient') {
        this.db.prepare(`DELETE FROM sync_pending_consent_changes WHERE id = ?`).run(r.id);
        applied++;
      }
    }
    return applied;
  }

  apply(c: ChainConsentChange, fromPending = false): SinkOutcome {
    const patient = this.db.prepare(`SELECT id FROM patients WHERE pseudonym = ?`).get(c.patientPseudonym) as { id: number } | undefined;
    if (!patient) {
      if (!fromPending) this.keep(c);
      return 'unknown-patient';
    }
    const purpose = PURPOSE_BY_HASH.get(c.purposeHash);
    const category = CATEGORY_BY_HASH.get(c.categoryHash);
    if (!purpose || !category) return 'unknown-code';

    const keyRows = this.db
      .prepare(
        `SELECT id, external_id, decision, period_start, period_end, status, document_hash, seq, hlc, hlc_writer FROM consents
         WHERE patient_id = ? AND grantee = ? AND grantee_kind = ? AND purpose = ? AND category = ?`,
      )
      .all(patient.id, c.grantee, c.granteeKind, purpose, category) as ConsentRow[];
    const current = keyRows.filter((r) => r.status !== 'superseded').sort((x, y) => (x.hlc === y.hlc ? y.id - x.id : x.hlc < y.hlc ? 1 : -1))[0];
    const incoming: LedgerState = { decision: c.decision === 'permit' ? 1 : 2, revoked: c.revoked, hlc: c.hlc, writer: c.writer.toLowerCase() };
    const writer = incoming.writer;
    if (current) {
      const local = this.localState(current);
      // Our own change came back from the chain: it landed; remember who wrote it.
      if (current.hlc_writer === null && this.me !== null && writer === this.me && incoming.hlc === local.hlc) {
        this.db.prepare(`UPDATE consents SET hlc_writer = ? WHERE id = ?`).run(writer, current.id);
        return 'same';
      }
      const ours = orderKeyOf(local);
      const theirs = orderKeyOf(incoming);
      if (theirs < ours) return 'local-newer';
      if (theirs === ours) return 'same';
      // The incoming change wins. A change of ours it replaces lost if the chain never took it (it will be skipped),
      // or if the winner's writer had not seen it (concurrent): say so. One it had seen was simply superseded.
      const own = current.hlc_writer === null || (this.me !== null && current.hlc_writer === this.me);
      if (own && (current.hlc_writer === null || c.prevHlc < local.hlc)) this.conflicts.overridden(current.id, current.hlc, local, incoming);
    }

    const seq = keyRows.reduce((m, r) => Math.max(m, r.seq), 0) + 1;
    const decision = c.decision;
    const periodEnd = c.validUntil === 0 ? null : c.validUntil;
    const status = c.revoked ? 'revoked' : 'active';
    const sameTerms = current && current.decision === decision && current.period_start === c.validFrom && current.period_end === periodEnd && current.document_hash === c.documentHash;
    const at = this.now().toISOString();
    const hlc = hlcText(c.hlc);
    const detail = JSON.stringify({ txHash: c.txHash, blockNumber: c.blockNumber, order: orderText(incoming) });
    const insertHistory = this.db.prepare(`INSERT INTO consent_history (consent_id, action, actor, at, detail) VALUES (?, ?, 'chain-sync', ?, ?)`);
    const historyIds: number[] = [];
    const history = (consentId: number, action: string) => historyIds.push(Number(insertHistory.run(consentId, action, at, detail).lastInsertRowid));
    const logged = { chainId: c.chainId, blockNumber: c.blockNumber, blockHash: c.blockHash, logIndex: c.logIndex, seq };
    if (current && sameTerms && c.revoked) {
      // Same terms: only the revocation is new: revoke the row in place, as a local revoke would.
      const before = this.db.prepare(`SELECT status, seq, revoked_reason, hlc, hlc_writer, updated_at FROM consents WHERE id = ?`).get(current.id) as Record<string, unknown>;
      this.db
        .prepare(
          `UPDATE consents SET status = 'revoked', seq = ?, hlc = ?, hlc_writer = ?, revoked_reason = coalesce(revoked_reason, 'revoked on another workstation'), updated_at = ? WHERE id = ?`,
        )
        .run(seq, hlc, writer, at, current.id);
      history(current.id, 'revoke');
      this.log.record(logged, { action: 'revoke', previousId: current.id, previousState: before, insertedId: null, historyIds });
      return 'applied';
    }
    const before = current ? (this.db.prepare(`SELECT status, superseded_by, updated_at FROM consents WHERE id = ?`).get(current.id) as Record<string, unknown>) : null;
    // New terms: a new current row; the old one is superseded and kept as history.
    if (current) this.db.prepare(`UPDATE consents SET status = 'superseded', updated_at = ? WHERE id = ?`).run(at, current.id);
    const inserted = this.db
      .prepare(
        `INSERT INTO consents (external_id, patient_id, grantee, grantee_kind, decision, purpose, category, period_start, period_end, status, document_hash_bin, source, seq, hlc, hlc_writer, created_at, updated_at)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 'chain', ?, ?, ?, ?, ?)`,
      )
      .run(current?.external_id ?? null, patient.id, c.grantee, c.granteeKind, decision, purpose, category, c.validFrom, periodEnd, status, documentHashBytes(c.documentHash), seq, hlc, writer, at, at);
    const id = Number(inserted.lastInsertRowid);
    if (current) {
      this.db.prepare(`UPDATE consents SET superseded_by = ? WHERE id = ?`).run(id, current.id);
      history(current.id, 'supersede');
    }
    history(id, c.revoked ? 'revoke' : 'create');
    this.log.record(logged, { action: 'replace', previousId: current?.id ?? null, previousState: before, insertedId: id, historyIds });
    return 'applied';
  }

  /** The order key of a local row: its stamp, its rank, and its writer (this workstation until the chain echoes it). */
  private localState(r: ConsentRow): LedgerState {
    return { decision: r.decision === 'deny' ? 2 : 1, revoked: r.status === 'revoked', hlc: hlcOfText(r.hlc), writer: r.hlc_writer ?? this.me ?? `0x${'00'.repeat(20)}` };
  }

  private keep(c: ChainConsentChange): void {
    this.db
      .prepare(
        `INSERT OR IGNORE INTO sync_pending_consent_changes (chain_id, block_number, block_hash, log_index, tx_hash, op_key, reason, patient_pseudonym, change_json, first_seen)
         VALUES (?, ?, ?, ?, ?, ?, 'UNKNOWN_PATIENT', ?, ?, ?)`,
      )
      .run(c.chainId, c.blockNumber, c.blockHash, c.logIndex, c.txHash, c.consentKey, c.patientPseudonym, JSON.stringify({ ...c, hlc: c.hlc.toString(), prevHlc: c.prevHlc.toString() }), this.now().toISOString());
  }
}
