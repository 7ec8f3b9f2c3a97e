// The local mirror of what the chain holds: pulled events in chain order, the latest state per consent key and
// credential, anchored roots, pull cursors and recently seen block hashes. SQL only; the puller drives it.
import type { Db } from '../db/connection';

export interface PulledEvent {
  blockNumber: number;
  logIndex: number;
  blockHash: string;
  txHash: string;
  contract: string;
  name: string;
  batchId: string | null;
  subject: string;
  data: Record<string, string | number | boolean>;
}

export interface ConsentMirrorRow {
  consent_key: string;
  patient_pseudonym: string;
  grantee: string;
  purpose: string;
  category: string;
  decision: number;
  revoked: number;
  valid_from: number;
  valid_until: number;
  seq: number;
  /** hlc (16 hex) || rank (0/1) || writer (40 hex): text order is the ordering rule's order. */
  order_key: string;
  document_hash: string;
  block_number: number;
  tx_hash: string;
}

export class ChainMirror {
  constructor(
    readonly db: Db,
    readonly chainId: number,
  ) {}

  cursor(contract: string): { block_number: number; block_hash: string } | undefined {
    return this.db.prepare(`SELECT block_number, block_hash FROM sync_cursors WHERE chain_id = ? AND contract = ?`).get(this.chainId, contract) as
      | { block_number: number; block_hash: string }
      | undefined;
  }

  setCursor(contract: string, blockNumber: number, blockHash: string): void {
    this.db
      .prepare(
        `INSERT INTO sync_cursors (chain_id, contract, block_number, block_hash, updated_at) VALUES (?, ?, ?, ?, strftime('%Y-%m-%dT%H:%M:%fZ', 'now'))
         ON CONFLICT (chain_id, contract) DO UPDATE SET block_number = excluded.block_number, block_hash = excluded.block_hash, updated_at = excluded.updated_at`,
      )
      .run(this.chainId, contract, blockNumber, blockHash);
  }

  clearCursor(contract: string): void {
    this.db.prepare(`DELETE FROM sync_cursors WHERE chain_id = ? AND contract = ?`).run(this.chainId, contract);
  }

  seeBlock(blockNumber: number, blockHash: string): void {
    this.db.prepare(`INSERT OR REPLACE INTO sync_seen_blocks (chain_id, block_number, block_hash) VALUES (?, ?, ?)`).run(this.chainId, blockNumber, blockHash);
  }

  seenBlocks(): { number: number; hash: string }[] {
    return this.db.prepare(`SELECT block_number AS number, block_hash AS hash FROM sync_seen_blocks WHERE chain_id = ? ORDER BY block_number DESC`).all(this.chainId) as { number: number; hash: string }[];
  }

  pruneSeen(belowBlock: number): void {
    this.db.prepare(`DELETE FROM sync_seen_blocks WHERE chain_id = ? AND block_number < ?`).run(this.chainId, belowBlock);
  }

  /** Records a pulled event; false when it was already recorded (a re-read after a restart). */
  record(e: PulledEvent): boolean {
    return (
      this.db
        .prepare(
          `INSERT OR IGNORE INTO sync_chain_events (chain_id, block_number, log_index, block_hash, tx_hash, contract, name, batch_id, subject, data)
           VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
        )
        .run(this.chainId, e.blockNumber, e.logIndex, e.blockHash, e.txHash, e.contract, e.name, e.batchId, e.subject, JSON.stringify(e.data)).changes === 1
    );
  }

  /** The order key text the chain holds for a consent key as pulled so far (null: none yet). */
  consentOrderKey(key: string): string | null {
    return (this.db.prepare(`SELECT order_key FROM sync_chain_consents WHERE chain_id = ? AND consent_key = ?`).pluck().get(this.chainId, key) as string | undefined) ?? null;
  }

  applyConsent(row: ConsentMirrorRow): void {
    this.db
      .prepare(
        `INSERT INTO sync_chain_consents (chain_id, consent_key, patient_pseudonym, grantee, purpose, category, decision, revoked, valid_from, valid_until, seq, order_key, document_hash, block_number, tx_hash)
         VALUES (@chain_id, @consent_key, @patient_pseudonym, @grantee, @purpose, @category, @decision, @revoked, @valid_from, @valid_until, @seq, @order_key, @document_hash, @block_number, @tx_hash)
         ON CONFLICT (chain_id, consent_key) DO UPDATE SET decision = excluded.decision, revoked = excluded.revoked, valid_from = excluded.valid_from,
           valid_until = excluded.valid_until, seq = excluded.seq, order_key = excluded.order_key, document_hash = excluded.document_hash, block_number = excluded.block_number, tx_hash = excluded.tx_hash
         WHERE excluded.order_key > sync_chain_consents.order_key`,
      )
      .run({ chain_id: this.chainId, ...row });
  }

  applyCredential(hash: string, status: number, expiresAt: number, issuer: string, blockNumber: number, txHash: string): void {
    this.db
      .prepare(
        `INSERT INTO sync_chain_credentials (chain_id, credential_hash, status, expires_at, issuer, block_number, tx_hash) VALUES (?, ?, ?, ?, ?, ?, ?)
         ON CONFLICT (chain_id, credential_hash) DO UPDATE SET status = excluded.status, expires_at = excluded.expires_at, issuer = excluded.issuer,
           block_number = excluded.block_number, tx_hash = excluded.tx_hash`,
      )
      .run(this.chainId, hash, status, expiresAt, issuer, blockNumber, txHash);
  }

  /** An anchored audit root of any trail (every workstation's roots are mirrored; `index` counts within the trail). */
  applyRoot(r: { trailId: string; batchId: string; merkleRoot: string; leafCount: number; previousRoot: string; index: number; blockNumber: number; blockHash: string; txHash: string }): void {
    this.db
      .prepare(
        `INSERT OR REPLACE INTO sync_chain_audit_roots (chain_id, trail_id, batch_id, merkle_root, leaf_count, previous_root, anchor_index, block_number, block_hash, tx_hash)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
      )
      .run(this.chainId, r.trailId, r.batchId, r.merkleRoot, r.leafCount, r.previousRoot, r.index, r.blockNumber, r.blockHash, r.txHash);
  }

