// Which signing address answers for each payer id (table claim_payers), and the claims waiting for it: a passing
// claim is addressed on chain by a commitment to its payer's address, so it is queued only once that address is known.
import { getAddress } from 'ethers';
import { AppError } from '../api/errors';
import type { Db } from '../db/connection';
import { queueClaimRecord } from './store';

/** Passing claims of `payerId` that wait for its address (or all payers' when omitted). */
export function claimsWaitingForPayer(db: Db, payerId?: string): number {
  const sql = `SELECT count(*) FROM claims WHERE verdict = 'pass' AND outbox_id IS NULL AND chain_salt IS NOT NULL AND chain_status = 'pending'`;
  return (payerId === undefined ? db.prepare(sql).pluck().get() : db.prepare(`${sql} AND payer_id = ?`).pluck().get(payerId)) as number;
}

/**
 * Records that `address` answers for `payerId` here and queues that payer's waiting claims, in one transaction.
 * A changed address applies to claims queued from now on; claims already on chain stay addressed to the old one.
 * Staff reach it only through the channel claims.payers.register, whose dispatcher entry records the change.
 */
export function setPayerAddress(db: Db, payerId: string, address: string, now: Date = new Date()): { payerId: string; address: string; queued: number } {
  const id = payerId.trim();
  if (!id || id.length > 64) throw new AppError('VALIDATION_FAILED', 'payer register needs a PAYER_ID of 1 to 64 characters.');
  let account: string;
  try {
    account = getAddress(address);
  } catch {
    throw new AppError('VALIDATION_FAILED', `ADDRESS must be a 0x-prefixed 20-byte address with a valid checksum (or all lower case), got ${JSON.stringify(address)}.`);
  }
  return db.transaction(() => {
    const at = now.toISOString();
    db.prepare(`INSERT INTO claim_payers (payer_id, address, created_at, updated_at) VALUES (?, ?, ?, ?)
                ON CONFLICT (payer_id) DO UPDATE SET address = excluded.address, updated_at = excluded.updated_at`).run(id, account, at, at);
    const waiting = db
      .prepare(`SELECT id, chain_salt, chain_commitment FROM claims WHERE payer_id = ? AND verdict = 'pass' AND outbox_id IS NULL AND chain_salt IS NOT NULL AND chain_status = 'pending' ORDER BY id`)
      .all(id) as { id: number; chain_salt: string; chain_commitment: string }[];
    for (const c of waiting) queueClaimRecord(db, c.id, c.chain_salt, c.chain_commitment, account);
    return { payerId: id, address: account, queued: waiting.length };
  })();
}
