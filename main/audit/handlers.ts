// Handlers of the audit channels (main/api/audit.ts): the trail list and CSV report, integrity verification,
// proof bundles, batching on demand and break-glass review. The dispatcher has checked permission and input.
import path from 'node:path';
import type { JsonRpcProvider } from 'ethers';
import type { auditChannels } from '../api/audit';
import type { HandlersFor } from '../api/channel';
import type { Db } from '../db/connection';
import type { RequestContext } from '../runtime/dispatcher';
import { sealDueBatches, toSummary, unbatchedCount, type BatchPolicy } from './batches';
import { saveWithDialog, type FileDialogs } from '../runtime/file-transfer';
import { auditReportFile, writeAuditCsv } from './csv';
import type { HeadSigner, SignedTreeHead } from './heads';
import { recordKeyRotation } from './key-rotation';
import { latestHeadInDatabase, logSize, sealTreeHead } from './log';
import { exportProof, type ChainAccess } from './proof-export';
import { breakGlassEntries, listAuditEntries, reviewBreakGlass } from './queries';
import { verifyAuditTrail, type VerifyOptions } from './verify';

/** What the composition root's ChainRuntime offers, structurally (the audit domain never starts a chain). */
export { exportProof, type ChainAccess };

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
  /** The key that signs tree heads (the sync key), or why there is none. */
  headSigner?: () => Promise<HeadSigner | { unavailable: string }>;
  /** Whether heads are queued for the chain (false when no chain is configured). */
  anchorHeads?: boolean;
  /**
   * A key that signed this folder's heads before the current one and is retired (the embedded devnet's public dev
   * key #0): before the current key's first head, a rotation statement over its heads is signed (key-rotation.ts).
   */
  retiredSigner?: () => string | null;
  /** Electron's save dialog, for audit.saveReport. */
  dialogs?: FileDialogs;
  /** The sealed side tables audit.verify checks (consents/export-seal.ts checkExportPatientSets): see VerifyOptions. */
  exportSets: NonNullable<VerifyOptions['exportSets']>;
}

/** Signs a head over every entry no head covers yet; null with a reason when there is no key. */
export type SealDeps = Pick<AuditDeps, 'db' | 'dataDir' | 'headSigner' | 'anchorHeads' | 'retiredSigner'>;

export async function sealHeadNow(deps: SealDeps): Promise<{ head: SignedTreeHead | null; unsignedReason?: string }> {
  return sealHeadWith(deps, await signerOf(deps));
}

async function signerOf(deps: SealDeps): Promise<HeadSigner | { unavailable: string }> {
  return deps.headSigner ? deps.headSigner() : { unavailable: 'no signing key is configured' };
}

function sealHeadWith(deps: SealDeps, signer: HeadSigner | { unavailable: string }): { head: SignedTreeHead | null; unsignedReason?: string } {
  if ('unavailable' in signer) return logSize(deps.db) > (latestHeadInDatabase(deps.db)?.treeSize ?? 0) ? { head: null, unsignedReason: signer.unavailable } : { head: null };
  const retired = deps.retiredSigner?.() ?? null;
  if (retired) recordKeyRotation(deps.db, deps.dataDir, signer, retired);
  return { head: sealTreeHead(deps.db, { dataDir: deps.dataDir, signer, anchor: deps.anchorHeads ?? true }) };
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
      const base = { depth, dataDir: deps.dataDir, exportSets: deps.exportSets, ...(signer ? { signer } : {}) };
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
    // Each hand-over of a report is its own entry (who took a copy of the trail, when, and which report).
    'audit.reportFile': ({ reportId }, ctx) => {
      const file = auditReportFile(deps.dataDir, reportId);
      ctx.audit({ subject: reportId, details: { transport: 'download', sizeBytes: file.sizeBytes } });
      return file;
    },
    'audit.saveReport': async ({ reportId }, ctx) => {
      const file = auditReportFile(deps.dataDir, reportId);
      if (!deps.dialogs) return saveWithDialog(deps.dialogs, file); // DIALOG_UNAVAILABLE, audited as a failure
      // The entry is committed before the dialog opens: no copy leaves without it (fail closed).
      ctx.commit(() => ctx.audit({ subject: reportId, details: { transport: 'save-dialog', sizeBytes: file.sizeBytes } }));
      return saveWithDialog(deps.dialogs, file);
    },
    'audit.proof': async ({ entryId }, ctx) => {
      const result = await exportProof(db, entryId, deps.chain());
      ctx.audit?.({ subject: `audit:${entryId}`, details: { headSize: result.bundle.head.treeSize, anchorStatus: result.anchorStatus } });
      return result;
    },
    'audit.batchNow': async (_input, ctx) => {
      const signer = await signerOf(deps);
      // Fails closed: the batches and this call's entry commit together, and the head (heads file, outbox) is sealed
      // only after, so an entry that cannot be written leaves nothing sealed, and the head covers the entry itself.
      const sealed = ctx.commit(() => {
        const batches = sealDueBatches(db, { force: true, ...(deps.policy ? { policy: deps.policy } : {}) });
        ctx.audit({ details: { sealed: batches.length, ...(batches.length ? { lastEntryId: batches[batches.length - 1]!.last_id } : {}), signHead: !('unavailable' in signer) } });
        return batches;
      });
      const { head, unsignedReason } = sealHeadWith(deps, signer);
      return { sealed: sealed.map(toSummary), unbatched: unbatchedCount(db), head: head ? { treeSize: head.treeSize, rootHash: head.rootHash } : null, ...(unsignedReason ? { unsignedReason } : {}) };
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