  /**
   * Forgets everything pulled above `forkBlock` and rebuilds the mirrored state of the subjects it touched from
   * the events that remain. Returns the consent keys whose state changed.
   */
  rollbackAbove(forkBlock: number): string[] {
    const touched = this.db
      .prepare(`SELECT DISTINCT name, subject FROM sync_chain_events WHERE chain_id = ? AND block_number > ?`)
      .all(this.chainId, forkBlock) as { name: string; subject: string }[];
    this.db.prepare(`DELETE FROM sync_chain_events WHERE chain_id = ? AND block_number > ?`).run(this.chainId, forkBlock);
    this.db.prepare(`DELETE FROM sync_chain_audit_roots WHERE chain_id = ? AND block_number > ?`).run(this.chainId, forkBlock);
    this.db.prepare(`DELETE FROM sync_seen_blocks WHERE chain_id = ? AND block_number > ?`).run(this.chainId, forkBlock);
    const consentKeys = touched.filter((t) => t.name === 'ConsentChanged').map((t) => t.subject);
    for (const key of consentKeys) {
      this.db.prepare(`DELETE FROM sync_chain_consents WHERE chain_id = ? AND consent_key = ?`).run(this.chainId, key);
      const last = this.lastEvent('ConsentChanged', key);
      if (last) this.applyConsent(consentRowOf(key, last));
    }
    for (const t of touched.filter((x) => x.name === 'CredentialStatusChanged')) {
      this.db.prepare(`DELETE FROM sync_chain_credentials WHERE chain_id = ? AND credential_hash = ?`).run(this.chainId, t.subject);
      const last = this.lastEvent('CredentialStatusChanged', t.subject);
      if (last) this.applyCredential(t.subject, Number(last.data.status), Number(last.data.expiresAt), String(last.data.issuer), last.block_number, last.tx_hash);
    }
    return consentKeys;
  }

  private lastEvent(name: string, subject: string): { data: Record<string, string | number | boolean>; block_number: number; tx_hash: string } | undefined {
    const row = this.db
      .prepare(`SELECT data, block_number, tx_hash FROM sync_chain_events WHERE chain_id = ? AND subject = ? AND name = ? ORDER BY block_number DESC, log_index DESC LIMIT 1`)
      .get(this.chainId, subject, name) as { data: string; block_number: number; tx_hash: string } | undefined;
    return row ? { ...row, data: JSON.parse(row.data) as Record<string, string | number | boolean> } : undefined;
  }

  consents(): ConsentMirrorRow[] {
    return this.db.prepare(`SELECT * FROM sync_chain_consents WHERE chain_id = ? ORDER BY consent_key`).all(this.chainId) as ConsentMirrorRow[];
  }
}

export function consentRowOf(key: string, e: { data: Record<string, string | number | boolean>; block_number: number; tx_hash: string }): ConsentMirrorRow {
  const d = e.data;
  return {
    consent_key: key,
    patient_pseudonym: String(d.patientPseudonym),
    grantee: String(d.grantee),
    purpose: String(d.purpose),
    category: String(d.category),
    decision: Number(d.decision),
    revoked: d.revoked ? 1 : 0,
    valid_from: Number(d.validFrom),
    valid_until: Number(d.validUntil),
    seq: 0,
    order_key: String(d.orderKey),
    document_hash: String(d.documentHash),
    block_number: e.block_number,
    tx_hash: e.tx_hash,
  };
}
