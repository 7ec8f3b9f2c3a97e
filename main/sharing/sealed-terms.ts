// Agreement terms sealed for the partner: the proposal event carries them encrypted to the partner's secp256k1
// public key (ephemeral ECDH, HKDF-SHA256, AES-256-GCM bound to the agreement id), so only the partner reads them;
// the chain holds a salted commitment both parties sign. Pure apart from the random salt, ephemeral key and nonce.
import crypto from 'node:crypto';
import { secp256k1 } from '@noble/curves/secp256k1.js';
import { hkdf } from '@noble/hashes/hkdf.js';
import { sha256 } from '@noble/hashes/sha2.js';
import { AbiCoder, computeAddress, getBytes, hexlify, keccak256, toUtf8Bytes } from 'ethers';

/** Everything an agreement says, as both parties sign it (by its commitment). */
export interface SealedTerms {
  /** 32 random bytes: without them a guessed set of terms cannot be checked against the commitment. */
  salt: string;
  scope: bigint;
  orgA: string;
  orgB: string;
  validFrom: number;
  validUntil: number;
  documentHash: string;
}

const coder = AbiCoder.defaultAbiCoder();
const TYPES = ['bytes32', 'uint256', 'bytes32', 'bytes32', 'uint64', 'uint64', 'bytes32'] as const;
export const COMMITMENT_DOMAIN = 'custodian.sharing.terms.v2';
const HKDF_INFO = 'custodian.sharing.sealed-terms.v1';
const PLAIN_BYTES = 32 * TYPES.length;
/** ephemeral public key (33) + nonce (12) + ciphertext (fixed 224) + tag (16): every sealed term set has this length. */
export const SEALED_BYTES = 33 + 12 + PLAIN_BYTES + 16;

const encodeTerms = (t: SealedTerms) => coder.encode([...TYPES], [t.salt, t.scope, t.orgA, t.orgB, t.validFrom, t.validUntil, t.documentHash]);

export function newSalt(): string {
  return hexlify(crypto.randomBytes(32));
}

/** keccak256(abi.encode(keccak256(domain), salt, scope, orgA, orgB, validFrom, validUntil, documentHash)). */
export function termsCommitment(t: SealedTerms): string {
  return keccak256(coder.encode(['bytes32', 'bytes'], [keccak256(toUtf8Bytes(COMMITMENT_DOMAIN)), encodeTerms(t)]));
}

function keyOf(shared: Uint8Array, ephemeral: Uint8Array, agreementId: string): Buffer {
  return Buffer.from(hkdf(sha256, shared.subarray(1), ephemeral, toUtf8Bytes(`${HKDF_INFO}|${agreementId.toLowerCase()}`), 32));
}

/** A 33- or 65-byte secp256k1 public key (0x hex), or null when it is not a point on the curve. */
export function publicKeyBytes(publicKey: string): Uint8Array | null {
  try {
    const bytes = getBytes(publicKey);
    secp256k1.Point.fromBytes(bytes);
    return bytes;
  } catch {
    return null;
  }
}

export function addressOfPublicKey(publicKey: string): string {
  return computeAddress(publicKey);
}

/** The terms encrypted to `partnerPublicKey`, readable only with the partner's private key. */
export function sealTerms(t: SealedTerms, agreementId: string, partnerPublicKey: string): string {
  const partner = publicKeyBytes(partnerPublicKey);
  if (!partner) throw new Error('not a secp256k1 public key');
  const ephemeralSecret = secp256k1.utils.randomSecretKey();
  const ephemeral = secp256k1.getPublicKey(ephemeralSecret, true);
  const key = keyOf(secp256k1.getSharedSecret(ephemeralSecret, partner, true), ephemeral, agreementId);
  const nonce = crypto.randomBytes(12);
  const cipher = crypto.createCipheriv('aes-256-gcm', key, nonce);
  cipher.setAAD(Buffer.from(agreementId.toLowerCase(), 'utf8'));
  const body = Buffer.concat([cipher.update(getBytes(encodeTerms(t))), cipher.final()]);
  return hexlify(Buffer.concat([ephemeral, nonce, body, cipher.getAuthTag()]));
}

/** The terms of a sealed proposal, or null when they were not sealed to this key, for this agreement, or are malformed. */
export function openTerms(sealed: string, agreementId: string, privateKey: string): SealedTerms | null {
  try {
    const bytes = Buffer.from(getBytes(sealed));
    if (bytes.length !== SEALED_BYTES) return null;
    const ephemeral = bytes.subarray(0, 33);
    const key = keyOf(secp256k1.getSharedSecret(getBytes(privateKey), ephemeral, true), ephemeral, agreementId);
    const decipher = crypto.createDecipheriv('aes-256-gcm', key, bytes.subarray(33, 45));
    decipher.setAAD(Buffer.from(agreementId.toLowerCase(), 'utf8'));
    decipher.setAuthTag(bytes.subarray(bytes.length - 16));
    const plain = Buffer.concat([decipher.update(bytes.subarray(45, bytes.length - 16)), decipher.final()]);
    const [salt, scope, orgA, orgB, validFrom, validUntil, documentHash] = coder.decode([...TYPES], plain);
    return { salt: String(salt).toLowerCase(), scope: BigInt(scope), orgA: String(orgA).toLowerCase(), orgB: String(orgB).toLowerCase(), validFrom: Number(validFrom), validUntil: Number(validUntil), documentHash: String(documentHash).toLowerCase() };
  } catch {
    return null;
  }
}
