// Proof bundles a third party can check: one audit entry, its Merkle path to the batch root, and where AuditAnchor
// anchored that root (in which trail). Pure verification (no database): offline for the Merkle part, any JSON-RPC
// node for the rest.
import { getAddress, type JsonRpcProvider } from 'ethers';
import { z } from 'zod';
import type { AuditEntryRecord, AuditProofBundle, ProofCheckResult, ProofCheckStep } from '../api/audit';
import { AppError } from '../api/errors';
import { AuditAnchorReader, decodeRootAnchored, type RootAnchoredLog } from './anchor-reader';
import { batchIdOf, leafHashOf, leafOf, LEAF_ENCODING, verifyLeafProof, type AuditLeaf } from './merkle';
import { entryHash } from './trail';

export const PROOF_FORMAT = 'custodian-audit-proof/1';

const bytes32 = z.string().regex(/^0x[0-9a-f]{64}$/, 'must be 0x + 64 lower-case hex digits');
const hex64 = z.string().regex(/^[0-9a-f]{64}$/, 'must be 64 lower-case hex digits');
const positive = z.number().int().min(1).max(Number.MAX_SAFE_INTEGER);
const nullableText = z.string().max(10_000).nullable();

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
    leaf: z
      .object({
        encoding: z.tuple([z.literal('uint256'), z.literal('bytes32')]),
        value: z.tuple([z.string().regex(/^[1-9][0-9]{0,15}$/, 'must be the entry id in decimal'), bytes32]),
        hash: bytes32,
      })
      .strict(),
    merkle: z
      .object({
        root: bytes32,
        proof: z.array(bytes32).max(64),
        trailId: bytes32,
        batchId: bytes32,
        firstEntryId: positive,
        lastEntryId: positive,
        leafCount: positive,
        previousRoot: bytes32,
      })
      .strict(),
    anchor: z
      .object({
        chainId: positive,
        contract: z.string().regex(/^0x[0-9a-fA-F]{40}$/, 'must be a 0x-prefixed 20-byte address'),
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

export interface BundleInput {
  entry: AuditEntryRecord;
  leaf: AuditLeaf;
  proof: string[];
  batch: { trailId: string; batchId: string; firstEntryId: number; lastEntryId: number; leafCount: number; merkleRoot: string; previousRoot: string };
  anchor: RootAnchoredLog & { chainId: number } | null;
  exportedAt?: Date;
}

export function buildProofBundle(input: BundleInput): AuditProofBundle {
  const { entry, leaf, batch, anchor } = input;
  return {
    format: PROOF_FORMAT,
    entry: { ...entry },
    leaf: { encoding: [...LEAF_ENCODING], value: [leaf[0].toString(), leaf[1]], hash: leafHashOf(leaf) },
    merkle: {
      root: batch.merkleRoot,
      proof: [...input.proof],
      trailId: batch.trailId,
      batchId: batch.batchId,
      firstEntryId: batch.firstEntryId,
      lastEntryId: batch.lastEntryId,
      leafCount: batch.leafCount,
      previousRoot: batch.previousRoot,
    },
    anchor: anchor
      ? { chainId: anchor.chainId, contract: anchor.contract, txHash: anchor.txHash, blockNumber: anchor.blockNumber, blockHash: anchor.blockHash, logIndex: anchor.logIndex }
      : null,
    exportedAt: (input.exportedAt ?? new Date()).toISOString(),
  };
}

const step = (name: string, ok: boolean | null, message: string): ProofCheckStep => ({ name, ok, message });

/** The Merkle part, offline: entry fields → entry hash → leaf → root, and the batch id from its range and root. */
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
  const leaf = leafOf(id, hash);
  const leafMatches = b.leaf.value[0] === String(id) && b.leaf.value[1] === leaf[1];
  const leafHash = leafHashOf(leaf);
  steps.push(
    leafMatches && b.leaf.hash === leafHash
      ? step('leaf', true, `The leaf is [${id}, entry hash] and hashes to ${leafHash.slice(0, 12)}….`)
      : step('leaf', false, `The bundle's leaf is not [entry id ${id}, entry hash] or its leaf hash is wrong.`),
  );
  steps.push(
    verifyLeafProof(b.merkle.root, leaf, b.merkle.proof)
      ? step('merkle-path', true, `The Merkle path leads from entry ${id}'s leaf to root ${b.merkle.root.slice(0, 12)}….`)
      : step('merkle-path', false, `The Merkle path does not lead from entry ${id}'s leaf to root ${b.merkle.root.slice(0, 12)}…: a path element, the leaf or the root was altered.`),
  );
  const m = b.merkle;
  const inRange = id >= m.firstEntryId && id <= m.lastEntryId && m.leafCount === m.lastEntryId - m.firstEntryId + 1;
  steps.push(
    inRange && batchIdOf(m.firstEntryId, m.lastEntryId, m.root) === m.batchId
      ? step('batch-id', true, `Batch id ${m.batchId.slice(0, 12)}… is keccak256(${m.firstEntryId}, ${m.lastEntryId}, root).`)
      : step('batch-id', false, `Batch id ${m.batchId.slice(0, 12)}… does not match entries ${m.firstEntryId}–${m.lastEntryId} and the root, or entry ${id} is outside them.`),
  );
  return steps;
}

/** The chain part: the transaction, its RootAnchored log (trail and root), the block, and the contract's own view. */
export async function checkProofOnChain(b: AuditProofBundle, provider: JsonRpcProvider): Promise<ProofCheckStep[]> {
  const a = b.anchor;
  if (!a) return [step('anchor', false, `The bundle names no anchoring transaction: batch ${b.merkle.batchId.slice(0, 12)}… was not anchored when it was exported.`)];
  const steps: ProofCheckStep[] = [];
  // Asked of the node itself: a provider's configured network is not evidence of which chain answers.
  const chainId = Number(BigInt((await provider.send('eth_chainId', [])) as string));
  if (chainId !== a.chainId) return [step('chain-id', false, `The RPC endpoint serves chain ${chainId}, but the bundle was anchored on chain ${a.chainId}.`)];
  steps.push(step('chain-id', true, `Chain id ${chainId}.`));

  const receipt = await provider.getTransactionReceipt(a.txHash);
  if (!receipt) return [...steps, step('transaction', false, `Transaction ${a.txHash} is not on this chain.`)];
  if (receipt.status !== 1) return [...steps, step('transaction', false, `Transaction ${a.txHash} reverted.`)];
  if (receipt.blockNumber !== a.blockNumber || receipt.blockHash !== a.blockHash) {
    return [...steps, step('transaction', false, `Transaction ${a.txHash} is in block ${receipt.blockNumber} (${receipt.blockHash.slice(0, 12)}…), not block ${a.blockNumber} (${a.blockHash.slice(0, 12)}…) as the bundle says.`)];
  }
  const contract = getAddress(a.contract);
  const logs = receipt.logs.filter((l) => getAddress(l.address) === contract).map((l) => decodeRootAnchored(l));
  const log = logs.find((l) => l !== null && l.batchId === b.merkle.batchId);
  if (!log) return [...steps, step('transaction', false, `Transaction ${a.txHash} has no RootAnchored log of contract ${contract} for batch ${b.merkle.batchId.slice(0, 12)}….`)];
  if (log.trailId !== b.merkle.trailId) {
    return [...steps, step('transaction', false, `The RootAnchored log in ${a.txHash} anchors batch ${b.merkle.batchId.slice(0, 12)}… in trail ${log.trailId.slice(0, 12)}…, not in the bundle's trail ${b.merkle.trailId.slice(0, 12)}….`)];
  }
  if (log.merkleRoot !== b.merkle.root || log.leafCount !== b.merkle.leafCount || log.previousRoot !== b.merkle.previousRoot) {
    return [...steps, step('transaction', false, `The RootAnchored log in ${a.txHash} anchors root ${log.merkleRoot.slice(0, 12)}… (${log.leafCount} leaves, after ${log.previousRoot.slice(0, 12)}…), not the bundle's root ${b.merkle.root.slice(0, 12)}… (${b.merkle.leafCount}, after ${b.merkle.previousRoot.slice(0, 12)}…).`)];
  }
  steps.push(step('transaction', true, `Transaction ${a.txHash} anchored this root in trail ${log.trailId.slice(0, 12)}… (root #${log.index} of the trail).`));

  const block = await provider.getBlock(a.blockNumber);
  const head = await provider.getBlockNumber();
  steps.push(
    block?.hash === a.blockHash
      ? step('block', true, `Block ${a.blockNumber} is ${a.blockHash.slice(0, 12)}… on the canonical chain (${head - a.blockNumber + 1} confirmations).`)
      : step('block', false, `Block ${a.blockNumber} is now ${block?.hash?.slice(0, 12) ?? 'missing'}…, not ${a.blockHash.slice(0, 12)}…: the anchor was reorganised away.`),
  );

  const reader = new AuditAnchorReader(provider, contract);
  const [anchored, onChain, leafOk] = await Promise.all([
    reader.isAnchored(b.merkle.root),
    reader.anchorOf(b.merkle.batchId),
    reader.verifyLeaf(b.merkle.root, b.leaf.hash, b.merkle.proof),
  ]);
  steps.push(
    anchored && onChain?.merkleRoot === b.merkle.root && onChain.trailId === b.merkle.trailId
      ? step('contract-anchor', true, `AuditAnchor holds root ${b.merkle.root.slice(0, 12)}… for batch ${b.merkle.batchId.slice(0, 12)}… in trail ${b.merkle.trailId.slice(0, 12)}….`)
      : step('contract-anchor', false, `AuditAnchor at ${contract} does not hold root ${b.merkle.root.slice(0, 12)}… for batch ${b.merkle.batchId.slice(0, 12)}… in trail ${b.merkle.trailId.slice(0, 12)}….`),
  );
  steps.push(
    leafOk
      ? step('contract-verify-leaf', true, `AuditAnchor.verifyLeaf accepts entry ${b.entry.id}'s leaf and path.`)
      : step('contract-verify-leaf', false, `AuditAnchor.verifyLeaf rejects entry ${b.entry.id}'s leaf and path.`),
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
