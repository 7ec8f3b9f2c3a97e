// Consent proof bundles a third party checks with a JSON-RPC endpoint alone: the opening of one change (its key salt
// and its own terms key, never the facility secret) recomputes the op key and opens the sealed terms read from the
// transaction's receipt; the key's ConsentChanged events up to a block, folded by the ordering rule (ledger-state.ts),
// say which state the consent had then (the ledger keeps no state per key). No database.
import { getAddress, Interface, type JsonRpcProvider, type Log } from 'ethers';
import { z } from 'zod';
import { CATEGORIES, PURPOSES, type ConsentLaterOp, type ConsentLedgerState, type ConsentProofBundle, type ConsentProofCheck, type ConsentProofFailure, type ConsentProofTerms } from '../api/consents';
import { AppError } from '../api/errors';
import { loadArtifact } from '../chain/artifacts';
import { hlcOfText, hlcText, packOrder, stateWordOf, unpackState, type LedgerState } from './consent-state';
import { openSealedTerms, opKeyOf, type ConsentTerms } from './ledger-seal';
import { CONSENT_CHANGED_ABI, CONSENT_CHANGED_TOPIC, foldKeyLogs } from './ledger-state';

export const CONSENT_PROOF_FORMAT = 'custodian-consent-proof/1';

/** The ConsentLedger fragment a checker needs; proof-abi.test.ts holds it to the compiled contract. */
export const LEDGER_PROOF_ABI: Interface = CONSENT_CHANGED_ABI;
const CONSENT_CHANGED = CONSENT_CHANGED_TOPIC;

const bytes32 = z.string().regex(/^0x[0-9a-f]{64}$/, 'must be 0x + 64 lower-case hex digits');
const hlc = z.string().regex(/^[0-9a-f]{16}$/, 'must be 16 lower-case hex digits');
const address = z.string().regex(/^0x[0-9a-f]{40}$/, 'must be a lower-case 0x address');
const blockNumber = z.number().int().min(0).max(Number.MAX_SAFE_INTEGER);
const seconds = z.number().int().min(0).max(Number.MAX_SAFE_INTEGER);

const termsSchema = z
  .object({
    patientPseudonym: bytes32,
    granteeKind: z.enum(['npi', 'org']),
    grantee: z.string().min(1).max(158),
    purpose: z.enum(PURPOSES),
    category: z.enum(CATEGORIES),
    validFrom: seconds,
    validUntil: seconds,
    decision: z.enum(['permit', 'deny']),
    revoked: z.boolean(),
    documentHash: bytes32,
    prevHlc: hlc,
  })
  .strict();

/** The bundle as read from a file: checked here, at the trust boundary, before any use. */
export const consentProofSchema = z
  .object({
    format: z.literal(CONSENT_PROOF_FORMAT),
    consentId: z.number().int().positive().max(Number.MAX_SAFE_INTEGER),
    terms: termsSchema,
    opening: z.object({ keySalt: bytes32, termsKey: bytes32 }).strict(),
    op: z.object({ opKey: bytes32, facilityId: bytes32, hlc, writer: address }).strict(),
    chain: z
      .object({ chainId: z.number().int().positive().max(Number.MAX_SAFE_INTEGER), contract: address, txHash: bytes32, blockNumber, blockHash: bytes32, logIndex: z.number().int().min(0).max(1_000_000) })
      .strict(),
    atBlock: blockNumber,
    exportedAt: z.string().min(1).max(64),
  })
  .strict() satisfies z.ZodType<ConsentProofBundle>;

export function proofInvalid(reason: ConsentProofFailure, message: string, extra: Record<string, unknown> = {}): AppError {
  return new AppError('CONSENT_PROOF_INVALID', `${reason}: ${message}`, { reason, ...extra });
}

