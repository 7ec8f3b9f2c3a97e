// Builds the proof bundle of one entry from the database and the chain: the first signed head covering it, the
// inclusion proof, and the consistency proof to the latest head the workstation anchored (proof.ts checks them).
import type { AuditProofResult } from '../api/audit';
import { AppError } from '../api/errors';
import type { Db } from '../db/connection';
import { AuditAnchorReader, type AuditChain } from './anchor-reader';
import { entryLeaf, headsInDatabase } from './log';
import { consistencyProof, inclusionProof, rootOf, toHex } from './log-tree';
import { PROOF_FORMAT } from './proof';
import { entryHash, type AuditEntry } from './trail';

export type ChainAccess = { chain: AuditChain } | { unavailable: string };

/** A network failure while reading anchors is "chain unavailable"; any other error is the caller's to see. */
export function isChainFailure(err: unknown): boolean {
  if (err instanceof AppError) return false;
  const code = (err as { code?: unknown }).code;
  return typeof code === 'string' && ['NETWORK_ERROR', 'SERVER_ERROR', 'TIMEOUT', 'UNKNOWN_ERROR', 'ECONNREFUSED', 'CALL_EXCEPTION', 'BAD_DATA'].includes(code);
}

export async function exportProof(db: Db, entryId: number, access: ChainAccess, now = new Date()): Promise<AuditProofResult> {
  const entry = db.prepare('SELECT * FROM audit_log WHERE id = ?').get(entryId) as AuditEntry | undefined;
  if (!entry) throw new AppError('AUDIT_ENTRY_NOT_FOUND', `There is no audit entry ${entryId}.`, { entryId });
  const { hash, ...fields } = entry;
  if (entryHash(fields) !== hash) {
    throw new AppError('AUDIT_TAMPERED', `Audit entry ${entryId} was changed: its fields no longer match its recorded hash, so no proof is exported. Run Verify integrity.`, { entryId });
  }
  const head = headsInDatabase(db).find((h) => h.treeSize >= entryId);
  if (!head) {
    throw new AppError('AUDIT_NOT_SIGNED', `Audit entry ${entryId} is after the last signed head; a head is signed within a minute of activity (or run "custodian audit seal").`, { entryId });
  }
  const leaves = (db.prepare('SELECT hash FROM audit_log ORDER BY id').pluck().all() as string[]).map(entryLeaf);
  if (toHex(rootOf(leaves, head.treeSize)) !== head.rootHash) {
    throw new AppError('AUDIT_TAMPERED', `Audit entry ${entryId} cannot be proven: entries 1–${head.treeSize} no longer give their signed root. Run Verify integrity.`, { entryId });
  }
  const bundle: AuditProofResult['bundle'] = {
    format: PROOF_FORMAT,
    entry: { ...entry },
    leafIndex: entryId - 1,
    head: { ...head },
    inclusion: inclusionProof(entryId - 1, leaves, head.treeSize).map(toHex),
    anchor: null,
    exportedAt: now.toISOString(),
  };
  if ('unavailable' in access) return { bundle, anchorStatus: 'chain-unavailable' };
  const reader = new AuditAnchorReader(access.chain.provider, access.chain.auditAnchor);
  try {
    const latest = await reader.latestHeadOf(head.signer);
    if (!latest || latest.treeSize < head.treeSize) return { bundle, anchorStatus: 'not-anchored' };
    if (latest.treeSize > leaves.length || toHex(rootOf(leaves, latest.treeSize)) !== latest.rootHash) {
      throw new AppError('AUDIT_ANCHOR_MISMATCH', `The head of ${latest.treeSize} entries anchored by ${head.signer} does not match this log: it was rewritten or truncated. Run Verify integrity.`, { entryId, treeSize: latest.treeSize });
    }
    const log = await reader.findHeadLog(head.signer, latest.treeSize, latest.blockNumber);
    if (!log) {
      throw new AppError('CHAIN_UNAVAILABLE', `The head of ${latest.treeSize} entries is anchored in block ${latest.blockNumber}, but the node returned no HeadAnchored log for it; try again or use an archive node.`, { treeSize: latest.treeSize });
    }
    bundle.anchor = {
      chainId: access.chain.chainId,
      contract: log.contract,
      trail: log.trail,
      treeSize: latest.treeSize,
      rootHash: latest.rootHash,
      consistency: consistencyProof(head.treeSize, latest.treeSize, leaves).map(toHex),
      txHash: log.txHash,
      blockNumber: log.blockNumber,
      blockHash: log.blockHash,
      logIndex: log.logIndex,
    };
    return { bundle, anchorStatus: 'anchored' };
  } catch (err) {
    if (isChainFailure(err)) return { bundle, anchorStatus: 'chain-unavailable' };
    throw err;
  }
}
