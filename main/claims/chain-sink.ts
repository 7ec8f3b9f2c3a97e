// Applies pulled ClaimsLedger events to the claims table: recorded, then the payer's accepted/denied with its
// reason code (unmasked with the claim's salt), matched by the claim's salted commitment. Claims of other workstations (unknown commitments) are counted and left in the event mirror.
import type { Db } from '../db/connection';
import type { ChainClaimEvent, ClaimChainSink } from './sync-plugin';
import { claimsAboveBlock, markDecided, markRecorded, openedReasonCode, resetChainStatus } from './store';

export class SqlClaimSink implements ClaimChainSink {
  readonly outcomes = { recorded: 0, decided: 0, unknown: 0 };

  constructor(
    private readonly db: Db,
    private readonly now: () => Date = () => new Date(),
  ) {}

  claimRecorded(e: ChainClaimEvent): void {
    if (markRecorded(this.db, e.claimHash, e.blockNumber, e.txHash, this.now().toISOString())) this.outcomes.recorded++;
    else this.outcomes.unknown++;
  }

  claimStatusChanged(e: ChainClaimEvent & { status: 'accepted' | 'denied'; sealedReason: string }): void {
    const reasonCode = openedReasonCode(this.db, e.claimHash, e.sealedReason);
    if (markDecided(this.db, e.claimHash, e.status, reasonCode, e.blockNumber, e.txHash, this.now().toISOString())) this.outcomes.decided++;
    else this.outcomes.unknown++;
  }

  /** Claims whose status came from dropped blocks fall back to the newest remaining event (or to pending). */
  rolledBack(forkBlock: number): void {
    const at = this.now().toISOString();
    const last = this.db.prepare(
      `SELECT name, data, block_number, tx_hash FROM sync_chain_events WHERE subject = ? AND name IN ('ClaimRecorded', 'ClaimStatusChanged')
       ORDER BY block_number DESC, log_index DESC LIMIT 1`,
    );
    for (const { chain_key } of claimsAboveBlock(this.db, forkBlock)) {
      resetChainStatus(this.db, chain_key, at);
      const e = last.get(chain_key) as { name: string; data: string; block_number: number; tx_hash: string } | undefined;
      if (!e) continue;
      markRecorded(this.db, chain_key, e.block_number, e.tx_hash, at);
      if (e.name === 'ClaimStatusChanged') {
        // Events mirrored before reason codes were masked carry the code in clear (reasonCode).
        const d = JSON.parse(e.data) as { status: 'accepted' | 'denied'; sealedReason?: string; reasonCode?: string };
        const reason = d.sealedReason !== undefined ? openedReasonCode(this.db, chain_key, d.sealedReason) : d.reasonCode || null;
        markDecided(this.db, chain_key, d.status, reason, e.block_number, e.tx_hash, at);
      }
    }
  }
}
