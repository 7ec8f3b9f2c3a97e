// Types shared by the sender, the receipt tracker and the engine: the context one send runs in, its outcomes,
// and the failpoints a crash test may stop at.
import type { BaseWallet, HDNodeWallet } from 'ethers';
import type { SyncState } from '../api/events';
import type { Logger } from '../runtime/log';
import type { ChainContext } from './chain-io';
import type { SyncFailure } from './failures';
import type { Finality } from './finality';

/** Points in a send where a test may kill the process (failpoints); a no-op in production. */
export type SendStep = 'estimated' | 'signed' | 'written' | 'broadcast' | 'marked-sent' | 'bump-written';

export interface SenderContext extends ChainContext {
  wallet: BaseWallet | HDNodeWallet;
  address: string;
  confirmations: number;
  /** How a batch counts as final (finality.ts); N blocks deep (`confirmations`) when absent. */
  finality?: Finality;
  /** The most a transaction may bid per gas (config chain.maxFeePerGasGwei); re-pricing stops there (SYNC_FEE_CEILING). */
  maxFeePerGas?: bigint | null;
  /** A transaction not mined after this long is re-priced (same nonce, >= 10% more). */
  stuckAfterMs: number;
  feeBumpPercent: number;
  rpcUrl: string;
  log: Logger;
  emit: (state: SyncState) => void;
  failpoint?: (step: SendStep, batchId: string) => void | Promise<void>;
  /** Sees every raw transaction right before it is broadcast (the PHI check records calldata here). */
  onBroadcast?: (raw: string) => void;
  /** Nonce notices found while sending (the engine shows the latest). */
  notices?: Notice[];
}

export type SendOutcome =
  | { kind: 'none' }
  | { kind: 'sent'; batchId: string; txHash: string }
  | { kind: 'confirmed'; batchId: string }
  | { kind: 'failed'; batchId: string; failure: SyncFailure }
  | { kind: 'requeued'; batchId: string }
  | { kind: 'split'; batchId: string; eventKind: string };

export interface Notice {
  kind: 'gap' | 'foreign' | 'replaced' | 'repriced';
  message: string;
}
