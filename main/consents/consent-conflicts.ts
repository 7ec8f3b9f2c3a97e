// Consent conflicts: a change of this workstation that lost under the ordering rule (main/sync/README.md), either
// skipped on chain (STALE, FUTURE: read from its own transaction's receipt) or overridden by a pulled change with a
// greater order key before it landed (OVERRIDDEN). One row per outbox event, shown on the Sync page, in
// `custodian sync status` and in the consent's drawer until a person resolves it. Owns consent_conflicts (0011).
import type { Log, TransactionReceipt } from 'ethers';
import type { ConflictReason, ConsentConflictRecord, ConsentConflictSummary } from '../api/sync';
import type { Db } from '../db/connection';
import { contractInterface } from '../sync/contracts';
import { boundBatchIdOf, hlcMillis, hlcOfText, orderText, SKIP_REASONS, stateWordOf, unpackState, wins, type LedgerState } from './consent-state';

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
   * applied it; every ConsentOpSkipped of that batch becomes a conflict of the outbox event at its index.
   */
  fromReceipt(receipt: TransactionReceipt, ledger: string, sender: string, batchId: string, events: readonly { id: number; payload: string }[]): ConsentReceiptOutcome {
    const iface = contractInterface('ConsentLedger');
    const bound = boundBatchIdOf(sender, batchId).toLowerCase();
    const ours = receipt.logs.filter((l: Log) => l.address.toLowerCase() === ledger.toLowerCase()).map((l) => iface.parseLog({ topics: [...l.topics], data: l.data }));
    const applied = ours.some((d) => d?.name === 'BatchApplied' && String(d.args.boundBatchId).toLowerCase() === bound);
    if (!applied) return { applied: false, skipped: 0 };
    const at = this.now().toISOString();
    // A batch included again after a reorg is judged again from its new receipt.
    const clear = this.db.prepare(`DELETE FROM consent_conflicts WHERE outbox_id = ? AND reason <> 'OVERRIDDEN' AND resolution IS NULL`);
    for (const e of events) clear.run(e.id);
    let skipped = 0;
    for (const d of ours) {
      if (d?.name !== 'ConsentOpSkipped' || String(d.args.boundBatchId).toLowerCase() !== bound) continue;
      const event = events[Number(d.args.opIndex)];
      if (!event) continue;
      const p = JSON.parse(event.payload) as { consentId: number; hlc: string; decision: 'permit' | 'deny'; revoked: boolean };
      const mine: LedgerState = { decision: p.decision === 'permit' ? 1 : 2, revoked: p.revoked, hlc: hlcOfText(p.hlc), writer: sender.toLowerCase() };
      const winner = unpackState(BigInt(d.args.storedState as bigint));
      const reason = SKIP_REASONS[Number(d.args.reason) as 1 | 2];
      this.raise({ outboxId: event.id, consentId: p.consentId, opKey: String(d.args.opKey).toLowerCase(), reason, mine, winner, batchId, txHash: receipt.hash, at });
      skipped++;
    }
    return { applied: true, skipped };
  }

  /**
   * A consent batch applied under our sender-bound id whose receipt is gone (a node restarted without its history):
   * each op's outcome from the ledger's current state of its key. Our own state word there: applied. A word that
   * ranks above ours holds the key: OVERRIDDEN, naming that winner (without the receipt the chain cannot say whether
   * our op was skipped as STALE or applied and then replaced; either way the winner's change is what the key holds),
   * unless the winner is our own later change. A word below ours, or none: states only rise, so our op was skipped
   * as FUTURE. The same rows fromReceipt would raise, one per outbox event.
   */
  fromState(outcomes: readonly { event: { id: number; payload: string }; opKey: string; order: bigint; stored: bigint }[], sender: string, batchId: string): { conflicts: number } {
    const at = this.now().toISOString();
    const writer = sender.toLowerCase();
    const clear = this.db.prepare(`DELETE FROM consent_conflicts WHERE outbox_id = ? AND reason <> 'OVERRIDDEN' AND resolution IS NULL`);
    let conflicts = 0;
    for (const o of outcomes) {
      clear.run(o.event.id);
      if (o.stored === stateWordOf(o.order, writer)) continue;
      const p = JSON.parse(o.event.payload) as { consentId: number; hlc: string; decision: 'permit' | 'deny'; revoked: boolean };
      const mine: LedgerState = { decision: p.decision === 'permit' ? 1 : 2, revoked: p.revoked, hlc: hlcOfText(p.hlc), writer };
      const winner = unpackState(o.stored);
      const ranksAbove = winner !== null && wins(winner, mine);
      if (ranksAbove && winner.writer === writer) continue;
      this.raise({ outboxId: o.event.id, consentId: p.consentId, opKey: o.opKey.toLowerCase(), reason: ranksAbove ? 'OVERRIDDEN' : 'FUTURE', mine, winner, batchId, txHash: null, at });
      conflicts++;
    }
    return { conflicts };
  }

  /**
   * A torn batch (sync SYNC_APPLIED_WITHOUT_LOG) whose op A of a key is followed by our own later change B of that key:
   * the ledger holds B, so A is not sent again. A was skipped as STALE exactly when a change of another writer ranking
   * between A and B had landed: every change below B that reached the ledger after the batch was skipped (it holds
   * B), so such a change came first and stayed over A. Its event is in `landed` (state words by op key); the greatest
   * one is the order that stayed, as the receipt would have named it. Otherwise A was applied and followed by B:
   * ordinary succession, nothing to raise (`carried`). When the ledger keeps its skips in storage (`skips`, by outbox
   * event id: ConsentLedger.skipOf), they decide instead, naming the word that stayed as the receipt would have: this
   * also sees another writer's change that is itself torn (no event anywhere). Without them (an older ledger) such a
   * change is not seen.
   */
  skippedBeforeTear(
    followed: readonly { event: { id: number; payload: string }; opKey: string; order: bigint; stored: bigint }[],
    landed: ReadonlyMap<string, readonly bigint[]>,
    sender: string,
    batchId: string,
    skips: ReadonlyMap<number, { reason: 1 | 2; stored: bigint }> | null = null,
  ): { stale: number; carried: number } {
    const writer = sender.toLowerCase();
    const at = this.now().toISOString();
    let stale = 0;
    let carried = 0;
    for (const o of followed) {
      const p = JSON.parse(o.event.payload) as { consentId: number; hlc: string; decision: 'permit' | 'deny'; revoked: boolean };
      const mine: LedgerState = { decision: p.decision === 'permit' ? 1 : 2, revoked: p.revoked, hlc: hlcOfText(p.hlc), writer };
      const later = unpackState(o.stored);
      // Our own word below this op is not a later change: the op was skipped as FUTURE (fromState raised it).
      if (later === null || later.writer !== writer || !wins(later, mine)) continue;
      if (skips) {
        const skip = skips.get(o.event.id);
        if (!skip) {
          carried++;
          continue;
        }
        this.raise({ outboxId: o.event.id, consentId: p.consentId, opKey: o.opKey.toLowerCase(), reason: SKIP_REASONS[skip.reason], mine, winner: unpackState(skip.stored), batchId, txHash: null, at });
        stale++;
        continue;
      }
      const between = (landed.get(o.opKey.toLowerCase()) ?? [])
        .map((w) => unpackState(w))
        .filter((w): w is LedgerState => w !== null && w.writer !== writer && !wins(mine, w) && wins(later, w));
      if (between.length === 0) {
        carried++;
        continue;
      }
      const stayed = between.reduce((a, b) => (wins(b, a) ? b : a));
      this.raise({ outboxId: o.event.id, consentId: p.consentId, opKey: o.opKey.toLowerCase(), reason: 'STALE', mine, winner: stayed, batchId, txHash: null, at });
      stale++;
    }
    return { stale, carried };
  }

  /**
   * A pulled change with a greater order key replaces a row of ours the chain never took: its outbox event lost.
   * Nothing is raised for a row with no event of ours at that stamp (nothing was ever to be sent).
   */
  overridden(consentId: number, hlc: string, mine: LedgerState, winner: LedgerState): void {
    const outboxId = this.db
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
             AND k.purpose = c.purpose AND k.category = c.category WHERE c.id = ?)`,
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
            `SELECT id AS consentId, decision, status, hlc_writer AS writer FROM consents WHERE patient_id = ? AND grantee = ? AND purpose = ? AND category = ? AND status <> 'superseded'
             ORDER BY hlc DESC, id DESC LIMIT 1`,
          )
          .get(key.patientId, key.grantee, key.purpose, key.category) as ConsentConflictSummary['now'] | undefined)
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
