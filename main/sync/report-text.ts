// Plain-text renderings of sync status, batches and a dry-run plan for the `custodian sync` commands.
import type { ConsentConflictSummary, SyncBatchSummary, SyncNowResult, SyncStatus } from '../api/sync';
import type { DryRunPlan } from './dry-run';

const n = (x: number) => x.toLocaleString('en-US');

export function formatSyncStatus(s: SyncStatus): string {
  const kinds = Object.entries(s.queue.byKind).map(([k, v]) => `${k}: ${n(v)}`).join(', ');
  const eth = s.signer.balanceWei === null ? 'unknown' : `${(Number(BigInt(s.signer.balanceWei) / 10n ** 12n) / 1e6).toFixed(6)} ETH`;
  const lines = [
    `Sync:         ${s.paused ? 'paused' : s.state.state}${s.offlineSince ? ` (offline since ${s.offlineSince})` : ''}`,
    `Connection:   ${s.connection}${s.rpcUrl ? ` ${s.rpcUrl}` : ''}${s.chainId !== null ? `, chain id ${s.chainId}` : ''}${s.blockHeight !== null ? `, block ${n(s.blockHeight)}` : ''}`,
    `Signer:       ${s.signer.address ?? 'not unlocked'} (balance ${eth})`,
    `Queue:        ${n(s.queue.total)} event(s) not yet confirmed${kinds ? ` (${kinds})` : ''}`,
    `Batches:      ${Object.entries(s.batches).filter(([, v]) => v > 0).map(([k, v]) => `${k} ${n(v)}`).join(', ') || 'none'}; ${s.confirmationsRequired} confirmation(s) required`,
  ];
  if (s.finality) lines.push(`Final when:   ${s.finality}`);
  if (s.lastError) lines.push(`Last error:   [${s.lastError.code}] ${s.lastError.message}`);
  if (s.notice) lines.push(`Notice:       ${s.notice}`);
  lines.push(`Conflicts:    ${n(s.openConflicts)} consent change(s) of this workstation lost and are not resolved`);
  const held = s.heldPulledChanges;
  if (held.unknownPatient) lines.push(`Pulled, kept: ${n(held.unknownPatient)} consent change(s) wait for their patient to appear here`);
  if (held.unopenable || held.unregisteredWriter) {
    lines.push(`Pulled, refused: ${n(held.unopenable)} UNOPENABLE (terms do not open), ${n(held.unregisteredWriter)} UNREGISTERED_WRITER (no registered signer of this facility wrote them): never applied`);
  }
  return lines.join('\n');
}

/** Open consent conflicts, one line each: which change lost, why, and what won (order = hlc | rank | writer). */
export function formatConflicts(rows: ConsentConflictSummary[]): string {
  if (rows.length === 0) return '  (none)';
  return rows
    .map((c) => `  #${c.id} consent ${c.consentId} ${c.reason}: mine ${c.myOrder.slice(0, 16)} lost to ${c.winningOrder ? c.winningOrder.slice(0, 16) : '?'} by ${c.winningWriter ?? 'unknown'} (${c.raisedAt})`)
    .join('\n');
}

export function formatBatches(batches: SyncBatchSummary[]): string {
  if (batches.length === 0) return 'No batches yet.';
  return batches
    .map((b) => `${b.id.slice(0, 12)}… ${b.kind.padEnd(17)} ${String(b.events).padStart(4)} ev  ${b.state.padEnd(9)} ${b.txHash ? `${b.txHash.slice(0, 12)}…` : '-'.padEnd(13)} conf ${b.confirmations} gas ${b.gasUsed ?? '-'}${b.error ? `  ${b.error.subtype}: ${b.error.message}` : ''}`)
    .join('\n');
}

export function formatDryRun(plan: DryRunPlan): string {
  const lines = plan.batches.map((b) => `would send ${b.contract} ${b.kind}: ${n(b.events)} event(s) #${b.firstEventId}-#${b.lastEventId}, ~${n(b.estimatedGas)} gas`);
  for (const i of plan.invalid) lines.push(`would reject event #${i.id}: ${i.reason}`);
  const events = plan.batches.reduce((a, b) => a + b.events, 0);
  lines.push(`Dry run: ${n(plan.batches.length)} new transaction(s) for ${n(events)} event(s); ${n(plan.inFlight)} batch(es) already queued or in flight. Nothing was signed or sent.`);
  return lines.join('\n');
}

export function formatCycle(r: SyncNowResult, pending: number): string {
  return `${r.outcome}: ${n(r.sent)} transaction(s) sent, ${n(r.confirmed)} batch(es) confirmed, ${n(pending)} event(s) still queued${r.message ? ` — ${r.message}` : ''}`;
}
