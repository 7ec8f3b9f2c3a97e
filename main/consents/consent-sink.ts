// Applies consent changes pulled from the chain (opened with the facility key) to the consents tables of 0002: the
// ordering rule decides (main/sync/README.md: the greatest (hlc, rank, writer) wins), so workstations converge
// whatever order they pull in. Never writes the outbox, so a pulled change is not sent back. A change whose patient
// this workstation does not know is kept (sync_pending_consent_changes) and applied when the patient appears; one
// that did not open, or whose writer is not a registered signer of this facility, is kept as a problem. A pulled
// change that overrides a change of this workstation that never landed raises a conflict (consent-conflicts.ts).
// Each applied change is logged with the state it replaced (0009), so a reorg that removes its block undoes it here
// too (pull-undo.ts).
import type { Db } from '../db/connection';
import { categoryCode, purposeCode } from './compact-columns';
import { CATEGORY_HASHES, PURPOSE_HASHES } from './outbox-events';
import { ConsentConflicts } from './consent-conflicts';
import { hlcOfText, hlcText, orderKeyOf, orderText, stateOfOrderText, type LedgerState } from './consent-state';
import type { ChainConsentChange, ConsentChainSink, UnopenableConsentChange } from './chain-reader';
import { PATIENT_BY_PSEUDONYM, pseudonymBytes } from './patient-columns';
import { PulledChangeLog, type RollbackReport } from './pull-undo';
import { chainConsentWrites } from './store';

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

  /**
   * A pulled change that never held its key (the fold: `stayedOrder` outranks it). When it is this workstation's own,
   * the conflict of its outbox event names the change that stayed: the writer is told, its table is not flipped.
   */
  consentStale(c: ChainConsentChange, stayedOrder: string): void {
    if (this.me === null || c.writer.toLowerCase() !== this.me) return;
    // Under our own change (a later one of ours, or this very change landed twice): succession, not a loss.
    const stayed = stateOfOrderText(stayedOrder);
    if (stayed.writer === this.me) return;
    const patient = this.patientOf(c.patientPseudonym);
    const purpose = PURPOSE_BY_HASH.get(c.purposeHash);
    const category = CATEGORY_BY_HASH.get(c.categoryHash);
    if (!patient || !purpose || !category) return;
    const hlc = hlcText(c.hlc);
    const row = this.db
      .prepare(`SELECT id FROM consents WHERE patient_id = ? AND grantee = ? AND grantee_kind = ? AND purpose_code = ? AND category_code = ? AND hlc = ? ORDER BY id DESC LIMIT 1`)
      .get(patient.id, c.grantee, c.granteeKind, purposeCode(purpose), categoryCode(category), hlc) as { id: number } | undefined;
    if (!row) return;
    const mine: LedgerState = { decision: c.decision === 'permit' ? 1 : 2, revoked: c.revoked, hlc: c.hlc, writer: this.me };
    this.conflicts.stale(row.id, hlc, c.consentKey, mine, stayed, c.batchId, c.txHash);
  }

  /** After a reorg: STALE verdicts from transactions the mirror no longer holds go; re-pulled, they are judged again. */
  staleWithdrawn(chainId: number): number {
    return this.conflicts.withdrawStale(chainId);
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
         WHERE reason = 'UNKNOWN_PATIENT'
           AND EXISTS (SELECT 1 FROM patients p WHERE p.pseudonym_bin = unhex(substr(patient_pseudonym, 3)) AND p.pseudonym = patient_pseudonym)
         ORDER BY block_number, log_index`,
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

  /** The patient of a pseudonym, found through the unique index on its 32 bytes (none for text in another form). */
  private patientOf(pseudonym: string): { id: number } | undefined {
    const bytes = pseudonymBytes(pseudonym);
    return bytes ? (this.db.prepare(PATIENT_BY_PSEUDONYM).get(bytes) as { id: number } | undefined) : undefined;
  }

  apply(c: ChainConsentChange, fromPending = false): SinkOutcome {
    const patient = this.patientOf(c.patientPseudonym);
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
         WHERE patient_id = ? AND grantee = ? AND grantee_kind = ? AND purpose_code = ? AND category_code = ?`,
      )
      .all(patient.id, c.grantee, c.granteeKind, purposeCode(purpose), categoryCode(category)) as ConsentRow[];
    const current = keyRows.filter((r) => r.status !== 'superseded').sort((x, y) => (x.hlc === y.hlc ? y.id - x.id : x.hlc < y.hlc ? 1 : -1))[0];
    const incoming: LedgerState = { decision: c.decision === 'permit' ? 1 : 2, revoked: c.revoked, hlc: c.hlc, writer: c.writer.toLowerCase() };
    const writer = incoming.writer;
    if (current) {
      const local = this.localState(current);
      // Our own change came back from the chain: it landed; remember who wrote it.
      if (current.hlc_writer === null && this.me !== null && writer === this.me && incoming.hlc === local.hlc) {
        chainConsentWrites.setWriter(this.db, current.id, writer);
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
      this.replacedUnseen(c, keyRows, current, incoming);
    }

    const seq = keyRows.reduce((m, r) => Math.max(m, r.seq), 0) + 1;
    const decision = c.decision;
    const periodEnd = c.validUntil === 0 ? null : c.validUntil;
    const status = c.revoked ? 'revoked' : 'active';
    const sameTerms = current && current.decision === decision && current.period_start === c.validFrom && current.period_end === periodEnd && current.document_hash === c.documentHash;
    const at = this.now().toISOString();
    const hlc = hlcText(c.hlc);
    const detail = JSON.stringify({ txHash: c.txHash, blockNumber: c.blockNumber, order: orderText(incoming) });
    const historyIds: number[] = [];
    const history = (consentId: number, action: string) => historyIds.push(chainConsentWrites.insertHistory(this.db, consentId, action, at, detail));
    const logged = { chainId: c.chainId, blockNumber: c.blockNumber, blockHash: c.blockHash, logIndex: c.logIndex, seq };
    if (current && sameTerms && c.revoked) {
      // Same terms: only the revocation is new: revoke the row in place, as a local revoke would.
      const before = this.db.prepare(`SELECT status, seq, revoked_reason, hlc, hlc_writer, updated_at FROM consents WHERE id = ?`).get(current.id) as Record<string, unknown>;
      chainConsentWrites.revokeInPlace(this.db, current.id, { seq, hlc, writer, at });
      history(current.id, 'revoke');
      this.log.record(logged, { action: 'revoke', previousId: current.id, previousState: before, insertedId: null, historyIds });
      return 'applied';
    }
    const before = current ? (this.db.prepare(`SELECT status, superseded_by, updated_at FROM consents WHERE id = ?`).get(current.id) as Record<string, unknown>) : null;
    // New terms: a new current row; the old one is superseded and kept as history.
    if (current) chainConsentWrites.markSuperseded(this.db, current.id, at);
    const id = chainConsentWrites.insert(this.db, {
      externalId: current?.external_id ?? null,
      patientId: patient.id,
      grantee: c.grantee,
      granteeKind: c.granteeKind,
      decision,
      purpose,
      category,
      periodStart: c.validFrom,
      periodEnd,
      status,
      documentHash: c.documentHash,
      seq,
      hlc,
      writer,
      at,
    });
    if (current) {
      chainConsentWrites.linkSupersededBy(this.db, current.id, id);
      history(current.id, 'supersede');
    }
    history(id, c.revoked ? 'revoke' : 'create');
    this.log.record(logged, { action: 'replace', previousId: current?.id ?? null, previousState: before, insertedId: id, historyIds });
    return 'applied';
  }

  /**
   * The chain word this change replaced (`replacedOrder`, from the mirror) was a landed change of ours that is no
   * longer our current row (we wrote the key again since), and the change's writer had not seen it: that earlier
   * change lost too, to the same winner, although our later one is what the current row compares. The conflict of our
   * current row does not name it (the convergence bench's judge found these).
   */
  private replacedUnseen(c: ChainConsentChange, keyRows: readonly ConsentRow[], current: ConsentRow, incoming: LedgerState): void {
    const replaced = c.replacedOrder;
    if (!replaced || this.me === null || `0x${replaced.slice(17)}` !== this.me) return;
    const hlc = replaced.slice(0, 16);
    if (hlc === current.hlc || c.prevHlc >= hlcOfText(hlc)) return;
    const row = keyRows.find((r) => r.hlc === hlc && (r.hlc_writer === null || r.hlc_writer === this.me));
    if (!row) return;
    const deny = row.decision === 'deny';
    const mine: LedgerState = { decision: deny ? 2 : 1, revoked: replaced[16] === '1' && !deny, hlc: hlcOfText(hlc), writer: this.me };
    this.conflicts.overridden(row.id, row.hlc, mine, incoming);
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
