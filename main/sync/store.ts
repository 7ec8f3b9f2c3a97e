// The sync engine's SQL: outbox reads (payloads from the view outbox_events: a copy or rebuilt from its source row,
// migration 0023), batches and their transactions (write-ahead), the sender's nonce and the
// lease. Prepared statements only; every multi-row change in one transaction. Mirror tables live in mirror.ts.
import type { Db } from '../db/connection';
import type { BatchPlan, PendingEvent } from './batcher';
import { kindFilter, OUTBOX_STATE, SET_UPDATED, stateSql, updatedValues } from '../db/outbox-columns';

export type BatchState = 'pending' | 'signed' | 'sent' | 'confirmed' | 'failed' | 'replaced';
export type ErrorSubtype = 'offline' | 'revert' | 'funds' | 'nonce' | 'chain-id' | 'rpc' | 'reorg' | 'replaced' | 'too-large';

export interface BatchRow {
  id: string;
  kind: string;
  contract: string;
  event_count: number;
  estimated_gas: number;
  state: BatchState;
  chain_id: number | null;
  sender: string | null;
  nonce: number | null;
  tx_hash: string | null;
  raw_tx: string | null;
  gas_limit: number | null;
  max_fee_per_gas: string | null;
  max_priority_fee_per_gas: string | null;
  block_number: number | null;
  block_hash: string | null;
  confirmations: number;
  gas_used: number | null;
  attempts: number;
  last_error: string | null;
  error_subtype: ErrorSubtype | null;
  created_at: string;
  signed_at: string | null;
  sent_at: string | null;
  included_at: string | null;
  confirmed_at: string | null;
  updated_at: string;
}

export interface TxRow {
  hash: string;
  batch_id: string;
  chain_id: number;
  sender: string;
  nonce: number;
  raw_tx: string;
  gas_limit: number;
  max_fee_per_gas: string;
  max_priority_fee_per_gas: string;
  state: 'signed' | 'sent' | 'mined' | 'superseded' | 'dropped';
}

export interface SignedTx {
  hash: string;
  raw: string;
  chainId: number;
  sender: string;
  nonce: number;
  gasLimit: bigint;
  maxFeePerGas: bigint;
  maxPriorityFeePerGas: bigint;
}

export interface Inclusion {
  blockNumber: number;
  blockHash: string;
  /** Null when the batch was found by its applied log and its receipt is not served (a node without its history). */
  gasUsed: bigint | null;
  txHash: string;
  confirmations: number;
}

const now = () => new Date().toISOString();
export class SyncStore {
  /** `kinds`: the synced kinds of this build (the registry's); rows of other kinds are neither read nor counted. */
  constructor(
    readonly db: Db,
    readonly kinds: readonly string[] = [],
  ) {}

  /**
   * This database's random origin id (bytes32), made once by migration 0003 and fixed there by triggers; part of
   * every batch id, and the audit trail id is derived from it (audit/trail-id.ts).
   */
  origin(): string {
    const row = this.db.prepare(`SELECT value FROM sync_meta WHERE key = 'origin'`).get() as { value: string } | undefined;
    if (!row) throw new Error('sync_meta has no origin id: the database was not migrated by 0003_sync.sql');
    return row.value;
  }

  /** Pending events of `kinds` (all sync kinds by default; fewer when a contract is not configured). */
  pendingEvents(limit: number, kinds: readonly string[] = this.kinds): PendingEvent[] {
    const k = kindFilter(kinds);
    return this.db
      .prepare(`SELECT id, kind, payload FROM outbox_events WHERE state_code = ${stateSql('pending')} AND ${k.sql} ORDER BY id LIMIT ?`)
      .all(...k.params, limit) as PendingEvent[];
  }

  /** An event whose payload cannot go to the chain: failed with the reason, never batched. */
  rejectEvent(id: number, reason: string): void {
    this.db
      .prepare(`UPDATE outbox SET state_code = ${stateSql('failed')}, last_error = ?, ${SET_UPDATED} WHERE id = ? AND state_code = ${stateSql('pending')}`)
      .run(`SYNC_PAYLOAD_INVALID: ${reason}`, ...updatedValues(now()), id);
  }

