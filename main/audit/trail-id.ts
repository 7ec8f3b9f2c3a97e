// The trail id: which root chain of AuditAnchor this database's audit batches belong to (one per workstation
// database). Derived from the database's random sync origin, so it names no person, host or site.
import { AbiCoder, keccak256 } from 'ethers';
import type { Db } from '../db/connection';

export const TRAIL_ID_DOMAIN = 'custodian.audit.trail.v1';

const BYTES32 = /^0x[0-9a-f]{64}$/;

/**
 * keccak256(abi.encode(domain, origin)). Hashed rather than the origin itself, so the trail id on chain says
 * nothing more about the database than that its batches belong together.
 */
export function trailIdOf(origin: string): string {
  const o = origin.toLowerCase();
  if (!BYTES32.test(o) || BigInt(o) === 0n) throw new RangeError('the origin id must be a non-zero bytes32');
  return keccak256(AbiCoder.defaultAbiCoder().encode(['string', 'bytes32'], [TRAIL_ID_DOMAIN, o]));
}

/**
 * This database's trail id. The origin lives in sync_meta because the sync engine made it first (migration 0003
 * creates it once and its triggers keep it fixed); it is read here as a fact of the database, not of the engine.
 */
export function auditTrailId(db: Db): string {
  const row = db.prepare(`SELECT value FROM sync_meta WHERE key = 'origin'`).get() as { value: string } | undefined;
  if (!row) throw new Error('sync_meta has no origin id, so the audit trail has no id: the database was not migrated by 0003_sync.sql');
  return trailIdOf(row.value);
}
