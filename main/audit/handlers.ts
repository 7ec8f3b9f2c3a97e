// Handlers of the audit channels (main/api/audit.ts): the trail list and CSV report, integrity verification,
// proof bundles, batching on demand and break-glass review. The dispatcher has checked permission and input.
import path from 'node:path';
import type { JsonRpcProvider } from 'ethers';
import type { auditChannels, AuditProofResult } from '../api/audit';
import type { HandlersFor } from '../api/channel';
import { AppError } from '../api/errors';
import type { Db } from '../db/connection';
import type { RequestContext } from '../runtime/dispatcher';
import { AuditAnchorReader, type AuditChain } from './anchor-reader';
import { proveEntry, sealDueBatches, toSummary, unbatchedCount, type BatchPolicy } from './batches';
import { writeAuditCsv } from './csv';
import { buildProofBundle } from './proof';
import { auditTrailId } from './trail-id';
import { breakGlassEntries, listAuditEntries, reviewBreakGlass } from './queries';
import { verifyAuditTrail } from './verify';

export type ChainAccess = { chain: AuditChain } | { unavailable: string };

/** What the composition root's ChainRuntime offers, structurally (the audit domain never starts a chain). */
export interface ChainConnectionSource {
  readonly connection: { provider: JsonRpcProvider; endpoint: { chainId: number; contracts: Record<string, string> } } | null;
  readonly current: { state: string; reason?: string };
}

export function chainAccessOf(source: ChainConnectionSource): ChainAccess {
  const conn = source.connection;
  if (!conn) return { unavailable: source.current.state === 'offline' && source.current.reason ? `chain offline: ${source.current.reason}` : `chain ${source.current.state}` };
  const auditAnchor = conn.endpoint.contracts.AuditAnchor;
  if (!auditAnchor) return { unavailable: 'no AuditAnchor contract is configured for this chain' };
  return { chain: { provider: conn.provider, chainId: conn.endpoint.chainId, auditAnchor } };
}

export interface AuditDeps {
  db: Db;
  dataDir: string;
  chain: () => ChainAccess;
  policy?: BatchPolicy;
  /** The workstation's signing address when its key is known: every signed head must be by it. */
  signerAddress?: () => string | null;
}

/** A network failure while reading anchors is "chain unavailable"; any other error is the caller's to see. */
function isChainFailure(err: unknown): boolean {
  if (err instanceof AppError) return false;
  const code = (err as { code?: unknown }).code;
  return typeof code === 'string' && ['NETWORK_ERROR', 'SERVER_ERROR', 'TIMEOUT', 'UNKNOWN_ERROR', 'ECONNREFUSED', 'CALL_EXCEPTION', 'BAD_DATA'].includes(code);
}

