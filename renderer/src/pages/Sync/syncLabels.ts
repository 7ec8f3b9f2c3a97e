// How the sync engine's states, batches and failures read to a person: one label, a colour, and what it means.
// Pure and table-tested (syncLabels.test.ts); the Sync page and its drawer only render these.
import type { AuditVerifyReport } from '../../../../main/api/audit';
import type { SyncState } from '../../../../main/api/events';
import type { SyncBatchState, SyncStatus } from '../../../../main/api/sync';
import type { ConnectionHealth } from '../../../../main/api/system';
import { formatAge, formatCount, formatDateTime } from '../../components/format';

export interface StateView {
  label: string;
  color: string;
  detail: string;
}

/**
 * Failure subtypes the engine reports (events.ts SyncState reason, batch error subtype). Unknown subtypes are
 * still shown, readably, rather than hidden: the engine may learn new ones before this table does.
 */
const FAILURE_LABELS: Record<string, string> = {
  offline: 'Chain offline',
  revert: 'Transaction reverted',
  funds: 'Signer out of funds',
  nonce: 'Nonce conflict',
  'chain-id': 'Wrong chain id',
  rpc: 'RPC error',
  reorg: 'Removed by a reorg',
  signer: 'Signing key unavailable',
  payload: 'Payload rejected, not sent',
  replaced: 'Replaced (same nonce, higher fee)',
  'too-large': 'Batch too large for one transaction',
  'batch-id-taken': 'Batch id used by another sender',
  'item-skipped': 'Item skipped by the contract',
  'applied-without-log': 'Applied on chain without its event',
};

export function failureLabel(subtype: string): string {
  const known = FAILURE_LABELS[subtype];
  if (known) return known;
  const words = subtype.replace(/[-_]+/g, ' ').trim();
  return words ? words.charAt(0).toUpperCase() + words.slice(1) : 'Failed';
}

/** What to do about a failure, for the operator. */
export function failureAdvice(subtype: string): string | null {
  switch (subtype) {
    case 'offline':
    case 'rpc':
      return 'The sender retries by itself with back-off; nothing is lost while it waits.';
    case 'funds':
      return 'Fund the signing account; sending resumes by itself.';
    case 'nonce':
      return 'Another process may be using the signing key; the sender re-reads the node’s count and resends.';
    case 'chain-id':
      return 'The node is on another chain than the one configured. Nothing is sent until this is fixed (Settings).';
    case 'revert':
      return 'The contract refused the batch. Read the error, fix its cause (e.g. register the issuer), then retry the batch.';
    case 'reorg':
      return 'A reorganisation of the chain removed blocks: batches of ours in them go back in the queue and are sent again, and changes pulled from them are undone here until they land again. Nothing to do.';
    case 'signer':
      return 'The signing key could not be unlocked: check the keystore path and its passphrase (Settings). Sending resumes by itself once it unlocks; nothing is lost meanwhile.';
    case 'batch-id-taken':
      return 'Another account landed a transaction under this batch’s id first, so the batch was NOT confirmed; its events are sent again under a new id bound to this workstation. Nothing to do, but a repeat points at a hostile writer on the chain.';
    case 'applied-without-log':
      return 'The chain’s storage holds this batch as applied, but no block holds its event (the node lost them, e.g. stopped while mining), so no other workstation could pull these changes. The batch is NOT confirmed; consent changes are re-stamped and sent again as new events (audited as consent.resend). Other kinds stay failed here: the message says which.';
    case 'item-skipped':
      return 'The batch landed, but the contract refused this one item and named why (e.g. a credential status without its issuer’s signature, or one older than the status on chain). The rest of the batch is applied; get a fresh signed status from the issuer if it still matters.';
    case 'payload':
      return 'These outbox events failed the chain payload check and are never sent, so nothing that might hold patient data leaves. The message names the event and the field; fix the event where it was recorded.';
    default:
      return null;
  }
}

export function shortHex(hex: string | null | undefined, head = 6, tail = 4): string {
  if (!hex) return '—';
  return hex.length <= head + tail + 3 ? hex : `${hex.slice(0, head)}…${hex.slice(-tail)}`;
}

