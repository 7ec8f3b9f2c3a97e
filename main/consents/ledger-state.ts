// A consent key's state as ConsentLedger's events say it, read with a JSON-RPC endpoint alone: the key's
// ConsentChanged logs in one facility's namespace, folded in chain order by the ordering rule (consent-state.ts
// foldWords). The ledger keeps no state per key; this is what every reader computes instead of asking it.
import { Interface, type Log, type Provider } from 'ethers';
import { foldWords, type LedgerState } from './consent-state';

/** The ConsentChanged fragment (proof-abi.test.ts holds it to the compiled contract). */
export const CONSENT_CHANGED_ABI = new Interface(['event ConsentChanged(bytes32 indexed opKey, bytes32 facilityId, uint256 state, bytes sealedTerms)']);
export const CONSENT_CHANGED_TOPIC = CONSENT_CHANGED_ABI.getEvent('ConsentChanged')!.topicHash;

/** One ConsentChanged of a key, in chain order, and whether it held the key when it landed (false: STALE). */
export interface FoldedChange {
  log: Log;
  word: bigint;
  held: boolean;
}

/**
 * The key's ConsentChanged events in `facilityId`'s namespace from `fromBlock` to `toBlock` (inclusive), folded: the
 * state they leave, and each event with its outcome. Logs of other addresses, of other facilities and removed logs are
 * ignored; the endpoint's order is checked, not trusted (they are sorted by block and log index).
 */
export async function foldKeyLogs(
  provider: Pick<Provider, 'getLogs'>,
  contract: string,
  facilityId: string,
  opKey: string,
  toBlock: number | 'latest' = 'latest',
  fromBlock = 0,
): Promise<{ word: bigint; state: LedgerState | null; changes: FoldedChange[] }> {
  const logs = await provider.getLogs({ address: contract, topics: [CONSENT_CHANGED_TOPIC, opKey.toLowerCase()], fromBlock, toBlock });
  const ours = logs
    .filter((l) => !l.removed && l.address.toLowerCase() === contract.toLowerCase())
    .map((l) => ({ l, e: CONSENT_CHANGED_ABI.parseLog({ topics: [...l.topics], data: l.data }) }))
    .filter(({ e }) => e !== null && String(e.args.facilityId).toLowerCase() === facilityId.toLowerCase())
    .sort((a, b) => a.l.blockNumber - b.l.blockNumber || a.l.index - b.l.index);
  const words = ours.map(({ e }) => BigInt(e!.args.state as bigint));
  const folded = foldWords(words);
  return { word: folded.word, state: folded.state, changes: ours.map(({ l }, i) => ({ log: l, word: words[i]!, held: folded.held[i]! })) };
}
