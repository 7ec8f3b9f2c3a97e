// Consent conflicts: a change of this workstation that lost under the ordering rule (main/sync/README.md): skipped
// on chain as FUTURE (read from its own transaction's receipt), STALE (it landed under an earlier change that
// outranks it: the readers' fold, raised when the puller reaches it), or overridden by a pulled change with a greater
// order key before it landed (OVERRIDDEN). One row per outbox event, shown on the Sync page, in
// `custodian sync status` and in the consent's drawer until a person resolves it. Owns consent_conflicts (0011).
import type { Log, TransactionReceipt } from 'ethers';
import type { ConflictReason, ConsentConflictRecord, ConsentConflictSummary } from '../api/sync';
import type { Db } from '../db/connection';
import { contractInterface } from '../sync/contracts';
import { categoryCode, purposeCode } from './compact-columns';
import { boundBatchIdOf, hlcMillis, hlcOfText, orderText, type LedgerState } from './consent-state';

/** The parts of a lost change's outbox event a resolution needs: what it wrote and which key it wrote. */
export interface LostChange {
  change: 'create' | 'revoke' | 'supersede';
  decision: 'permit' | 'deny';
  revoked: boolean;
  hlc: string;
  patientPseudonym: string;
  granteeHash: string;
  purposeHash: string;
  categoryHash: string;
}

/** What a consent batch's own receipt says: applied (by us, under our sender-bound id) and which ops were skipped. */
export interface ConsentReceiptOutcome {
  applied: boolean;
  skipped: number;
}

const SELECT = `SELECT id, outbox_id AS outboxId, consent_id AS consentId, op_key AS opKey, reason, my_order AS myOrder, winning_order AS winningOrder,
  winning_writer AS winningWriter, batch_id AS batchId, tx_hash AS txHash, raised_at AS raisedAt, resolution, resolved_at AS resolvedAt, resolved_by AS resolvedBy
  FROM consent_conflicts`;

export class ConsentConflicts {
  constructor(
    private readonly db: Db,
    private readonly now: () => Date = () => new Date(),
  ) {}

  /**
   * Reads a consent batch's own receipt: its BatchApplied under keccak(sender, batchId) proves this transaction
   * applied it; every ConsentOpSkipped (FUTURE) of that batch becomes a conflict of the outbox event at its index.
   * STALE is not in a receipt: the ledger keeps no state per key, so the puller's fold raises it (stale()).
   */
  fromReceipt(receipt: TransactionReceipt, ledger: string, sender: string, batchId: string, events: readonly { id: number; payload: string }[]): ConsentReceiptOutcome {
    const iface = contractInterface('ConsentLedger');
    const bound = boundBatchIdOf(sender, batchId).toLowerCase();
    const ours = receipt.logs.filter((l: Log) => l.address.toLowerCase() === ledger.toLowerCase()).map((l) => iface.parseLog({ topics: [...l.topics], data: l.data }));
    const applied = ours.some((d) => d?.name === 'BatchApplied' && String(d.args.boundBatchId).toLowerCase() === bound);
    if (!applied) return { applied: false, skipped: 0 };
    const skipped = ours.filter((d) => d?.name === 'ConsentOpSkipped' && String(d.args.boundBatchId).toLowerCase() === bound).map((d) => ({ opIndex: Number(d!.args.opIndex), opKey: String(d!.args.opKey) }));
    return { applied: true, skipped: this.future(skipped, sender, batchId, events, receipt.hash) };
  }

  /**
   * The FUTURE skips of one of our batches (by op index) as conflicts of their outbox events. A batch included again
   * after a reorg is judged again: its earlier FUTURE verdicts go first.
   */
  future(skipped: readonly { opIndex: number; opKey: string }[], sender: string, batchId: string, events: readonly { id: number; payload: string }[], txHash: string | null): number {
    const at = this.now().toISOString();
    const clear = this.db.prepare(`DELETE FROM consent_conflicts WHERE outbox_id = ? AND reason = 'FUTURE' AND resolution IS NULL`);
    for (const e of events) clear.run(e.id);
    let raised = 0;
    for (const s of skipped) {
      const event = events[s.opIndex];
      if (!event) continue;
      const p = JSON.parse(event.payload) as { consentId: number; hlc: string; decision: 'permit' | 'deny'; revoked: boolean };
      const mine: LedgerState = { decision: p.decision === 'permit' ? 1 : 2, revoked: p.revoked, hlc: hlcOfText(p.hlc), writer: sender.toLowerCase() };
      this.raise({ outboxId: event.id, consentId: p.consentId, opKey: s.opKey.toLowerCase(), reason: 'FUTURE', mine, winner: null, batchId, txHash, at });
      raised++;
    }
    return raised;
  }