/** Wei (decimal string) as ether with `decimals` places, e.g. "9,999.9991 ETH"; "—" when unknown or unreadable. */
export function formatEther(wei: string | null | undefined, decimals = 4): string {
  if (wei === null || wei === undefined || !/^\d+$/.test(wei)) return '—';
  const value = BigInt(wei);
  const unit = 10n ** 18n;
  const scale = 10n ** BigInt(decimals);
  // Round half up at the last shown place.
  const scaled = (value * scale + unit / 2n) / unit;
  const whole = scaled / scale;
  const fraction = (scaled % scale).toString().padStart(decimals, '0');
  const wholeText = whole.toLocaleString('en-US');
  if (value > 0n && scaled === 0n) return `< 0.${'0'.repeat(decimals - 1)}1 ETH`;
  return decimals > 0 ? `${wholeText}.${fraction} ETH` : `${wholeText} ETH`;
}

/** Below 0.01 ETH a few batches may already fail for want of gas: warn before they do. */
export function balanceIsLow(wei: string | null | undefined): boolean {
  return typeof wei === 'string' && /^\d+$/.test(wei) && BigInt(wei) < 10n ** 16n;
}

/** The sender's state in one line. `pending` is the queue depth when the state itself does not carry it. */
export function describeSyncState(s: SyncState): StateView {
  switch (s.state) {
    case 'idle':
      return { label: 'Up to date', color: 'teal', detail: s.pending === 0 ? 'Nothing is waiting to be sent.' : `${formatCount(s.pending)} waiting.` };
    case 'queued':
      return { label: 'Queued', color: 'blue', detail: `${formatCount(s.pending)} ${s.pending === 1 ? 'event waits' : 'events wait'} for the next batch.` };
    case 'sending':
      return { label: 'Sending', color: 'blue', detail: `Batch ${shortHex(s.batchId)}: ${formatCount(s.events)} ${s.events === 1 ? 'event' : 'events'}.` };
    case 'sent':
      return { label: 'Sent', color: 'blue', detail: `Batch ${shortHex(s.batchId)}, transaction ${shortHex(s.txHash)}: waiting for confirmations.` };
    case 'confirmed':
      return { label: 'Confirmed', color: 'teal', detail: `Batch ${shortHex(s.batchId)} confirmed in block ${formatCount(s.blockNumber)}.` };
    case 'failed':
      // Offline and reorgs heal by themselves (orange); the rest needs someone (red).
      return { label: `Failed: ${failureLabel(s.reason).toLowerCase()}`, color: s.reason === 'offline' || s.reason === 'reorg' ? 'orange' : 'red', detail: s.message };
    case 'paused':
      return { label: 'Paused', color: 'orange', detail: `Sending is paused; ${formatCount(s.pending)} ${s.pending === 1 ? 'event waits' : 'events wait'}.` };
  }
}

/** The Sender card's reading: `state` names what it shows (a sender state, or the connection's when that decides). */
export interface SenderView extends StateView {
  state: SyncState['state'] | 'offline' | 'connecting' | 'mismatch' | 'disabled';
}

/**
 * The Sender card from the sender's own last state AND the shared connection health (the status bar's, the
 * Dashboard's): while the connection is not up, nothing leaves, whatever the sender last reported ("Up to date"
 * from before the node stopped answering must not stand beside "Offline, 2 queued"). A failure the sender reports
 * itself (other than its own offline) is kept: it says more than the connection does.
 */
export function describeSender(current: SyncState | null, health: ConnectionHealth | null | undefined, now: number = Date.now()): SenderView | null {
  const queued = health?.queued ?? 0;
  const waiting = queued === 0 ? 'Nothing is waiting to be sent.' : `${formatCount(queued)} ${queued === 1 ? 'event is' : 'events are'} queued here, not sent.`;
  const age = (since: string) => formatAge(Math.max(0, Math.round((now - Date.parse(since)) / 1000)));
  // A node that does not answer fails the sender as 'offline' or 'rpc': the connection says it better.
  const ownFailure = current?.state === 'failed' && current.reason !== 'offline' && current.reason !== 'rpc';
  if (health && !ownFailure) {
    switch (health.state) {
      case 'offline':
        return {
          state: 'offline',
          label: queued === 0 ? 'Offline' : `Offline, ${formatCount(queued)} queued`,
          color: 'orange',
          detail: `Cannot send: the chain node has not answered for ${age(health.since)} (since ${formatDateTime(health.since)}). ${waiting}${queued > 0 ? ' They are sent when the node returns.' : ''}`,
        };
      case 'connecting':
        return { state: 'connecting', label: 'Connecting…', color: 'yellow', detail: `Not sending yet: connecting for ${age(health.since)}. ${waiting}` };
      case 'mismatch':
        return { state: 'mismatch', label: 'Not sending', color: 'orange', detail: `${health.reason} ${waiting}` };
      case 'disabled':
        return { state: 'disabled', label: 'Not sending', color: 'gray', detail: `${health.reason} ${waiting}` };
      case 'connected':
        break;
    }
  }
  if (!current) return null;
  return { state: current.state, ...describeSyncState(current) };
}

