// keccak256 straight over bytes for bulk Merkle work (verification, proofs), without ethers' hex round trips.
// Uses @noble/hashes, the audited implementation ethers itself builds on, rather than a hand-written permutation.
import { keccak_256 } from '@noble/hashes/sha3.js';

/** keccak256(input) written to out[offset..offset+32). */
export function keccak256Block(input: Uint8Array, out: Uint8Array, offset = 0): void {
  out.set(keccak_256(input), offset);
}
