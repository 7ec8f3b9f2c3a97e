// The undo log of pulled consent changes (0007 sync_pulled_consent_changes): what the consent sink did for each
// ConsentChanged event it applied, with the state it replaced. When a reorg removes the event's block, the puller
// asks the sink to undo it, newest first; the change is applied again if and when it lands again.
import type { Db } from '../db/connection';
import type { ChainConsentChange } from './chain-reader';
import { chainConsentWrites } from './store';

export interface PulledChangeRecord {
  action: 'revoke' | 'replace';
  /** The row revoked in place or superseded; null when the change created the key's first row. */
  previousId: number | null;
  /** The columns the change altered on `previousId`, as they were. */
  previousState: Record<string, unknown> | null;
  /** The row the change inserted ('replace'). */
  insertedId: number | null;
  historyIds: number[];
}

export interface RollbackReport {
  /** Changes undone: the consents tables are as before they were pulled. */
  undone: number;
  /** Changes left in place because the rows were changed here since (a local edit builds on them). */
  kept: number;
}

interface LogRow {
  id: number;
  seq: number;
  action: 'revoke' | 'replace';
  previous_id: number | null;
  previous_state: string | null;
  inserted_id: number | null;
  history_ids: string;
}

export class PulledChangeLog {
  constructor(private readonly db: Db) {}

  record(c: Pick<ChainConsentChange, 'chainId' | 'blockNumber' | 'blockHash' | 'logIndex'> & { seq: number }, r: PulledChangeRecord): void {
    this.db
      .prepare(
        `INSERT OR REPLACE INTO sync_pulled_consent_changes (chain_id, block_number, block_hash, log_index, seq, action, previous_id, previous_state, inserted_id, history_ids)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
      )
      .run(c.chainId, c.blockNumber, c.blockHash, c.logIndex, c.seq, r.action, r.previousId, r.previousState ? JSON.stringify(r.previousState) : null, r.insertedId, JSON.stringify(r.historyIds));
  }

  /**
   * Undoes every change pulled from a block above `forkBlock`, newest first. Call inside the rollback's transaction.
   * `removed` hears of each removed change that had replaced a row (undone or kept): that row, and the stamp and
   * writer of the change the chain no longer holds.
   */
  undoAbove(chainId: number, forkBlock: number, removed?: (r: { consentId: number; hlc: string; writer: string }) => void): RollbackReport {
    const rows = this.db
      .prepare(`SELECT id, seq, action, previous_id, previous_state, inserted_id, history_ids FROM sync_pulled_consent_changes WHERE chain_id = ? AND block_number > ? ORDER BY block_number DESC, log_index DESC`)
      .all(chainId, forkBlock) as LogRow[];
    const report: RollbackReport = { undone: 0, kept: 0 };
    for (const row of rows) {
      // The change as it was applied, read before the undo deletes it: the pulled stamp and writer.
      const applied = this.db.prepare(`SELECT hlc, hlc_writer FROM consents WHERE id = ?`).get(row.action === 'revoke' ? row.previous_id : row.inserted_id) as { hlc: string; hlc_writer: string | null } | undefined;
      if (row.previous_id !== null && applied?.hlc_writer) removed?.({ consentId: row.previous_id, hlc: applied.hlc, writer: applied.hlc_writer });
      // One savepoint per change: a row that cannot be undone (referenced since) stays, and the others still go.
      let undone = false;
      try {
        undone = this.db.transaction(() => this.undo(row))();
      } catch {
        // e.g. a row referenced since by a table this log does not know: leaving it is safe, deleting is not.
        undone = false;
      }
      report[undone ? 'undone' : 'kept']++;
      this.db.prepare(`DELETE FROM sync_pulled_consent_changes WHERE id = ?`).run(row.id);
    }
    return report;
  }

  /** Forgets changes from blocks too old to be rolled back any more (the puller's seen-block window). */
  prune(chainId: number, belowBlock: number): void {
    this.db.prepare(`DELETE FROM sync_pulled_consent_changes WHERE chain_id = ? AND block_number < ?`).run(chainId, belowBlock);
  }

  private undo(row: LogRow): boolean {
    const ours = JSON.parse(row.history_ids) as number[];
    const before = row.previous_state ? (JSON.parse(row.previous_state) as Record<string, string | number | null>) : null;
    if (row.action === 'revoke') {
      // Still as the pull left it: revoked at the pulled seq (a local change since would have raised the seq).
      const now = this.db.prepare(`SELECT status, seq FROM consents WHERE id = ?`).get(row.previous_id) as { status: string; seq: number } | undefined;
      if (!now || now.status !== 'revoked' || now.seq !== row.seq || !before || this.foreignHistory(row.previous_id!, ours, true)) return false;
      this.deleteHistory(ours);
      chainConsentWrites.restoreRevoked(this.db, row.previous_id!, before);
      return true;
    }
    const inserted = this.db.prepare(`SELECT status, seq, superseded_by FROM consents WHERE id = ?`).get(row.inserted_id) as { status: string; seq: number; superseded_by: number | null } | undefined;
    if (!inserted || inserted.status === 'superseded' || inserted.superseded_by !== null || inserted.seq !== row.seq || this.foreignHistory(row.inserted_id!, ours, false)) return false;
    this.deleteHistory(ours);
    // The superseded row points at the inserted one: unlink it first, delete, then make it current again (in this
    // order, so neither the foreign key nor the one-current-row-per-external-id index sees two current rows).
    if (row.previous_id !== null) chainConsentWrites.linkSupersededBy(this.db, row.previous_id, null);
    chainConsentWrites.deleteRow(this.db, row.inserted_id!);
    if (row.previous_id !== null && before) chainConsentWrites.restoreSuperseded(this.db, row.previous_id, before);
    return true;
  }

  /**
   * True when someone else wrote history on the row since the pull (a local revoke, an expiry). For a row revoked in
   * place only entries after ours count: its older history is its own.
   */
  private foreignHistory(consentId: number, ours: number[], afterOursOnly: boolean): boolean {
    const last = Math.max(0, ...ours);
    const n = this.db
      .prepare(`SELECT count(*) FROM consent_history WHERE consent_id = ? AND id > ? AND id NOT IN (SELECT value FROM json_each(?))`)
      .pluck()
      .get(consentId, afterOursOnly ? last : 0, JSON.stringify(ours)) as number;
    return n > 0;
  }

  private deleteHistory(ids: number[]): void {
    chainConsentWrites.deleteHistory(this.db, ids);
  }
}