/** The proof bundle of one entry: Merkle path from the database, anchoring transaction from the chain. */
export async function exportProof(db: Db, entryId: number, access: ChainAccess): Promise<AuditProofResult> {
  const p = proveEntry(db, entryId);
  const batch = {
    trailId: auditTrailId(db),
    batchId: p.batch.batch_id,
    firstEntryId: p.batch.first_id,
    lastEntryId: p.batch.last_id,
    leafCount: p.batch.leaf_count,
    merkleRoot: p.batch.merkle_root,
    previousRoot: p.batch.previous_root,
  };
  const unanchored = (anchorStatus: AuditProofResult['anchorStatus']): AuditProofResult => ({
    bundle: buildProofBundle({ entry: p.entry, leaf: p.leaf, proof: p.proof, batch, anchor: null }),
    anchorStatus,
  });
  if ('unavailable' in access) return unanchored('chain-unavailable');
  const reader = new AuditAnchorReader(access.chain.provider, access.chain.auditAnchor);
  try {
    const onChain = await reader.anchorOf(batch.batchId);
    if (!onChain) return unanchored('not-anchored');
    if (onChain.merkleRoot !== batch.merkleRoot || onChain.trailId !== batch.trailId) {
      const what = onChain.trailId !== batch.trailId ? `in another audit trail (${onChain.trailId}), not this database's (${batch.trailId})` : `with root ${onChain.merkleRoot}, but the database records ${batch.merkleRoot}`;
      throw new AppError('AUDIT_ANCHOR_MISMATCH', `Batch ${batch.batchId} of entry ${entryId} is anchored ${what}. Run Verify integrity.`, {
        entryId,
        batchId: batch.batchId,
      });
    }
    const log = await reader.findAnchorLog(batch.batchId, { atBlock: onChain.blockNumber, trailId: batch.trailId });
    if (!log) {
      throw new AppError('CHAIN_UNAVAILABLE', `Batch ${batch.batchId} is anchored in block ${onChain.blockNumber}, but the node returned no RootAnchored log for it; try again or use an archive node.`, {
        batchId: batch.batchId,
      });
    }
    return {
      bundle: buildProofBundle({ entry: p.entry, leaf: p.leaf, proof: p.proof, batch, anchor: { ...log, chainId: access.chain.chainId } }),
      anchorStatus: 'anchored',
    };
  } catch (err) {
    if (isChainFailure(err)) return unanchored('chain-unavailable');
    throw err;
  }
}

export function createAuditHandlers(deps: AuditDeps): HandlersFor<typeof auditChannels, RequestContext> {
  const { db } = deps;
  return {
    'audit.list': ({ cursor, limit, ...filter }, ctx) => {
      const page = listAuditEntries(db, filter, { ...(cursor !== undefined ? { cursor } : {}), limit });
      const { patientId, ...rest } = filter;
      ctx.audit?.({ patientId: patientId ?? null, details: { ...rest, returned: page.entries.length } });
      return page;
    },
    'audit.verify': async ({ depth }, ctx) => {
      const access = deps.chain();
      const signer = deps.signerAddress?.() ?? null;
      const base = { depth, dataDir: deps.dataDir, ...(signer ? { signer } : {}) };
      const report = await verifyAuditTrail(db, 'chain' in access ? { ...base, chain: access.chain } : { ...base, chainUnavailable: access.unavailable });
      ctx.audit?.({
        details: {
          depth,
          ok: report.ok,
          entries: report.entries,
          ...(report.firstProblem ? { problem: report.firstProblem.kind, entryId: report.firstProblem.entryId } : {}),
        },
      });
      return report;
    },
    'audit.exportCsv': (filter, ctx) => {
      const result = writeAuditCsv(db, deps.dataDir, filter);
      const { patientId, ...rest } = filter;
      ctx.audit?.({ patientId: patientId ?? null, subject: path.basename(result.path), details: { ...rest, rows: result.rows } });
      return result;
    },
    'audit.proof': async ({ entryId }, ctx) => {
      const result = await exportProof(db, entryId, deps.chain());
      ctx.audit?.({ subject: `audit:${entryId}`, details: { batchId: result.bundle.merkle.batchId, anchorStatus: result.anchorStatus } });
      return result;
    },
    'audit.batchNow': (_input, ctx) => {
      const sealed = sealDueBatches(db, { force: true, ...(deps.policy ? { policy: deps.policy } : {}) });
      ctx.audit?.({ details: { sealed: sealed.length, ...(sealed.length ? { lastEntryId: sealed[sealed.length - 1]!.last_id } : {}) } });
      return { sealed: sealed.map(toSummary), unbatched: unbatchedCount(db) };
    },
    'audit.breakGlass.list': ({ since, limit }) => ({ entries: breakGlassEntries(db, since ?? null, limit) }),
    'audit.breakGlass.review': ({ entryId, note }, ctx) => {
      const review = reviewBreakGlass(db, entryId, ctx.principal, note);
      // The note stays in audit_reviews: free text may name a patient, and audit details carry ids only.
      ctx.audit?.({ subject: `audit:${entryId}` });
      return review;
    },
  };
}
