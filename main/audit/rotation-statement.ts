// The statement that rotates the key signing tree heads: the NEW key signs the old signer's address and the last
// head the old key signed (tree size, root). Pure format and signature; recording is key-rotation.ts.
import { AbiCoder, getAddress, getBytes, keccak256, verifyMessage } from 'ethers';
import { z } from 'zod';
import type { HeadSigner } from './heads';

export const ROTATION_DOMAIN = 'custodian.audit.key-rotation.v1';
/** The audit action of a rotation statement's entry. */
export const ROTATION_ACTION = 'audit.keyRotation';

/**
 * 'public-dev-key': the old key is anvil's public dev key #0, which signed heads on the embedded devnet before each
 * data folder had its own operating key (main/chain/devnet-keys.ts). The only reason there is so far.
 */
export type RotationReason = 'public-dev-key';

export interface KeyRotation {
  trailId: string;
  reason: RotationReason;
  oldSigner: string;
  newSigner: string;
  /** The last head signed by the old key: heads of the old key are accepted up to this size and no further. */
  treeSize: number;
  rootHash: string;
  timestamp: number;
  /** By the NEW key over rotationDigest: an edited size or root, or a statement by anyone else, does not verify. */
  signature: string;
}

const bytes32 = z.string().regex(/^0x[0-9a-f]{64}$/);
const addressSchema = z.string().regex(/^0x[0-9a-fA-F]{40}$/);
export const keyRotationSchema = z
  .object({
    trailId: bytes32,
    reason: z.literal('public-dev-key'),
    oldSigner: addressSchema,
    newSigner: addressSchema,
    treeSize: z.number().int().min(1).max(Number.MAX_SAFE_INTEGER),
    rootHash: bytes32,
    timestamp: z.number().int().min(0).max(Number.MAX_SAFE_INTEGER),
    signature: z.string().regex(/^0x[0-9a-f]{130}$/),
  })
  .strict();

export function rotationDigest(r: Omit<KeyRotation, 'signature'>): string {
  return keccak256(
    AbiCoder.defaultAbiCoder().encode(
      ['string', 'bytes32', 'string', 'address', 'address', 'uint64', 'bytes32', 'uint64'],
      [ROTATION_DOMAIN, r.trailId, r.reason, getAddress(r.oldSigner), getAddress(r.newSigner), r.treeSize, r.rootHash, r.timestamp],
    ),
  );
}

export function signKeyRotation(signer: HeadSigner, r: Omit<KeyRotation, 'signature' | 'newSigner'>): KeyRotation {
  const body = { ...r, oldSigner: getAddress(r.oldSigner), newSigner: getAddress(signer.address) };
  return { ...body, signature: signer.signMessageSync(getBytes(rotationDigest(body))) };
}

/** Whether the statement is signed by the new signer it names (and, when given, that signer is `expected`). */
export function rotationSignedByNewKey(r: KeyRotation, expected?: string): boolean {
  try {
    const by = getAddress(verifyMessage(getBytes(rotationDigest(r)), r.signature));
    return by === getAddress(r.newSigner) && (expected === undefined || by === getAddress(expected));
  } catch {
    return false;
  }
}
