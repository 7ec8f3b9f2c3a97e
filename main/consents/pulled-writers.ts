// Who may have written a pulled consent change: its writer must be a registered signer of this facility at the
// change's block (ConsentLedger.facilityOf, read at that block), else the puller keeps it as UNREGISTERED_WRITER and
// never applies it. The genuine ledger emits only such changes; this catches events from code that is not the
// ledger's (a devnet's anvil_setCode) replaying our sealed terms under another writer. Answers are cached.
import { Interface, type Log, type Provider } from 'ethers';
import { loadArtifact } from '../chain/artifacts';
import { unpackState } from './consent-state';

const MAX_CACHED = 10_000;

/** Key of one (block, writer) answer: the writer's facility at that block. */
const keyOf = (block: number, writer: string) => `${block}:${writer.toLowerCase()}`;

export class FacilityWriterCheck {
  private readonly iface = new Interface(loadArtifact('ConsentLedger').abi);
  private readonly facilityAt = new Map<string, string | null>();
  private readonly changedTopic: string;

  constructor(
    private readonly provider: Provider,
    private readonly ledger: string | undefined,
    private readonly facilityId: string | null,
  ) {
    this.changedTopic = this.iface.getEvent('ConsentChanged')!.topicHash;
  }

  /**
   * Reads, before the pull's transaction, the facility of every writer of our facility's ConsentChanged logs at
   * its block. A node that cannot answer at an old block (pruned state) is asked at the latest block instead.
   */
  async prefetch(logs: readonly Log[]): Promise<void> {
    if (!this.ledger || !this.facilityId) return;
    const ledger = this.ledger.toLowerCase();
    for (const log of logs) {
      if (log.address.toLowerCase() !== ledger || log.topics[0] !== this.changedTopic) continue;
      const parsed = this.iface.parseLog({ topics: [...log.topics], data: log.data });
      if (!parsed || String(parsed.args.facilityId).toLowerCase() !== this.facilityId) continue;
      const writer = unpackState(BigInt(parsed.args.state as bigint))?.writer;
      if (!writer || this.facilityAt.has(keyOf(log.blockNumber, writer))) continue;
      if (this.facilityAt.size >= MAX_CACHED) this.facilityAt.clear();
      this.facilityAt.set(keyOf(log.blockNumber, writer), await this.facilityOf(writer, log.blockNumber));
    }
  }

  /** Whether `writer` was a registered signer of our facility at `block` (false when unknown or not prefetched). */
  registered(block: number, writer: string): boolean {
    const facility = this.facilityAt.get(keyOf(block, writer));
    return facility !== undefined && facility !== null && facility === this.facilityId;
  }

  /** The facility `writer` was registered for at `block`, as read (null: the ledger did not answer). */
  facilityOfWriter(block: number, writer: string): string | null {
    return this.facilityAt.get(keyOf(block, writer)) ?? null;
  }

  /**
   * null when the code at the ledger's address does not answer facilityOf (reverts): not our ledger. Any other
   * failure at the old block (a pruned node) asks the head; one there (the node is down) fails the pull, which is
   * retried, so a passing network error never turns into a held change.
   */
  private async facilityOf(writer: string, block: number): Promise<string | null> {
    const data = this.iface.encodeFunctionData('facilityOf', [writer]);
    const read = async (blockTag: number | 'latest') => String(this.iface.decodeFunctionResult('facilityOf', await this.provider.call({ to: this.ledger!, data, blockTag }))[0]).toLowerCase();
    try {
      return await read(block);
    } catch (err) {
      // A revert at a block whose state the node holds: not our ledger. A node restarted from a state file keeps the
      // logs but not the state of older blocks, and anvil answers a call there as a revert with no data: it is asked
      // at the head, as a pruned node is (the log came from this address at that block, so code was there).
      if (isCallException(err) && (await this.holdsStateAt(block))) return null;
    }
    try {
      return await read('latest');
    } catch (err) {
      if (isCallException(err)) return null;
      throw err;
    }
  }

  /** Whether the node can answer for the state at `block` (anvil: BlockOutOfRangeError for a block before its restart). */
  private async holdsStateAt(block: number): Promise<boolean> {
    try {
      await this.provider.getCode(this.ledger!, block);
      return true;
    } catch {
      return false;
    }
  }
}

function isCallException(err: unknown): boolean {
  const code = (err as { code?: unknown }).code;
  return code === 'CALL_EXCEPTION' || code === 'BAD_DATA';
}
