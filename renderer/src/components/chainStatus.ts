// How a chain connection reads to a person: one short label, a colour, and the detail behind it.
import type { ChainStatus } from '../../../main/api/system';
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
