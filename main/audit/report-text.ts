// Plain-text renderings of a verification report and a proof check, for `custodian audit verify` and
// `custodian audit check-proof`. Pure; the CLI prints them, scripts use --json instead.
import type { AuditBatchSummary, AuditVerifyReport, ProofCheckResult } from '../api/audit';

export function formatVerifyReport(r: AuditVerifyReport): string {
  const chain = r.chain.state === 'checked' ? `compared with AuditAnchor ${r.chain.contract} on chain ${r.chain.chainId}` : `not compared with the chain (${r.chain.reason})`;
  const lines = [
    `Audit trail: ${r.entries} entries${r.lastEntryId !== null ? ` (last ${r.lastEntryId})` : ''}, ${r.unbatchedEntries} not yet batched; ${r.depth} check in ${r.durationMs} ms.`,
    `Batches:     ${r.batches.total} (${r.batches.anchored} anchored, ${r.batches.notAnchored} not yet anchored, ${r.batches.mismatched} mismatched, ${r.batches.unchecked} unchecked); ${chain}.`,
  ];
  if (r.firstProblem) lines.push(`FIRST PROBLEM: ${r.firstProblem.message}`);
  for (const p of r.batchProblems) lines.push(`  batch ${p.batchId} (${p.firstId}–${p.lastId}): ${p.message}`);
  for (const w of r.warnings) lines.push(`Note: ${w}`);
  lines.push(r.ok ? 'Integrity OK.' : 'Integrity check FAILED.');
  return lines.join('\n');
}

export function formatProofCheck(r: ProofCheckResult): string {
  const mark = (ok: boolean | null) => (ok === true ? 'ok  ' : ok === false ? 'FAIL' : 'skip');
  const lines = r.steps.map((s) => `${mark(s.ok)} ${s.name.padEnd(20)} ${s.message}`);
  if (r.ok) lines.push(`Proof OK: entry ${r.entryId} is in an anchored batch and unchanged.`);
  else if (r.offlineOk && !r.onChainChecked) lines.push(`Merkle proof OK offline; the anchoring was NOT checked (pass --rpc URL).`);
  else lines.push(`Proof FAILED: ${r.steps.find((s) => s.ok === false)?.message ?? 'see above'}`);
  return lines.join('\n');
}

export function formatBatches(sealed: AuditBatchSummary[], unbatched: number): string {
  if (sealed.length === 0) return `No entries to batch (${unbatched} waiting).`;
  const lines = sealed.map((b) => `Sealed batch ${b.batchId}: entries ${b.firstId}–${b.lastId} (${b.leafCount}), root ${b.merkleRoot}`);
  lines.push(`Queued ${sealed.length} root(s) for AuditAnchor; ${unbatched} entr${unbatched === 1 ? 'y' : 'ies'} waiting.`);
  return lines.join('\n');
}