  /** Persists planned batches and moves their events to 'batched', all in one transaction. */
  insertBatches(plans: readonly BatchPlan[], contractOf: (kind: string) => string): void {
    const insert = this.db.prepare(`INSERT INTO sync_batches (id, kind, contract, event_count, estimated_gas) VALUES (?, ?, ?, ?, ?)`);
    const claim = this.db.prepare(`UPDATE outbox SET state_code = ${stateSql('batched')}, batch_id = ?, ${SET_UPDATED} WHERE id = ? AND state_code = ${stateSql('pending')}`);
    this.db.transaction(() => {
      const at = now();
      for (const p of plans) {
        insert.run(p.id, p.kind, contractOf(p.kind), p.eventIds.length, p.estimatedGas);
        for (const id of p.eventIds) {
          if (claim.run(p.id, ...updatedValues(at), id).changes !== 1) throw new Error(`outbox event ${id} changed while batching`);
        }
      }
    })();
  }

  batch(id: string): BatchRow | undefined {
    return this.db.prepare(`SELECT * FROM sync_batches WHERE id = ?`).get(id) as BatchRow | undefined;
  }

  batchEvents(id: string): PendingEvent[] {
    return this.db.prepare(`SELECT id, kind, payload FROM outbox_events WHERE batch_id = ? ORDER BY id`).all(id) as PendingEvent[];
  }

  /** Next batch to sign: pending or replaced, oldest first. */
  nextSendable(): BatchRow | undefined {
    return this.db.prepare(`SELECT * FROM sync_batches WHERE state IN ('pending', 'replaced') ORDER BY rowid LIMIT 1`).get() as BatchRow | undefined;
  }

  /** Batches whose transaction is signed or sent and not yet included, by nonce. */
  inFlight(): BatchRow[] {
    return this.db.prepare(`SELECT * FROM sync_batches WHERE state IN ('signed', 'sent') AND block_number IS NULL ORDER BY nonce`).all() as BatchRow[];
  }

  /** Included but not yet at the confirmation depth. */
  awaitingConfirmations(): BatchRow[] {
    return this.db.prepare(`SELECT * FROM sync_batches WHERE state = 'sent' AND block_number IS NOT NULL ORDER BY block_number`).all() as BatchRow[];
  }

  /** Confirmed batches in blocks at or above `fromBlock`: the ones a reorg could still take away. */
  recentConfirmed(fromBlock: number): BatchRow[] {
    return this.db.prepare(`SELECT * FROM sync_batches WHERE state = 'confirmed' AND block_number >= ? ORDER BY block_number`).all(fromBlock) as BatchRow[];
  }

  transactionsOf(batchId: string): TxRow[] {
    return this.db.prepare(`SELECT * FROM sync_transactions WHERE batch_id = ? ORDER BY rowid`).all(batchId) as TxRow[];
  }

  /** Write-ahead: the signed transaction, its hash and the advanced nonce, in one transaction, BEFORE broadcast. */
  recordSigned(batchId: string, tx: SignedTx, replacing: boolean): void {
    this.db.transaction(() => {
      const at = now();
      if (replacing) this.db.prepare(`UPDATE sync_transactions SET state = 'superseded' WHERE batch_id = ? AND state IN ('signed', 'sent')`).run(batchId);
      this.db
        .prepare(
          `INSERT INTO sync_transactions (hash, batch_id, chain_id, sender, nonce, raw_tx, gas_limit, max_fee_per_gas, max_priority_fee_per_gas, state)
           VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, 'signed')`,
        )
        .run(tx.hash, batchId, tx.chainId, tx.sender, tx.nonce, tx.raw, Number(tx.gasLimit), tx.maxFeePerGas.toString(), tx.maxPriorityFeePerGas.toString());
      this.db
        .prepare(
          `UPDATE sync_batches SET state = CASE WHEN ? THEN state ELSE 'signed' END, chain_id = ?, sender = ?, nonce = ?, tx_hash = ?, raw_tx = ?, gas_limit = ?,
             max_fee_per_gas = ?, max_priority_fee_per_gas = ?, attempts = attempts + 1, signed_at = ?, updated_at = ? WHERE id = ?`,
        )
        .run(replacing ? 1 : 0, tx.chainId, tx.sender, tx.nonce, tx.hash, tx.raw, Number(tx.gasLimit), tx.maxFeePerGas.toString(), tx.maxPriorityFeePerGas.toString(), at, at, batchId);
      this.db.prepare(`UPDATE outbox SET attempts = attempts + 1, ${SET_UPDATED} WHERE batch_id = ?`).run(...updatedValues(at), batchId);
      this.setNextNonce(tx.chainId, tx.sender, tx.nonce + 1, true);
    })();
  }