export const BATCH_STATE_VIEW: Record<SyncBatchState, { label: string; color: string; meaning: string }> = {
  pending: { label: 'Pending', color: 'gray', meaning: 'Planned; not signed yet.' },
  signed: { label: 'Signed', color: 'blue', meaning: 'Signed and saved before broadcast (write-ahead).' },
  sent: { label: 'Sent', color: 'blue', meaning: 'Broadcast; waiting for confirmations.' },
  confirmed: { label: 'Confirmed', color: 'teal', meaning: 'In a block with the required confirmations.' },
  failed: { label: 'Failed', color: 'red', meaning: 'Not on chain; parked until someone retries it.' },
  replaced: { label: 'Replaced', color: 'gray', meaning: 'Superseded by a higher-fee transaction with the same nonce.' },
};

/** Outbox event states (sync store): pending, batched, sent, confirmed, failed. */
export const EVENT_STATE_VIEW: Record<string, { label: string; color: string }> = {
  pending: { label: 'Pending', color: 'gray' },
  batched: { label: 'In a batch', color: 'blue' },
  sent: { label: 'Sent', color: 'blue' },
  confirmed: { label: 'Confirmed', color: 'teal' },
  failed: { label: 'Failed', color: 'red' },
  replaced: { label: 'Replaced, never sent', color: 'gray' },
};

export function eventStateView(state: string): { label: string; color: string } {
  return EVENT_STATE_VIEW[state] ?? { label: state, color: 'gray' };
}

/** "2 / 1" confirmations read as done once the required number is reached. */
export function confirmationsText(confirmations: number, required: number, state: SyncBatchState): string {
  if (state === 'pending' || state === 'signed' || state === 'failed' || state === 'replaced') return '—';
  return `${formatCount(confirmations)} / ${formatCount(required)}`;
}

/** True while a batch is still moving (signed, sent, awaiting confirmations): the page reads again soon. */
export function batchInFlight(state: SyncBatchState, confirmations: number, required: number): boolean {
  return state === 'pending' || state === 'signed' || state === 'sent' || (state === 'confirmed' && confirmations < required);
}

export type RootCheck = { tone: 'teal' | 'red' | 'yellow' | 'orange'; title: string; text: string };

/** Reads the log check for this signed head: a problem at or before its size, else whether it is anchored and matches. */
export function judgeRoot(report: AuditVerifyReport, headSize: number, anchored: boolean): RootCheck {
  if (report.chain.state === 'unavailable') {
    return { tone: 'orange', title: 'Chain not checked', text: `The chain could not be read (${report.chain.reason}). Try again once it is connected.` };
  }
  const problem = report.firstProblem;
  if (problem && problem.entryId <= headSize) return { tone: 'red', title: 'Does not match the chain', text: problem.message };
  if (!anchored) return { tone: 'yellow', title: 'Not anchored yet', text: 'The chain holds no head of this size yet; it is checked once the sender has confirmed it.' };
  if (report.log.verifiedSize < headSize) {
    return { tone: 'red', title: 'Does not match the chain', text: `The audit log no longer gives the signed head of ${headSize} entries.` };
  }
  return {
    tone: 'teal',
    title: 'Matches the chain',
    text: `AuditAnchor ${report.chain.contract} on chain id ${report.chain.chainId} holds this workstation's head of ${headSize} entries, and the audit log still gives its root (RFC 6962).`,
  };
}
