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
  const outbox = s.heldOutboxEvents;
  if (outbox?.total) {
    lines.push(`Held, unsent: ${n(outbox.total)} outbox event(s) will not be sent: ${Object.entries(outbox.byCode).map(([code, count]) => `${code} ${n(count)}`).join(', ')}`);
    for (const e of outbox.latest) lines.push(`              event ${e.id} (${e.kind}): ${e.reason}`);
    if (outbox.total > outbox.latest.length) lines.push(`              (the newest ${outbox.latest.length} shown)`);
  }
  if (s.replacedOutboxEvents) lines.push(`Replaced:     ${n(s.replacedOutboxEvents)} outbox event(s) replaced by a later event of their kind, never sent (sync event ID names the replacement)`);
  return lines.join('\n');
}

const REASON_WORDS: Record<ConsentConflictSummary['reason'], string> = {
  STALE: 'a later change of another workstation won on the chain',
  OVERRIDDEN: 'replaced by a later change of another workstation before it reached the chain',
  FUTURE: "refused by the chain: this computer's clock was ahead",
};

/**
 * Open consent conflicts, one line each: which change lost, why (in words), who won, and how to resolve it. The
 * consent is named by number and patient number only (no name or MRN).
 */
export function formatConflicts(rows: ConsentConflictSummary[]): string {
  if (rows.length === 0) return '  (none)';
  const word = (s: { decision: string; revoked?: boolean; status?: string } | null) => (!s ? '?' : s.revoked || s.status === 'revoked' ? 'revoke' : s.decision);
  return rows
    .map(
      (c) =>
        `  #${c.id} consent ${c.consentId}${c.consent ? ` (patient #${c.consent.patientId}, ${c.consent.purpose}/${c.consent.category})` : ''}: your ${word(c.mine)} of ${c.myAt} lost: ${REASON_WORDS[c.reason]}` +
        `${c.winningWriter ? ` (signer ${c.winningWriter}${c.winningAt ? ` at ${c.winningAt}` : ''})` : ''}; shown here now: ${word(c.now)}` +
        `${c.resolution ? `; resolved: ${c.resolution} by ${c.resolvedBy ?? '?'}` : ''}`,
    )
    .join('\n')
    .concat(rows.some((c) => !c.resolution) ? "\n  Resolve on the Sync page: accept the chain's state, or re-apply yours." : '');
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