  markSent(batchId: string, hash: string): void {
    this.db.transaction(() => {
      const at = now();
      this.db.prepare(`UPDATE sync_transactions SET state = 'sent' WHERE hash = ? AND state = 'signed'`).run(hash);
      this.db.prepare(`UPDATE sync_batches SET state = 'sent', sent_at = coalesce(sent_at, ?), last_error = NULL, error_subtype = NULL, updated_at = ? WHERE id = ? AND state IN ('signed', 'sent')`).run(at, at, batchId);
      this.db.prepare(`UPDATE outbox SET state_code = ${stateSql('sent')}, last_error = NULL, ${SET_UPDATED} WHERE batch_id = ?`).run(...updatedValues(at), batchId);
    })();
  }

  /** Included in a block (by `inc.txHash`, which may be an earlier price of ours); confirmed at the depth. */
  markIncluded(batchId: string, inc: Inclusion, confirmed: boolean): void {
    this.db.transaction(() => {
      const at = now();
      this.db.prepare(`UPDATE sync_transactions SET state = CASE WHEN hash = ? THEN 'mined' ELSE 'superseded' END WHERE batch_id = ? AND state IN ('signed', 'sent', 'mined')`).run(inc.txHash, batchId);
      this.db
        .prepare(
          `UPDATE sync_batches SET state = ?, tx_hash = ?, block_number = ?, block_hash = ?, gas_used = ?, confirmations = ?, included_at = coalesce(included_at, ?),
             confirmed_at = CASE WHEN ? THEN coalesce(confirmed_at, ?) ELSE NULL END, last_error = NULL, error_subtype = NULL, updated_at = ? WHERE id = ?`,
        )
        .run(confirmed ? 'confirmed' : 'sent', inc.txHash, inc.blockNumber, inc.blockHash, inc.gasUsed === null ? null : Number(inc.gasUsed), inc.confirmations, at, confirmed ? 1 : 0, at, at, batchId);
      this.db.prepare(`UPDATE outbox SET state_code = ?, last_error = NULL, ${SET_UPDATED} WHERE batch_id = ?`).run(OUTBOX_STATE[confirmed ? 'confirmed' : 'sent'], ...updatedValues(at), batchId);
    })();
  }

  /**
   * SYNC_APPLIED_WITHOUT_LOG: the batch's sender-bound id is applied in the contract's storage but no applied event of
   * ours is in any canonical block (a torn node state), so no workstation can pull it. The batch fails with `message`,
   * never confirmed; its events fail with it (what its kind sent again is named in the message). Retrying it changes
   * nothing: the chain refuses the id, and the kind's resend is idempotent.
   */
  markAppliedWithoutLog(batchId: string, message: string): void {
    this.markFailed(batchId, 'revert', message);
  }

  /**
   * Another party used this batch's id first (BATCH_ID_TAKEN): the old batch fails with `message` and keeps its
   * transactions for the record; its events move, in the same transaction, to a new batch `newId` at the back of
   * the queue.
   */
  rekey(oldId: string, newId: string, message: string): void {
    this.db.transaction(() => {
      const at = now();
      const old = this.batch(oldId);
      if (!old) throw new Error(`batch ${oldId} does not exist`);
      this.db.prepare(`INSERT INTO sync_batches (id, kind, contract, event_count, estimated_gas) VALUES (?, ?, ?, ?, ?)`).run(newId, old.kind, old.contract, old.event_count, old.estimated_gas);
      this.db.prepare(`UPDATE sync_transactions SET state = 'dropped' WHERE batch_id = ? AND state IN ('signed', 'sent')`).run(oldId);
      this.db
        .prepare(`UPDATE sync_batches SET state = 'failed', nonce = NULL, raw_tx = NULL, last_error = ?, error_subtype = 'revert', updated_at = ? WHERE id = ?`)
        .run(message, at, oldId);
      this.db.prepare(`UPDATE outbox SET state_code = ${stateSql('batched')}, batch_id = ?, last_error = ?, ${SET_UPDATED} WHERE batch_id = ?`).run(newId, message, ...updatedValues(at), oldId);
    })();
  }