/** Validates untrusted JSON as a consent proof bundle; CONSENT_PROOF_INVALID (reason malformed) names the fields. */
export function parseConsentProof(json: unknown): ConsentProofBundle {
  const parsed = consentProofSchema.safeParse(json);
  if (!parsed.success) {
    const issues = parsed.error.issues.map((i) => ({ field: i.path.map(String).join('.') || '(bundle)', message: i.message }));
    throw proofInvalid('malformed', `Not a valid consent proof bundle: ${issues.map((i) => `${i.field}: ${i.message}`).join('; ')}`, { issues });
  }
  return parsed.data;
}

/** The ledger's code tables are the API's lists in order (code = index + 1; sync/consent-state.ts LEDGER_*). */
export const ledgerPurposeCode = (p: ConsentProofTerms['purpose']) => PURPOSES.indexOf(p) + 1;
export const ledgerCategoryCode = (c: ConsentProofTerms['category']) => CATEGORIES.indexOf(c) + 1;

/** Sealed terms (codes) as a bundle states them (names); null for a code the API does not know. */
export function proofTermsOf(t: ConsentTerms): ConsentProofTerms | null {
  const purpose = PURPOSES[t.purposeCode - 1];
  const category = CATEGORIES[t.categoryCode - 1];
  if (!purpose || !category) return null;
  const { purposeCode: _p, categoryCode: _c, prevHlc, decision, ...rest } = t;
  return { ...rest, purpose, category, decision: decision === 1 ? 'permit' : 'deny', prevHlc: hlcText(prevHlc) };
}

export function ledgerStateView(s: LedgerState): ConsentLedgerState {
  return { decision: s.decision === 1 ? 'permit' : 'deny', revoked: s.revoked, hlc: hlcText(s.hlc), writer: s.writer };
}

const TERM_FIELDS = ['patientPseudonym', 'granteeKind', 'grantee', 'purpose', 'category', 'validFrom', 'validUntil', 'decision', 'revoked', 'documentHash', 'prevHlc'] as const;

/** The names of the fields where two statements of the terms differ. */
export function differingTerms(a: ConsentProofTerms, b: ConsentProofTerms): string[] {
  return TERM_FIELDS.filter((f) => a[f] !== b[f]);
}

/** A JSON-RPC call; a transport failure is CHAIN_UNAVAILABLE, never mistaken for a failed proof. */
export async function rpc<T>(what: string, call: () => Promise<T>): Promise<T> {
  try {
    return await call();
  } catch (err) {
    throw new AppError('CHAIN_UNAVAILABLE', `The JSON-RPC endpoint could not answer ${what}: ${(err as Error).message.split('\n')[0]!.slice(0, 200)}`);
  }
}

const short = (h: string) => `${h.slice(0, 12)}…`;

export interface CheckOptions {
  /** Ask the state at this block instead of the bundle's atBlock. */
  atBlock?: number;
  /** The ledger address the checker knows out of band; the bundle's contract must be it. */
  ledger?: string;
}

/**
 * Checks a parsed bundle against the chain: the transaction, its block and its ConsentChanged log from a ConsentLedger;
 * the op key from the opening; the order and the sealed terms against the stated terms; and the state at the block.
 * Returns what it established, or throws CONSENT_PROOF_INVALID with the first reason that fails.
 */
