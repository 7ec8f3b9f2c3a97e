// Signed tree heads (STH) of the audit log, as in Certificate Transparency: tree size, root, time and trail, signed
// with the workstation's key (EIP-191 over a domain-tagged digest, so a head cannot pose as any other signed message).
import { AbiCoder, getAddress, getBytes, keccak256, verifyMessage } from 'ethers';
import { z } from 'zod';

export const STH_DOMAIN = 'custodian.audit.sth.v1';

/** The key that signs heads: the workstation's sync key (an ethers Wallet signs synchronously). */
export interface HeadSigner {
  readonly address: string;
  signMessageSync(message: Uint8Array): string;
}

export interface TreeHead {
  /** The audit trail (audit/trail-id.ts): binds the head to one database's log. */
  trailId: string;
  treeSize: number;
  /** RFC 6962 root of the first treeSize entries, 0x + 64 hex digits. */
  rootHash: string;
  /** Unix milliseconds when it was signed. */
  timestamp: number;
}

export interface SignedTreeHead extends TreeHead {
  signer: string;
  signature: string;
}

const bytes32 = z.string().regex(/^0x[0-9a-f]{64}$/, 'must be 0x + 64 lower-case hex digits');
export const signedTreeHeadSchema = z
  .object({
    trailId: bytes32,
    treeSize: z.number().int().min(1).max(Number.MAX_SAFE_INTEGER),
    rootHash: bytes32,
    timestamp: z.number().int().min(0).max(Number.MAX_SAFE_INTEGER),
    signer: z.string().regex(/^0x[0-9a-fA-F]{40}$/, 'must be an address'),
    signature: z.string().regex(/^0x[0-9a-f]{130}$/, 'must be a 65-byte signature'),
  })
  .strict();

/** keccak256(abi.encode(domain, trailId, treeSize, rootHash, timestamp)): what the key signs. */
export function headDigest(h: TreeHead): string {
  return keccak256(AbiCoder.defaultAbiCoder().encode(['string', 'bytes32', 'uint64', 'bytes32', 'uint64'], [STH_DOMAIN, h.trailId, h.treeSize, h.rootHash, h.timestamp]));
}

export function signTreeHead(signer: HeadSigner, head: TreeHead): SignedTreeHead {
  const signature = signer.signMessageSync(getBytes(headDigest(head)));
  return { ...head, signer: getAddress(signer.address), signature };
}

/** Who signed the head, or null when the signature is malformed. */
export function recoverHeadSigner(h: SignedTreeHead): string | null {
  try {
    return getAddress(verifyMessage(getBytes(headDigest(h)), h.signature));
  } catch {
    return null;
  }
}

/** Whether `h` carries a valid signature by its own `signer` and, when given, by `expected`. */
export function headSignedBy(h: SignedTreeHead, expected?: string): boolean {
  const by = recoverHeadSigner(h);
  if (by === null || by !== getAddress(h.signer)) return false;
  return expected === undefined || by === getAddress(expected);
}

export function sameHead(a: TreeHead, b: TreeHead): boolean {
  return a.trailId === b.trailId && a.treeSize === b.treeSize && a.rootHash === b.rootHash;
}