  /**
   * Back to the queue with no transaction: after a reorg removed it, when another transaction took its nonce
   * ('replaced'), or when the node refused it before taking it (funds). The batch id stays: same events, same id.
   */
  requeue(batchId: string, state: 'pending' | 'replaced', subtype: ErrorSubtype | null, message: string | null): void {
    this.db.transaction(() => {
      const at = now();
      this.db.prepare(`UPDATE sync_transactions SET state = 'dropped' WHERE batch_id = ? AND state <> 'dropped'`).run(batchId);
      this.db
        .prepare(
          `UPDATE sync_batches SET state = ?, nonce = NULL, tx_hash = NULL, raw_tx = NULL, block_number = NULL, block_hash = NULL, confirmations = 0,
             gas_used = NULL, included_at = NULL, confirmed_at = NULL, sent_at = NULL, last_error = ?, error_subtype = ?, updated_at = ? WHERE id = ?`,
        )
        .run(state, message, subtype, at, batchId);
      this.db.prepare(`UPDATE outbox SET state_code = ${stateSql('batched')}, last_error = ?, ${SET_UPDATED} WHERE batch_id = ?`).run(message, ...updatedValues(at), batchId);
    })();
  }

  /** Names why the contract skipped one event of an applied batch (the batch stays confirmed). */
  noteEventSkipped(eventId: number, message: string): void {
    this.db.prepare(`UPDATE outbox SET last_error = ?, ${SET_UPDATED} WHERE id = ?`).run(message, ...updatedValues(now()), eventId);
  }

  /** Records an error on a batch without changing its state (transient: the engine retries). */
  noteError(batchId: string, subtype: ErrorSubtype, message: string): void {
    this.db.prepare(`UPDATE sync_batches SET last_error = ?, error_subtype = ?, updated_at = ? WHERE id = ?`).run(message, subtype, now(), batchId);
  }

  /** Parks a batch until someone retries it (a contract revert). */
  markFailed(batchId: string, subtype: ErrorSubtype, message: string): void {
    this.db.transaction(() => {
      const at = now();
      this.db.prepare(`UPDATE sync_transactions SET state = 'dropped' WHERE batch_id = ? AND state IN ('signed', 'sent')`).run(batchId);
      this.db
        .prepare(`UPDATE sync_batches SET state = 'failed', nonce = NULL, tx_hash = NULL, raw_tx = NULL, last_error = ?, error_subtype = ?, updated_at = ? WHERE id = ?`)
        .run(message, subtype, at, batchId);
      this.db.prepare(`UPDATE outbox SET state_code = ${stateSql('failed')}, last_error = ?, ${SET_UPDATED} WHERE batch_id = ?`).run(message, ...updatedValues(at), batchId);
    })();
  }

  /** Splits a never-signed batch back into pending events (its estimate was over the cap). */
  dissolve(batchId: string): void {
    this.db.transaction(() => {
      this.db.prepare(`UPDATE outbox SET state_code = ${stateSql('pending')}, batch_id = NULL, ${SET_UPDATED} WHERE batch_id = ?`).run(...updatedValues(now()), batchId);
      this.db.prepare(`DELETE FROM sync_batches WHERE id = ? AND state IN ('pending', 'replaced')`).run(batchId);
    })();
  }

  retry(batchId: string): boolean {
    const row = this.batch(batchId);
    // A batch whose events moved to a new id (rekey) has nothing left to send.
    if (!row || row.state !== 'failed' || this.batchEvents(batchId).length === 0) return false;
    this.requeue(batchId, 'pending', null, null);
    return true;
  }

