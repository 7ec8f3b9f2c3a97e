// Proof bundles a third party can check: one audit entry, its inclusion proof in a signed tree head, and the
// consistency proof from that head to a later head the workstation anchored on chain. Pure verification (no
// database): offline for the Merkle and signature parts, any JSON-RPC endpoint for the anchor.
import { getAddress, type JsonRpcProvider } from 'ethers';
import { z } from 'zod';
import type { AuditProofBundle, ProofCheckResult, ProofCheckStep } from '../api/audit';
import { AppError } from '../api/errors';
import { AuditAnchorReader, decodeHeadAnchored } from './anchor-reader';
import { headSignedBy, recoverHeadSigner, signedTreeHeadSchema } from './heads';
import { entryLeaf } from './log';
import { fromHex, verifyConsistency, verifyInclusion } from './log-tree';
import { entryHash } from './trail';

export const PROOF_FORMAT = 'custodian-audit-proof/2';

const bytes32 = z.string().regex(/^0x[0-9a-f]{64}$/, 'must be 0x + 64 lower-case hex digits');
const hex64 = z.string().regex(/^[0-9a-f]{64}$/, 'must be 64 lower-case hex digits');
const positive = z.number().int().min(1).max(Number.MAX_SAFE_INTEGER);
const nullableText = z.string().max(10_000).nullable();
const address = z.string().regex(/^0x[0-9a-fA-F]{40}$/, 'must be a 0x-prefixed 20-byte address');

const entrySchema = z
  .object({
    id: positive,
    at: z.string().min(1).max(64),
    actor_id: nullableText,
    actor_name: nullableText,
    actor_role: nullableText,
    workstation: z.string().max(10_000),
    action: z.string().min(1).max(10_000),
    outcome: z.string().min(1).max(64),
    patient_id: positive.nullable(),
    subject: nullableText,
    details: z.string().max(100_000),
    prev_hash: hex64,
    hash: hex64,
  })
  .strict();

/** The bundle as read from a file: everything is checked here, at the trust boundary, before any use. */
export const proofBundleSchema = z
  .object({
    format: z.literal(PROOF_FORMAT),
    entry: entrySchema,
    leafIndex: z.number().int().min(0).max(Number.MAX_SAFE_INTEGER),
    head: signedTreeHeadSchema,
    inclusion: z.array(bytes32).max(64),
    anchor: z
      .object({
        chainId: positive,
        contract: address,
        trail: address,
        treeSize: positive,
        rootHash: bytes32,
        consistency: z.array(bytes32).max(128),
        txHash: bytes32,
        blockNumber: z.number().int().min(0).max(Number.MAX_SAFE_INTEGER),
        blockHash: bytes32,
        logIndex: z.number().int().min(0).max(1_000_000),
      })
      .strict()
      .nullable(),
    exportedAt: z.string().min(1).max(64),
  })
  .strict() satisfies z.ZodType<AuditProofBundle>;

/** Validates untrusted JSON (a file, a paste) as a proof bundle; the error names the field and the reason. */
export function parseProofBundle(json: unknown): AuditProofBundle {
  const parsed = proofBundleSchema.safeParse(json);
  if (!parsed.success) {
    const issues = parsed.error.issues.map((i) => ({ field: i.path.map(String).join('.') || '(bundle)', message: i.message }));
    throw new AppError('AUDIT_PROOF_INVALID', `Not a valid audit proof bundle: ${issues.map((i) => `${i.field}: ${i.message}`).join('; ')}`, { issues });
  }
  return parsed.data as AuditProofBundle;
}

const step = (name: string, ok: boolean | null, message: string): ProofCheckStep => ({ name, ok, message });
const short = (h: string) => `${h.slice(0, 12)}…`;

/** Offline: entry fields → entry hash → leaf → inclusion in the signed head; head signature; head → anchored head. */
export function checkProofOffline(b: AuditProofBundle): ProofCheckStep[] {
  const id = b.entry.id;
  const { hash, ...fields } = b.entry;
  const steps: ProofCheckStep[] = [];
  const recomputed = entryHash(fields);
  steps.push(
    recomputed === hash
      ? step('entry-hash', true, `Entry ${id}'s fields hash to its recorded hash.`)
      : step('entry-hash', false, `Entry ${id}'s fields hash to ${recomputed.slice(0, 12)}…, not to the recorded ${hash.slice(0, 12)}…: the entry was altered.`),
  );
  const h = b.head;
  const by = recoverHeadSigner(h);
  steps.push(
    headSignedBy(h)
      ? step('head-signature', true, `The head of ${h.treeSize} entries (root ${short(h.rootHash)}, ${new Date(h.timestamp).toISOString()}) is signed by ${h.signer}.`)
      : step('head-signature', false, `The head's signature is by ${by ?? 'no valid key'}, not by ${h.signer}: the head was forged or altered.`),
  );
  const included = b.leafIndex === id - 1 && verifyInclusion(b.leafIndex, h.treeSize, entryLeaf(hash), b.inclusion.map(fromHex), fromHex(h.rootHash));
  steps.push(
    included
      ? step('inclusion', true, `Entry ${id} is leaf ${b.leafIndex} of the signed head's tree (RFC 6962 inclusion proof).`)
      : step('inclusion', false, `The inclusion proof does not lead from entry ${id} (leaf ${b.leafIndex}) to the head's root ${short(h.rootHash)}: the entry, the path or the head was altered.`),
  );
  const a = b.anchor;
  if (a) {
    const consistent = verifyConsistency(h.treeSize, a.treeSize, a.consistency.map(fromHex), fromHex(h.rootHash), fromHex(a.rootHash));
    steps.push(
      consistent
        ? step('consistency', true, `The anchored head of ${a.treeSize} entries extends the signed head of ${h.treeSize} (RFC 6962 consistency proof).`)
        : step('consistency', false, `The anchored head of ${a.treeSize} entries (root ${short(a.rootHash)}) is not an append-only extension of the signed head of ${h.treeSize}: the log was rewritten.`),
    );
    steps.push(
      getAddress(a.trail) === getAddress(h.signer)
        ? step('anchor-trail', true, `The anchor's trail is the head's signer ${getAddress(h.signer)}.`)
        : step('anchor-trail', false, `The anchor is in trail ${a.trail}, not in the head signer's (${h.signer}).`),
    );
  }
  return steps;
}

