// Builds the proof bundle of one consent: finds its latest change on ConsentLedger (the ConsentChanged of its op key at
// the row's stamp), checks that the chain's sealed terms are this database's, and reveals only that change's opening.
import type { JsonRpcProvider } from 'ethers';
import type { ConsentProofBundle } from '../api/consents';
import { AppError } from '../api/errors';
import type { Db } from '../db/connection';
import { hlcOfText, unpackState } from './consent-state';
import type { ConsentSealer } from './ledger-seal';
import { CONSENT_PROOF_FORMAT, differingTerms, ledgerCategoryCode, ledgerPurposeCode, LEDGER_PROOF_ABI, proofTermsOf, rpc } from './proof';
import type { ConsentRow } from './store';

export type ConsentChainAccess = { provider: JsonRpcProvider; chainId: number; ledger: string; fromBlock: number } | { unavailable: string };

/** What the composition root's ChainRuntime offers, structurally (the consents domain never starts a chain). */
export interface ConsentChainSource {
  readonly connection: { provider: JsonRpcProvider; endpoint: { chainId: number; contracts: Record<string, string> } } | null;
  readonly current: { state: string; reason?: string };
}

export function consentChainAccessOf(source: ConsentChainSource, fromBlock = 0): ConsentChainAccess {
  const conn = source.connection;
  if (!conn) return { unavailable: source.current.state === 'offline' && source.current.reason ? `chain offline: ${source.current.reason}` : `chain ${source.current.state}` };
  const ledger = conn.endpoint.contracts.ConsentLedger;
  if (!ledger) return { unavailable: 'no ConsentLedger contract is configured for this chain' };
  return { provider: conn.provider, chainId: conn.endpoint.chainId, ledger, fromBlock };
}

type ProofRow = ConsentRow & { pseudonym: string };

export async function exportConsentProof(db: Db, consentId: number, sealer: ConsentSealer, access: ConsentChainAccess, now = new Date()): Promise<ConsentProofBundle> {
  const row = db.prepare('SELECT c.*, p.pseudonym FROM consents c JOIN patients p ON p.id = c.patient_id WHERE c.id = ?').get(consentId) as ProofRow | undefined;
  if (!row) throw new AppError('NOT_FOUND', `There is no consent ${consentId}.`);
  if (row.hlc_writer === null) {
    throw new AppError('CONSENT_NOT_ON_CHAIN', `Consent ${consentId}'s latest change (stamp ${row.hlc}) is queued for the chain and not confirmed yet; export its proof after the next sync.`, { consentId });
  }
  if ('unavailable' in access) throw new AppError('CHAIN_UNAVAILABLE', `The consent proof needs the chain: ${access.unavailable}.`);
  const fields = { patientPseudonym: row.pseudonym, granteeKind: row.grantee_kind, grantee: row.grantee, purposeCode: ledgerPurposeCode(row.purpose), categoryCode: ledgerCategoryCode(row.category) };
  const opKey = sealer.opKey(fields);
  const hlc = hlcOfText(row.hlc);
  const { provider } = access;
  const logs = await rpc('eth_getLogs', () => provider.getLogs({ address: access.ledger, topics: [LEDGER_PROOF_ABI.getEvent('ConsentChanged')!.topicHash, opKey], fromBlock: access.fromBlock, toBlock: 'latest' }));
  const found = logs
    .map((log) => ({ log, e: LEDGER_PROOF_ABI.parseLog(log)! }))
    .filter(({ e }) => (e.args.facilityId as string).toLowerCase() === sealer.facilityId)
    .filter(({ e }) => unpackState(e.args.state as bigint)?.hlc === hlc)
    // Two writers can stamp alike (the rule breaks the tie by writer): the row names which one it holds.
    .sort(({ e: x }, { e: y }) => Number(unpackState(y.args.state as bigint)!.writer === row.hlc_writer) - Number(unpackState(x.args.state as bigint)!.writer === row.hlc_writer))[0];
  if (!found) {
    throw new AppError('CONSENT_NOT_ON_CHAIN', `ConsentLedger holds no change of consent ${consentId}'s key at its stamp ${row.hlc}: the change was skipped or lost to another workstation's (see sync conflicts), or this node does not have it.`, { consentId });
  }
  const { log, e } = found;
  const state = unpackState(e.args.state as bigint)!;
  const order = (e.args.state as bigint) & ((1n << 80n) - 1n);
  const sealed = e.args.sealedTerms as string;
  const opened = sealer.open(sealed, opKey, order);
  const termsKey = sealer.termsKeyOf(sealed, opKey, order);
  const terms = opened && proofTermsOf(opened);
  if (!terms || !termsKey) throw new AppError('CONSENT_CHAIN_MISMATCH', `The ledger's change of consent ${consentId} at stamp ${row.hlc} does not open under this facility's secret.`, { consentId });
  // The chain's terms must be this database's: a proof of other terms than the row shows would mislead its reader.
  const expected = {
    ...terms,
    decision: row.decision,
    validFrom: Math.max(0, row.period_start),
    validUntil: row.period_end === null ? 0 : Math.max(1, row.period_end),
    documentHash: row.document_hash.toLowerCase(),
    revoked: row.status === 'revoked' ? true : row.status === 'superseded' ? terms.revoked : false,
  };
  const differ = differingTerms(terms, expected);
  if (differ.length) {
    throw new AppError('CONSENT_CHAIN_MISMATCH', `The ledger's change of consent ${consentId} at stamp ${row.hlc} says other ${differ.join(', ')} than this database: run sync, or check the database's integrity.`, { consentId, fields: differ });
  }
  const atBlock = await rpc('eth_blockNumber', () => provider.getBlockNumber());
  return {
    format: CONSENT_PROOF_FORMAT,
    consentId,
    terms,
    opening: { keySalt: sealer.keySalt(fields), termsKey },
    op: { opKey, facilityId: sealer.facilityId, hlc: row.hlc, writer: state.writer },
    chain: { chainId: access.chainId, contract: log.address.toLowerCase(), txHash: log.transactionHash, blockNumber: log.blockNumber, blockHash: log.blockHash, logIndex: log.index },
    atBlock,
    exportedAt: now.toISOString(),
  };
}