  sender(chainId: number, address: string): { next_nonce: number; node_latest: number | null; node_pending: number | null } | undefined {
    return this.db.prepare(`SELECT next_nonce, node_latest, node_pending FROM sync_senders WHERE chain_id = ? AND address = ?`).get(chainId, address) as
      | { next_nonce: number; node_latest: number | null; node_pending: number | null }
      | undefined;
  }

  /** Sets the next nonce; with `onlyUp` it never moves back (a concurrent reconcile cannot undo a signature). */
  setNextNonce(chainId: number, address: string, next: number, onlyUp = false, node?: { latest: number; pending: number }): void {
    this.db
      .prepare(
        `INSERT INTO sync_senders (chain_id, address, next_nonce, node_latest, node_pending, reconciled_at) VALUES (?, ?, ?, ?, ?, ?)
         ON CONFLICT (chain_id, address) DO UPDATE SET
           next_nonce = CASE WHEN ? THEN max(next_nonce, excluded.next_nonce) ELSE excluded.next_nonce END,
           node_latest = coalesce(excluded.node_latest, node_latest), node_pending = coalesce(excluded.node_pending, node_pending),
           reconciled_at = coalesce(excluded.reconciled_at, reconciled_at)`,
      )
      .run(chainId, address, next, node?.latest ?? null, node?.pending ?? null, node ? now() : null, onlyUp ? 1 : 0);
  }

  /** Takes or renews the engine lease; false while another live process holds it. */
  acquireLease(holder: string, pid: number, ttlMs: number, isAlive: (pid: number) => boolean): boolean {
    return this.db.transaction(() => {
      const row = this.db.prepare(`SELECT holder, pid, expires_at FROM sync_lease WHERE name = 'sender'`).get() as { holder: string; pid: number; expires_at: number } | undefined;
      const t = Date.now();
      if (row && row.holder !== holder && row.expires_at > t && isAlive(row.pid)) return false;
      this.db
        .prepare(`INSERT INTO sync_lease (name, holder, pid, expires_at) VALUES ('sender', ?, ?, ?) ON CONFLICT (name) DO UPDATE SET holder = excluded.holder, pid = excluded.pid, expires_at = excluded.expires_at`)
        .run(holder, pid, t + ttlMs);
      return true;
    }).immediate();
  }

  releaseLease(holder: string): void {
    this.db.prepare(`DELETE FROM sync_lease WHERE name = 'sender' AND holder = ?`).run(holder);
  }

  leaseHolder(): { holder: string; pid: number; expires_at: number } | undefined {
    return this.db.prepare(`SELECT holder, pid, expires_at FROM sync_lease WHERE name = 'sender'`).get() as { holder: string; pid: number; expires_at: number } | undefined;
  }

  /** Events not yet confirmed, by kind (pending, batched, sent). */
  queueDepth(): Record<string, number> {
    const k = kindFilter(this.kinds);
    const rows = this.db
      .prepare(`SELECT kind, count(*) AS n FROM outbox WHERE state_code IN (${stateSql('pending')}, ${stateSql('batched')}, ${stateSql('sent')}) AND ${k.sql} GROUP BY kind`)
      .all(...k.params) as { kind: string; n: number }[];
    return Object.fromEntries(rows.map((r) => [r.kind, r.n]));
  }

  listBatches(limit: number, state?: BatchState): BatchRow[] {
    return state
      ? (this.db.prepare(`SELECT * FROM sync_batches WHERE state = ? ORDER BY rowid DESC LIMIT ?`).all(state, limit) as BatchRow[])
      : (this.db.prepare(`SELECT * FROM sync_batches ORDER BY rowid DESC LIMIT ?`).all(limit) as BatchRow[]);
  }

  event(id: number):
    | { id: number; kind: string; payload: string; state: string; batch_id: string | null; attempts: number; last_error: string | null; created_at: string; updated_at: string; replaced_by: number | null }
    | undefined {
    return this.db.prepare(`SELECT id, kind, payload, state, batch_id, attempts, last_error, created_at, updated_at, replaced_by FROM outbox_events WHERE id = ?`).get(id) as never;
  }
}