  /**
   * A change of ours that landed STALE (the puller's fold: an earlier change on chain outranks it, `winner`): the
   * conflict of its outbox event, naming the change that stayed. Nothing is raised for a row with no event of ours at
   * that stamp.
   */
  stale(consentId: number, hlc: string, opKey: string, mine: LedgerState, winner: LedgerState, batchId: string | null, txHash: string | null): boolean {
    const outboxId = this.outboxIdOf(consentId, hlc);
    if (outboxId === undefined) return false;
    this.raise({ outboxId, consentId, opKey: opKey.toLowerCase(), reason: 'STALE', mine, winner, batchId, txHash, at: this.now().toISOString() });
    return true;
  }

  /**
   * A reorg removed pulled blocks: a STALE verdict whose transaction the mirror no longer holds is withdrawn (unless a
   * person resolved it); pulling the transaction again, wherever it lands, judges it again.
   */
  withdrawStale(chainId: number): number {
    return this.db
      .prepare(
        `DELETE FROM consent_conflicts WHERE reason = 'STALE' AND resolution IS NULL AND tx_hash IS NOT NULL
           AND tx_hash NOT IN (SELECT tx_hash FROM sync_chain_events WHERE chain_id = ?)`,
      )
      .run(chainId).changes;
  }

  /**
   * A change sent again as a new outbox event (a torn batch, SYNC_APPLIED_WITHOUT_LOG): its conflict, raised while it
   * waited, follows it to the event that carries it now, as the rule judges it there.
   */
  follow(oldOutboxId: number, newOutboxId: number): void {
    this.db.prepare(`UPDATE OR IGNORE consent_conflicts SET outbox_id = ? WHERE outbox_id = ?`).run(newOutboxId, oldOutboxId);
  }

  /** The outbox event of a consent row's change at stamp `hlc`, if this workstation wrote one. */
  private outboxIdOf(consentId: number, hlc: string): number | undefined {
    return this.db
      // The consent's events: by reference (outbox_refs, migration 0023) or as copies; only these are rebuilt. A
      // payload whose source is gone reads '' (nullif: json_extract would raise on it).
      .prepare(
        `SELECT id FROM outbox_events WHERE kind = 'consent.change'
            AND id IN (SELECT outbox_id FROM outbox_refs WHERE source_id = ? UNION ALL
                       SELECT id FROM outbox WHERE kind = 'consent.change' AND json_extract(nullif(payload, ''), '$.consentId') = ?)
            AND json_extract(nullif(payload, ''), '$.hlc') = ? ORDER BY id DESC LIMIT 1`,
      )
      .pluck()
      .get(consentId, consentId, hlc) as number | undefined;
  }

  /**
   * A pulled change with a greater order key replaces a row of ours the chain never took: its outbox event lost.
   * Nothing is raised for a row with no event of ours at that stamp (nothing was ever to be sent).
   */
  overridden(consentId: number, hlc: string, mine: LedgerState, winner: LedgerState): void {
    const outboxId = this.outboxIdOf(consentId, hlc);
    if (outboxId === undefined) return;
    this.raise({ outboxId, consentId, opKey: '', reason: 'OVERRIDDEN', mine, winner, batchId: null, txHash: null, at: this.now().toISOString() });
  }

  /**
   * A reorg removed the pulled change that overrode a row of ours (and the undo made that row current again): the
   * conflict it raised named a winner the chain no longer holds, so it goes, unless a person already resolved it.
   * If the change lands again, pulling it raises the conflict again.
   */
  withdrawOverridden(consentId: number, winner: { hlc: string; writer: string }): number {
    // Any row of the consent's key: the winner may also have replaced an earlier change of ours (consent-sink.ts).
    return this.db
      .prepare(
        `DELETE FROM consent_conflicts WHERE reason = 'OVERRIDDEN' AND resolution IS NULL AND winning_writer = ? AND substr(winning_order, 1, 16) = ?
           AND consent_id IN (SELECT k.id FROM consents c JOIN consents k ON k.patient_id = c.patient_id AND k.grantee = c.grantee AND k.grantee_kind = c.grantee_kind
             AND k.purpose_code = c.purpose_code AND k.category_code = c.category_code WHERE c.id = ?)`,
      )
      .run(winner.writer.toLowerCase(), winner.hlc, consentId).changes;
  }

  private raise(c: { outboxId: number; consentId: number; opKey: string; reason: ConflictReason; mine: LedgerState; winner: LedgerState | null; batchId: string | null; txHash: string | null; at: string }): void {
    this.db
      .prepare(
        `INSERT INTO consent_conflicts (outbox_id, consent_id, op_key, reason, my_order, winning_order, winning_writer, batch_id, tx_hash, raised_at)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
         ON CONFLICT (outbox_id) DO UPDATE SET batch_id = coalesce(excluded.batch_id, batch_id), tx_hash = coalesce(excluded.tx_hash, tx_hash),
           op_key = CASE WHEN excluded.op_key <> '' THEN excluded.op_key ELSE op_key END`,
      )
      .run(c.outboxId, c.consentId, c.opKey, c.reason, orderText(c.mine), c.winner ? orderText(c.winner) : null, c.winner?.writer ?? null, c.batchId, c.txHash, c.at);
  }

