// Plain-text renderings of a verification report and a proof check, for `custodian audit verify` and
// `custodian audit check-proof`. Pure; the CLI prints them, scripts use --json instead.
import type { AuditBatchSummary, AuditVerifyReport, ProofCheckResult } from '../api/audit';

export function formatVerifyReport(r: AuditVerifyReport): string {
  const chain = r.chain.state === 'checked' ? `compared with AuditAnchor ${r.chain.contract} on chain ${r.chain.chainId}` : `not compared with the chain (${r.chain.reason})`;
  const lines = [
    `Audit trail: ${r.entries} entries${r.lastEntryId !== null ? ` (last ${r.lastEntryId})` : ''}, ${r.unbatchedEntries} not yet batched; ${r.depth} check in ${r.durationMs} ms.`,
    `Signed log:  ${r.log.verifiedSize} of ${r.log.treeSize} entries are covered by a signed head the log still matches; last head${r.log.lastSignedHead ? ` (${r.log.lastSignedHead.treeSize} entries, ${new Date(r.log.lastSignedHead.timestamp).toISOString()}, from ${r.log.lastSignedHead.sources.join(' + ')})` : ' (none signed yet)'}; heads file ${r.log.headsFile}; ${chain}.`,
    `Batches:     ${r.batches.total} local (no longer anchored).`,
  ];
  const sets = r.exportSets;
  lines.push(`Export sets: ${sets.verified} FHIR export patient set(s) match their signed digests${sets.tampered.length ? `; ${sets.tampered.length} TAMPERED (AUDIT_EXPORT_SET_TAMPERED: ${sets.tampered.map((t) => t.exportId).join(', ')})` : ''}${sets.notCovered ? `; ${sets.notCovered} recorded before sealing, not covered` : ''}.`);
  if (r.log.unsignedTail) lines.push(`Unsigned tail since head ${r.log.unsignedTail.sinceSize}: ${r.log.unsignedTail.entries} entr${r.log.unsignedTail.entries === 1 ? 'y' : 'ies'}.`);
  if (r.firstProblem) lines.push(`FIRST PROBLEM: ${r.firstProblem.message}`);
  for (const p of r.batchProblems) lines.push(`  batch ${p.batchId} (${p.firstId}–${p.lastId}): ${p.message}`);
  for (const w of r.warnings) lines.push(`Note: ${w}`);
  lines.push(r.ok ? 'Integrity OK.' : 'Integrity check FAILED.');
  return lines.join('\n');
}

export function formatProofCheck(r: ProofCheckResult): string {
  const mark = (ok: boolean | null) => (ok === true ? 'ok  ' : ok === false ? 'FAIL' : 'skip');
  const lines = r.steps.map((s) => `${mark(s.ok)} ${s.name.padEnd(20)} ${s.message}`);
  if (r.ok) lines.push(`Proof OK: entry ${r.entryId} is unchanged, in a signed head, and that head is in a later head anchored on chain.`);
  else if (r.offlineOk && !r.onChainChecked) lines.push(`Inclusion, signature and consistency OK offline; the anchoring was NOT checked (pass --rpc URL).`);
  else lines.push(`Proof FAILED: ${r.steps.find((s) => s.ok === false)?.message ?? 'see above'}`);
  return lines.join('\n');
}

export function formatBatches(sealed: AuditBatchSummary[], unbatched: number, head: { treeSize: number; rootHash: string } | null = null, unsignedReason?: string): string {
  const lines = sealed.map((b) => `Sealed local batch ${b.batchId}: entries ${b.firstId}–${b.lastId} (${b.leafCount}), root ${b.merkleRoot}`);
  if (head) lines.push(`Signed tree head: ${head.treeSize} entries, root ${head.rootHash} (queued for AuditAnchor when a chain is configured).`);
  else lines.push(unsignedReason ? `No tree head signed: ${unsignedReason}` : 'No new entries: the last signed head covers them all.');
  if (unbatched) lines.push(`${unbatched} entr${unbatched === 1 ? 'y' : 'ies'} not in a local batch.`);
  return lines.join('\n');
}
