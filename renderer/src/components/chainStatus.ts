// How a chain connection reads to a person: one short label, a colour, and the detail behind it.
import type { ChainStatus, ConnectionHealth } from '../../../main/api/system';
import { formatCount, formatDateTime } from './format';

export interface ChainStatusView {
  label: string;
  color: 'teal' | 'yellow' | 'red' | 'orange';
  detail: string;
}

export function describeChain(chain: ChainStatus): ChainStatusView {
  const mode = chain.mode === 'embedded' ? 'embedded devnet' : 'external network';
  switch (chain.state) {
    case 'connected':
      return { label: 'Connected', color: 'teal', detail: `${mode}, chain id ${chain.chainId}, block ${formatCount(chain.blockNumber)}` };
    case 'connecting':
      return { label: 'Connecting…', color: 'yellow', detail: `${mode}, trying since ${formatDateTime(chain.since)}` };
    case 'offline':
      return { label: `Offline since ${formatDateTime(chain.since)}`, color: 'red', detail: chain.reason };
    case 'mismatch':
      return {
        label: 'Chain id mismatch',
        color: 'orange',
        detail: `Configured for chain id ${chain.expectedChainId}, but the node at ${chain.rpcUrl} reports ${chain.actualChainId}. Nothing is sent until this is fixed.`,
      };
  }
}

export interface HealthView {
  /** Short: the badge and the status bar ("Offline since 10:02:11, 3 queued"). */
  label: string;
  color: 'teal' | 'yellow' | 'red' | 'orange' | 'gray';
  /** One sentence for a person: what it means and what happens to their work. */
  detail: string;
}

function queuedText(n: number): string {
  return `${formatCount(n)} queued`;
}

/**
 * The one reading of connection health (main/api/system.ts ConnectionHealth) that the status bar, the Dashboard
 * and the Sync page all show, so they can never disagree.
 */
export function describeHealth(health: ConnectionHealth): HealthView {
  const waiting = `${formatCount(health.queued)} ${health.queued === 1 ? 'change waits' : 'changes wait'} in the outbox`;
  switch (health.state) {
    case 'connected':
      return { label: 'Connected', color: 'teal', detail: health.queued === 0 ? 'Everything recorded here has been sent.' : `${waiting}; they are being sent.` };
    case 'connecting':
      return { label: 'Connecting…', color: 'yellow', detail: `Trying since ${formatDateTime(health.since)}; ${waiting}.` };
    case 'offline':
      return {
        label: `Offline since ${formatDateTime(health.since)}, ${queuedText(health.queued)}`,
        color: 'red',
        detail: `${health.source === 'sender' ? 'The sender cannot reach the chain node' : 'The chain node does not answer'} (${health.reason}). Records are still saved here; ${waiting} and ${health.queued === 1 ? 'is' : 'are'} sent when the node returns.`,
      };
    case 'mismatch':
      return { label: 'Wrong chain', color: 'orange', detail: health.reason };
    case 'disabled':
      return { label: 'Chain off', color: 'gray', detail: health.reason };
  }
}