  list(opts: { open?: boolean; consentId?: number; limit?: number } = {}): ConsentConflictRecord[] {
    const where: string[] = [];
    const args: unknown[] = [];
    if (opts.open) where.push('resolution IS NULL');
    if (opts.consentId !== undefined) {
      // A conflict belongs to the consent's whole key history: the row that lost is superseded by the winner.
      where.push(`consent_id IN (WITH RECURSIVE chain(id) AS (SELECT ? UNION SELECT c.id FROM consents c JOIN chain ON c.superseded_by = chain.id) SELECT id FROM chain)`);
      args.push(opts.consentId);
    }
    const sql = `${SELECT}${where.length ? ` WHERE ${where.join(' AND ')}` : ''} ORDER BY id DESC LIMIT ?`;
    return this.db.prepare(sql).all(...args, opts.limit ?? 500) as ConsentConflictRecord[];
  }

  openCount(): number {
    return this.db.prepare(`SELECT count(*) FROM consent_conflicts WHERE resolution IS NULL`).pluck().get() as number;
  }

  byId(id: number): ConsentConflictRecord | undefined {
    return this.db.prepare(`${SELECT} WHERE id = ?`).get(id) as ConsentConflictRecord | undefined;
  }

  /** The outbox event that lost, or undefined when it is gone. */
  lostChange(row: Pick<ConsentConflictRecord, 'outboxId'>): LostChange | undefined {
    const payload = this.db.prepare(`SELECT payload FROM outbox_events WHERE id = ? AND kind = 'consent.change'`).pluck().get(row.outboxId) as string | undefined;
    // '' is an event whose source row is gone (migration 0023): nothing to show or re-apply.
    return payload === undefined || payload === '' ? undefined : (JSON.parse(payload) as LostChange);
  }

  /**
   * The first change this workstation wrote to the same key after the lost one, if any: re-applying the lost change
   * would then undo the person's own later decision.
   */
  laterOwnChange(row: Pick<ConsentConflictRecord, 'outboxId'>, lost: LostChange): number | undefined {
    return this.db
      .prepare(
        `SELECT id FROM outbox_events WHERE kind = 'consent.change' AND id > ? AND json_extract(nullif(payload, ''), '$.patientPseudonym') = ? AND json_extract(nullif(payload, ''), '$.granteeHash') = ?
           AND json_extract(nullif(payload, ''), '$.purposeHash') = ? AND json_extract(nullif(payload, ''), '$.categoryHash') = ? ORDER BY id LIMIT 1`,
      )
      .pluck()
      .get(row.outboxId, lost.patientPseudonym, lost.granteeHash, lost.purposeHash, lost.categoryHash) as number | undefined;
  }

  /**
   * A conflict for the people who resolve it: the consent's key (patient number, never a name or MRN), what was
   * written here, and what the consent shows now (the key's current row: the winner, once pulled).
   */
  /** The patient of a conflict's consent, for the audit entry of its resolution. */
  patientIdOf(consentId: number): number | null {
    return (this.db.prepare(`SELECT patient_id FROM consents WHERE id = ?`).pluck().get(consentId) as number | undefined) ?? null;
  }

  summary(row: ConsentConflictRecord): ConsentConflictSummary {
    const key = this.db.prepare(`SELECT patient_id AS patientId, grantee, grantee_kind AS granteeKind, purpose, category FROM consents WHERE id = ?`).get(row.consentId) as
      | ConsentConflictSummary['consent']
      | undefined;
    const now = key
      ? (this.db
          .prepare(
            `SELECT id AS consentId, decision, status, hlc_writer AS writer FROM consents WHERE patient_id = ? AND grantee = ? AND purpose_code = ? AND category_code = ? AND status <> 'superseded'
             ORDER BY hlc DESC, id DESC LIMIT 1`,
          )
          .get(key.patientId, key.grantee, purposeCode(key.purpose), categoryCode(key.category)) as ConsentConflictSummary['now'] | undefined)
      : undefined;
    const lost = this.lostChange(row);
    const at = (order: string) => new Date(hlcMillis(hlcOfText(order.slice(0, 16)))).toISOString();
    return {
      ...row,
      myAt: at(row.myOrder),
      winningAt: row.winningOrder ? at(row.winningOrder) : null,
      consent: key ?? null,
      mine: lost ? { change: lost.change, decision: lost.decision, revoked: lost.revoked } : null,
      now: now ?? null,
    };
  }

  /** Marks a conflict resolved; false when it was already. */
  resolve(id: number, resolution: 'accepted' | 'reapplied', by: string): boolean {
    return this.db.prepare(`UPDATE consent_conflicts SET resolution = ?, resolved_at = ?, resolved_by = ? WHERE id = ? AND resolution IS NULL`).run(resolution, this.now().toISOString(), by, id).changes === 1;
  }
}