/** On chain: the transaction and its HeadAnchored log, the block, and the contract's current view of the head. */
export async function checkProofOnChain(b: AuditProofBundle, provider: JsonRpcProvider): Promise<ProofCheckStep[]> {
  const a = b.anchor;
  if (!a) return [step('anchor', false, `The bundle names no anchored head: the head of ${b.head.treeSize} entries was not anchored when it was exported.`)];
  const steps: ProofCheckStep[] = [];
  // Asked of the node itself: a provider's configured network is not evidence of which chain answers.
  const chainId = Number(BigInt((await provider.send('eth_chainId', [])) as string));
  if (chainId !== a.chainId) return [step('chain-id', false, `The endpoint serves chain ${chainId}, the bundle was anchored on chain ${a.chainId}.`)];
  steps.push(step('chain-id', true, `The endpoint serves chain ${chainId}.`));
  const receipt = await provider.getTransactionReceipt(a.txHash);
  if (!receipt || receipt.status !== 1) return [...steps, step('transaction', false, `Transaction ${a.txHash} is ${receipt ? 'reverted' : 'unknown to the endpoint'}.`)];
  const contract = getAddress(a.contract);
  const log = receipt.logs.filter((l) => getAddress(l.address) === contract).map((l) => decodeHeadAnchored(l)).find((l) => l !== null);
  if (!log || log.trail !== getAddress(a.trail) || log.treeSize !== a.treeSize || log.rootHash !== a.rootHash) {
    return [...steps, step('transaction', false, `Transaction ${a.txHash} has no HeadAnchored log of ${contract} for trail ${a.trail}, ${a.treeSize} entries, root ${short(a.rootHash)}.`)];
  }
  steps.push(step('transaction', true, `Transaction ${a.txHash} anchored the head of ${a.treeSize} entries in trail ${log.trail} (head #${log.index}).`));
  const block = await provider.getBlock(receipt.blockNumber);
  const head = await provider.getBlockNumber();
  steps.push(
    block?.hash === a.blockHash && receipt.blockHash === a.blockHash
      ? step('block', true, `Block ${a.blockNumber} is ${short(a.blockHash)} on the canonical chain (${head - a.blockNumber + 1} confirmations).`)
      : step('block', false, `Block ${a.blockNumber} is now ${block?.hash ? short(block.hash) : 'missing'}, not ${short(a.blockHash)}: the anchor was reorganised away.`),
  );
  const onChain = await new AuditAnchorReader(provider, contract).rootOf(a.trail, a.treeSize);
  steps.push(
    onChain?.rootHash === a.rootHash
      ? step('contract-head', true, `AuditAnchor holds root ${short(a.rootHash)} for ${a.treeSize} entries in trail ${getAddress(a.trail)}.`)
      : step('contract-head', false, `AuditAnchor at ${contract} does not hold root ${short(a.rootHash)} for ${a.treeSize} entries in trail ${getAddress(a.trail)}.`),
  );
  return steps;
}

/** Checks a parsed bundle: offline always, on chain when a provider is given. ok only when both parts pass. */
export async function checkProofBundle(b: AuditProofBundle, provider: JsonRpcProvider | null): Promise<ProofCheckResult> {
  const offline = checkProofOffline(b);
  const offlineOk = offline.every((s) => s.ok === true);
  let onChain: ProofCheckStep[];
  if (!provider) {
    onChain = [step('on-chain', null, 'Not checked: no JSON-RPC endpoint given (--rpc URL).')];
  } else {
    try {
      onChain = await checkProofOnChain(b, provider);
    } catch (err) {
      onChain = [step('on-chain', false, `The JSON-RPC endpoint could not be read: ${(err as Error).message.split('\n')[0]!.slice(0, 200)}`)];
    }
  }
  const onChainChecked = provider !== null;
  return {
    ok: offlineOk && onChainChecked && onChain.every((s) => s.ok === true),
    entryId: b.entry.id,
    offlineOk,
    onChainChecked,
    steps: [...offline, ...onChain],
  };
}

/** Reads a bundle from JSON text (a file's contents) and checks it; invalid JSON or shape is AUDIT_PROOF_INVALID. */
export async function checkProofText(text: string, provider: JsonRpcProvider | null): Promise<ProofCheckResult> {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (err) {
    throw new AppError('AUDIT_PROOF_INVALID', `The proof bundle is not valid JSON: ${(err as Error).message}`);
  }
  return checkProofBundle(parseProofBundle(json), provider);
}