export async function checkConsentProof(b: ConsentProofBundle, provider: JsonRpcProvider, opts: CheckOptions = {}): Promise<ConsentProofCheck> {
  const steps: ConsentProofCheck['steps'] = [];
  const fail = (reason: ConsentProofFailure, message: string): never => {
    throw proofInvalid(reason, message, { steps });
  };
  const c = b.chain;
  const contract = getAddress(c.contract);

  // Asked of the node itself: a provider's configured network is not evidence of which chain answers.
  const chainId = Number(BigInt(await rpc('eth_chainId', () => provider.send('eth_chainId', []) as Promise<string>)));
  if (chainId !== c.chainId) fail('chain-id', `The endpoint serves chain ${chainId}; the bundle's change is on chain ${c.chainId}.`);
  steps.push({ name: 'chain-id', message: `The endpoint serves chain ${chainId}.` });
  if (opts.ledger !== undefined && getAddress(opts.ledger) !== contract) fail('contract', `The bundle names ledger ${contract}, not the ledger you gave (${getAddress(opts.ledger)}).`);

  const receipt = await rpc('eth_getTransactionReceipt', () => provider.getTransactionReceipt(c.txHash));
  if (!receipt) return fail('transaction', `Transaction ${c.txHash} is unknown to the endpoint: the bundle names a transaction that never landed on this chain.`);
  if (receipt.status !== 1) fail('transaction', `Transaction ${c.txHash} reverted: it changed nothing.`);
  const block = await rpc('eth_getBlockByNumber', () => provider.getBlock(receipt.blockNumber));
  if (receipt.blockNumber !== c.blockNumber || receipt.blockHash !== c.blockHash || block?.hash !== c.blockHash) {
    fail('block', `Transaction ${short(c.txHash)} is in block ${receipt.blockNumber} (${short(receipt.blockHash)}), not in block ${c.blockNumber} (${short(c.blockHash)}) as the bundle says${block?.hash !== receipt.blockHash ? ', and that block is no longer canonical' : ''}.`);
  }
  steps.push({ name: 'transaction', message: `Transaction ${c.txHash} succeeded in block ${c.blockNumber} (${short(c.blockHash)}).` });

  const log: Log | undefined = receipt.logs.find((l) => l.index === c.logIndex);
  if (!log) return fail('event', `Transaction ${short(c.txHash)} has no log ${c.logIndex}.`);
  if (getAddress(log.address) !== contract) fail('contract', `Log ${c.logIndex} of transaction ${short(c.txHash)} was emitted by ${getAddress(log.address)}, not by the bundle's contract ${contract}.`);
  if (log.topics[0] !== CONSENT_CHANGED) fail('event', `Log ${c.logIndex} of transaction ${short(c.txHash)} is not a ConsentChanged event.`);
  const code = await rpc('eth_getCode', () => provider.getCode(contract, c.blockNumber));
  if (code.toLowerCase() !== loadArtifact('ConsentLedger').deployedBytecode.toLowerCase()) {
    fail('contract', `The code at ${contract} is not ConsentLedger's (as compiled here): a contract that merely emits the same event proves nothing.`);
  }
  steps.push({ name: 'contract', message: `${contract} runs ConsentLedger's code; log ${c.logIndex} is its ConsentChanged.` });

  const event = LEDGER_PROOF_ABI.parseLog(log)!;
  const eventOpKey = (event.args.opKey as string).toLowerCase();
  const eventFacility = (event.args.facilityId as string).toLowerCase();
  const word = event.args.state as bigint;
  const sealed = event.args.sealedTerms as string;

  const t = b.terms;
  const purposeCode = ledgerPurposeCode(t.purpose);
  const categoryCode = ledgerCategoryCode(t.category);
  const recomputed = opKeyOf(b.opening.keySalt, { patientPseudonym: t.patientPseudonym, granteeKind: t.granteeKind, grantee: t.grantee, purposeCode, categoryCode });
  if (recomputed !== eventOpKey || b.op.opKey !== eventOpKey) {
    fail('op-key', `The stated key fields (pseudonym, grantee, purpose ${t.purpose}, category ${t.category}) and the key salt give op key ${short(recomputed)}; the event's op key is ${short(eventOpKey)}: the terms or the opening were altered.`);
  }
  steps.push({ name: 'op-key', message: `The opening and the stated key fields give the event's op key ${short(eventOpKey)}.` });
  if (eventFacility !== b.op.facilityId) fail('facility', `The change is in facility namespace ${short(eventFacility)}, not ${short(b.op.facilityId)} as the bundle says.`);

  const state = unpackState(word)!;
  const stated: LedgerState = { decision: t.decision === 'permit' ? 1 : 2, revoked: t.revoked, hlc: hlcOfText(b.op.hlc), writer: b.op.writer };
  if (state.decision !== stated.decision || state.revoked !== stated.revoked || state.hlc !== stated.hlc || state.writer !== stated.writer) {
    const said = ledgerStateView(state);
    fail('order', `The event records ${said.decision}${said.revoked ? ' (revoked)' : ''} at stamp ${said.hlc} by ${said.writer}; the bundle says ${t.decision}${t.revoked ? ' (revoked)' : ''} at ${b.op.hlc} by ${b.op.writer}.`);
  }
  steps.push({ name: 'order', message: `The event records ${t.decision}${t.revoked ? ', revoked,' : ''} at stamp ${b.op.hlc}, sent by ${b.op.writer}.` });

  const order = packOrder(state);
  const opened = openSealedTerms(sealed, b.opening.termsKey, eventOpKey, order);
  if (!opened) fail('terms', `The sealed terms in the event do not open with the bundle's terms key for this op key and order: the opening is not this change's.`);
  const openedTerms = proofTermsOf(opened!);
  const differ = openedTerms ? differingTerms(openedTerms, t) : ['purpose', 'category'];
  if (differ.length) fail('terms', `The sealed terms on chain differ from the bundle's terms in ${differ.join(', ')}: the bundle was altered.`);
  steps.push({ name: 'terms', message: `The sealed terms on chain open to exactly the bundle's terms.` });

  const atBlock = opts.atBlock ?? b.atBlock;
  if (atBlock < c.blockNumber) fail('block-before-op', `Block ${atBlock} precedes the change (block ${c.blockNumber}): the change cannot be the state there.`);
  const head = await rpc('eth_blockNumber', () => provider.getBlockNumber());
  if (atBlock > head) fail('state', `Block ${atBlock} is beyond the endpoint's head (${head}).`);
  // Every ConsentChanged of the key in its namespace up to the block, folded in chain order: the state then.
  const folded = await rpc('eth_getLogs', () => foldKeyLogs(provider, contract, eventFacility, eventOpKey, atBlock));
  const at = folded.changes.findIndex((f) => f.log.transactionHash.toLowerCase() === c.txHash.toLowerCase() && f.log.index === c.logIndex);
  const atState = folded.state;
  if (at < 0 || !atState) return fail('state', `The endpoint's logs for op key ${short(eventOpKey)} up to block ${atBlock} do not include this change, which landed before: the endpoint is not answering for this chain's history.`);
  const ours = stateWordOf(order, state.writer);
  const stale = !folded.changes[at]!.held;
  const laterOps: ConsentLaterOp[] = folded.changes.slice(at + 1).map((f) => ({ ...ledgerStateView(unpackState(f.word)!), txHash: f.log.transactionHash, blockNumber: f.log.blockNumber, logIndex: f.log.index }));
  const current = folded.word === ours;
  const atView = ledgerStateView(atState);
  steps.push({
    name: 'state',
    message: current
      ? `At block ${atBlock} the ledger's state for the key is this change: ${atView.decision}${atView.revoked ? ', revoked' : ''} (stamp ${atView.hlc}).`
      : stale
        ? `This change never held the key (STALE): an earlier change outranks it. At block ${atBlock} the ledger's state for the key is ${atView.decision}${atView.revoked ? ', revoked' : ''} at stamp ${atView.hlc} by ${atView.writer}.`
        : `At block ${atBlock} the ledger's state for the key is a LATER change: ${atView.decision}${atView.revoked ? ', revoked' : ''} at stamp ${atView.hlc} by ${atView.writer} (${laterOps.length} later change(s)).`,
  });
  return {
    consentId: b.consentId,
    opKey: eventOpKey,
    terms: t,
    op: { txHash: c.txHash, blockNumber: c.blockNumber, logIndex: c.logIndex, state: ledgerStateView(state) },
    atBlock,
    stateAtBlock: atView,
    current,
    stale,
    laterOps,
    ledger: { address: contract, pinned: opts.ledger !== undefined },
    steps,
  };
}

/** Reads a bundle from JSON text; invalid JSON or shape is CONSENT_PROOF_INVALID (reason malformed). */
export function parseConsentProofText(text: string): ConsentProofBundle {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (err) {
    throw proofInvalid('malformed', `The consent proof bundle is not valid JSON: ${(err as Error).message}`);
  }
  return parseConsentProof(json);
}
