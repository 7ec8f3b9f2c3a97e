// Rotation of the key that signs tree heads: the NEW key signs a statement naming the old signer and the last head
// it signed (tree size and root). Verify then accepts old-key heads up to that size only, as weak evidence.
// Recorded as an audit entry (so the next head, by the new key, covers it) and as a line of the heads file.
import { getAddress } from 'ethers';
import type { Db } from '../db/connection';
import { appendRotationToFile } from './heads-file';
import { headSignedBy, type HeadSigner } from './heads';
import { toHex } from './log-tree';
import { entryLeaf, lastHeadNaming, TreeBuilder } from './log';
import { keyRotationSchema, ROTATION_ACTION, rotationSignedByNewKey, signKeyRotation, type KeyRotation } from './rotation-statement';
import { recordAudit } from './trail';
import { auditTrailId } from './trail-id';

/** The rotation statements recorded in the audit log (entries of ROTATION_ACTION); malformed ones are skipped. */
export function rotationsInDatabase(db: Db): KeyRotation[] {
  const out: KeyRotation[] = [];
  for (const details of db.prepare('SELECT details FROM audit_log WHERE action = ? ORDER BY id').pluck().iterate(ROTATION_ACTION) as IterableIterator<string>) {
    try {
      const parsed = keyRotationSchema.safeParse((JSON.parse(details) as { rotation?: unknown }).rotation);
      if (parsed.success) out.push(parsed.data);
    } catch {
      // not a statement: verify reports the old heads as forged, which names the gap
    }
  }
  return out;
}

/** Statements from several places, identical copies once (an edited copy stays apart, so its signature is checked). */
export function mergeRotations(...lists: KeyRotation[][]): KeyRotation[] {
  const byContent = new Map<string, KeyRotation>();
  for (const list of lists) {
    for (const r of list) {
      const key = [r.trailId, r.reason, r.oldSigner.toLowerCase(), r.newSigner.toLowerCase(), r.treeSize, r.rootHash, r.timestamp, r.signature].join('|');
      if (!byContent.has(key)) byContent.set(key, r);
    }
  }
  return [...byContent.values()];
}

/**
 * Signs and records the rotation from `oldSigner` to `signer` over the last head `oldSigner` signed, once, before
 * `signer` signs its first head. Refuses (null) when `signer` already signed a head, there is no old-key head, it
 * is already covered, or the log no longer gives its root: a rotation never blesses a head the log contradicts, and
 * a head by the old key after the new key took over stays a forgery. The caller names the retired key (the embedded
 * devnet's dev key #0, retired by its migration to a key of the folder's own).
 */
export function recordKeyRotation(db: Db, dataDir: string, signer: HeadSigner, oldSigner: string, now: () => Date = () => new Date()): KeyRotation | null {
  const oldAddress = getAddress(oldSigner);
  const newAddress = getAddress(signer.address);
  // Every head sealing asks: the common answer (no head by the old key, or the new key took over) costs two lookups.
  if (oldAddress === newAddress || lastHeadNaming(db, oldAddress) === null || lastHeadNaming(db, newAddress) !== null) return null;
  const rotate = db.transaction((): KeyRotation | null => {
    // Only before the new key's first head: afterwards a head by the old key is a forgery, never something to rotate.
    if (lastHeadNaming(db, newAddress) !== null) return null;
    const last = lastHeadNaming(db, oldAddress);
    if (!last || !headSignedBy(last, oldAddress)) return null;
    if (rotationsInDatabase(db).some((r) => getAddress(r.oldSigner) === oldAddress && r.treeSize >= last.treeSize && rotationSignedByNewKey(r, newAddress))) return null;
    if (rootOfPrefix(db, last.treeSize) !== last.rootHash) return null;
    const rotation = signKeyRotation(signer, { trailId: auditTrailId(db), reason: 'public-dev-key', oldSigner: oldAddress, treeSize: last.treeSize, rootHash: last.rootHash, timestamp: now().getTime() });
    recordAudit(db, { actor: null, action: ROTATION_ACTION, outcome: 'success', subject: `heads:1-${last.treeSize}`, details: { rotation } });
    appendRotationToFile(dataDir, rotation);
    return rotation;
  });
  return rotate.immediate();
}

function rootOfPrefix(db: Db, size: number): string {
  const builder = new TreeBuilder();
  for (const hash of db.prepare('SELECT hash FROM audit_log WHERE id <= ? ORDER BY id').pluck().iterate(size) as IterableIterator<string>) builder.push(entryLeaf(hash));
  return builder.size === size ? toHex(builder.root()) : '';
}
