// What of a consent reaches the chain, under the facility secret: the facility's namespace id, the op key (a keyed
// commitment, one HMAC salt per key so revealing one salt proves one key and nothing else) and the terms sealed with
// AES-256-GCM. Nothing here yields to a dictionary of pseudonyms, NPIs, codes or dates without the secret.
// Used by the sync encoder (sealing) and the puller (opening); the facility's workstations share the secret.
import crypto from 'node:crypto';
import { AbiCoder, keccak256 } from 'ethers';
import type { GranteeKind } from './codes';
import { granteeHashOf } from './outbox-events';

const FACILITY_TAG = 'custodian/facility-id/v1';
const KEY_TAG = 'custodian/consent-key/v1';
const TERMS_INFO = 'custodian/consent-terms/v1';
const OP_TERMS_TAG = 'custodian/consent-op-terms/v1';
const NONCE_BYTES = 12;
const TAG_BYTES = 16;
/**
 * Terms layout: pseudonym 32, purpose 1, category 1, validFrom 8, validUntil 8, decision 1, revoked 1, document 32,
 * prevHlc 8, grantee kind 1, grantee length 1, grantee text padded to 30 bytes (or to 158 when longer: one bit of
 * length shows).
 */
const FIXED_BYTES = 94;
const SHORT_GRANTEE = 30;
const LONG_GRANTEE = 158;
/** Length of a sealed op in bytes (nonce, ciphertext, tag) for a grantee id of up to 30 bytes (every NPI). */
export const SEALED_BYTES = NONCE_BYTES + FIXED_BYTES + SHORT_GRANTEE + TAG_BYTES;
const GRANTEE_KINDS = ['npi', 'org'] as const;

/** The fields that make a consent key (the grantee enters as its hash, as in the consents domain). */
export interface ConsentKeyFields {
  patientPseudonym: string;
  granteeKind: GranteeKind;
  grantee: string;
  purposeCode: number;
  categoryCode: number;
}

/** Everything a change says, as sealed in the event. */
export interface ConsentTerms extends ConsentKeyFields {
  validFrom: number;
  validUntil: number;
  decision: 1 | 2;
  revoked: boolean;
  documentHash: string;
  /**
   * The highest stamp the writer had seen for this key when it wrote the change (0 for none). A change that replaces
   * another whose stamp it had not seen was concurrent with it: the replaced change's writer is told (a conflict).
   */
  prevHlc: bigint;
}

const coder = AbiCoder.defaultAbiCoder();
const b32 = (hex: string) => {
  const buf = Buffer.from(hex.slice(2), 'hex');
  if (!/^0x[0-9a-fA-F]{64}$/.test(hex)) throw new RangeError('expected 0x + 64 hex digits');
  return buf;
};
const hex = (buf: Buffer) => `0x${buf.toString('hex')}`;

export class ConsentSealer {
  /** The facility's namespace on chain: HMAC(secret, tag), so it names no facility to an outsider. */
  readonly facilityId: string;
  private readonly encKey: Buffer;

  constructor(private readonly secret: Buffer) {
    if (secret.length < 16) throw new RangeError('the facility secret must be at least 128 bits');
    this.facilityId = hex(crypto.createHmac('sha256', secret).update(FACILITY_TAG).digest());
    this.encKey = Buffer.from(crypto.hkdfSync('sha256', secret, Buffer.alloc(0), TERMS_INFO, 32));
  }

  /** HMAC-SHA256(secret, tag || fields): the per-key opening. */
  keySalt(f: ConsentKeyFields): string {
    const mac = crypto.createHmac('sha256', this.secret).update(KEY_TAG);
    mac.update(b32(f.patientPseudonym)).update(b32(granteeHashOf(f.granteeKind, f.grantee))).update(Buffer.from([f.purposeCode, f.categoryCode]));
    return hex(mac.digest());
  }

  /** keccak256(abi.encode(keySalt, pseudonym, grantee, purposeCode, categoryCode)). */
  opKey(f: ConsentKeyFields): string {
    return opKeyOf(this.keySalt(f), f);
  }

  /**
   * AES-256-GCM with a random nonce, under a key of its own for this one sealing (termsKeyOf): revealing that key to an
   * auditor opens this change and no other. The op key and order word are authenticated, so a blob cannot be moved.
   */
  seal(t: ConsentTerms, opKey: string, order: bigint): string {
    const nonce = crypto.randomBytes(NONCE_BYTES);
    const cipher = crypto.createCipheriv('aes-256-gcm', this.opTermsKey(nonce, opKey, order), nonce);
    cipher.setAAD(aad(opKey, order));
    const body = Buffer.concat([cipher.update(encodeTerms(t)), cipher.final()]);
    return hex(Buffer.concat([nonce, body, cipher.getAuthTag()]));
  }

  /** The terms, or null when the blob was not sealed by this facility for this key and order (or was altered). */
  open(sealed: string, opKey: string, order: bigint): ConsentTerms | null {
    const buf = sealedBytes(sealed);
    if (!buf) return null;
    const terms = openWith(this.opTermsKey(buf.subarray(0, NONCE_BYTES), opKey, order), buf, opKey, order);
    // The key must be the one these terms make: a facility member could not forge it, but check anyway.
    return terms && this.opKey(terms) === opKey.toLowerCase() ? terms : null;
  }

  /**
   * The key that opens this one sealed change (0x + 64 hex digits): what a proof bundle reveals instead of the secret.
   * Null when the blob is malformed or was not sealed with a per-change key of this facility for this key and order.
   */
  termsKeyOf(sealed: string, opKey: string, order: bigint): string | null {
    const buf = sealedBytes(sealed);
    if (!buf) return null;
    const key = this.opTermsKey(buf.subarray(0, NONCE_BYTES), opKey, order);
    return openWith(key, buf, opKey, order) ? hex(key) : null;
  }

  /** HMAC-SHA256(terms key, tag || nonce || opKey || order): one key per sealing, useless for any other blob. */
  private opTermsKey(nonce: Buffer, opKey: string, order: bigint): Buffer {
    return crypto.createHmac('sha256', this.encKey).update(OP_TERMS_TAG).update(nonce).update(aad(opKey, order)).digest();
  }
}

/**
 * Opens one sealed change with its own terms key (from a proof bundle), without the facility secret. Null when the
 * key does not open it for this op key and order, or the plaintext is not well-formed terms. The caller checks that
 * the terms' key fields give the op key (opKeyOf with the bundle's keySalt).
 */
export function openSealedTerms(sealed: string, termsKey: string, opKey: string, order: bigint): ConsentTerms | null {
  const buf = sealedBytes(sealed);
  if (!buf || !/^0x[0-9a-fA-F]{64}$/.test(termsKey)) return null;
  return openWith(b32(termsKey), buf, opKey, order);
}

function sealedBytes(sealed: string): Buffer | null {
  if (!/^0x([0-9a-fA-F]{2})*$/.test(sealed)) return null;
  const buf = Buffer.from(sealed.slice(2), 'hex');
  return buf.length === NONCE_BYTES + FIXED_BYTES + SHORT_GRANTEE + TAG_BYTES || buf.length === NONCE_BYTES + FIXED_BYTES + LONG_GRANTEE + TAG_BYTES ? buf : null;
}

function openWith(key: Buffer, buf: Buffer, opKey: string, order: bigint): ConsentTerms | null {
  try {
    const decipher = crypto.createDecipheriv('aes-256-gcm', key, buf.subarray(0, NONCE_BYTES));
    decipher.setAAD(aad(opKey, order));
    decipher.setAuthTag(buf.subarray(buf.length - TAG_BYTES));
    return decodeTerms(Buffer.concat([decipher.update(buf.subarray(NONCE_BYTES, buf.length - TAG_BYTES)), decipher.final()]));
  } catch {
    return null;
  }
}

/** The op key from its opening (keySalt) and fields: what an auditor given one salt checks. */
export function opKeyOf(keySalt: string, f: ConsentKeyFields): string {
  return keccak256(coder.encode(['bytes32', 'bytes32', 'bytes32', 'uint8', 'uint8'], [keySalt, f.patientPseudonym, granteeHashOf(f.granteeKind, f.grantee), f.purposeCode, f.categoryCode]));
}

function aad(opKey: string, order: bigint): Buffer {
  return Buffer.concat([b32(opKey), Buffer.from(order.toString(16).padStart(64, '0'), 'hex')]);
}

function encodeTerms(t: ConsentTerms): Buffer {
  const grantee = Buffer.from(t.grantee, 'utf8');
  if (grantee.length === 0 || grantee.length > LONG_GRANTEE) throw new RangeError(`a grantee id must be 1..${LONG_GRANTEE} UTF-8 bytes`);
  const out = Buffer.alloc(FIXED_BYTES + (grantee.length <= SHORT_GRANTEE ? SHORT_GRANTEE : LONG_GRANTEE));
  b32(t.patientPseudonym).copy(out, 0);
  out[32] = t.purposeCode;
  out[33] = t.categoryCode;
  out.writeBigUInt64BE(BigInt(t.validFrom), 34);
  out.writeBigUInt64BE(BigInt(t.validUntil), 42);
  out[50] = t.decision;
  out[51] = t.revoked ? 1 : 0;
  b32(t.documentHash).copy(out, 52);
  out.writeBigUInt64BE(t.prevHlc, 84);
  out[92] = GRANTEE_KINDS.indexOf(t.granteeKind) + 1;
  out[93] = grantee.length;
  grantee.copy(out, FIXED_BYTES);
  return out;
}

function decodeTerms(b: Buffer): ConsentTerms | null {
  const decision = b[50];
  const kind = GRANTEE_KINDS[b[92]! - 1];
  const len = b[93]!;
  if ((decision !== 1 && decision !== 2) || b[51]! > 1 || !kind || len === 0 || FIXED_BYTES + len > b.length) return null;
  const validFrom = b.readBigUInt64BE(34);
  const validUntil = b.readBigUInt64BE(42);
  if (validFrom > BigInt(Number.MAX_SAFE_INTEGER) || validUntil > BigInt(Number.MAX_SAFE_INTEGER)) return null;
  return {
    patientPseudonym: hex(b.subarray(0, 32)),
    granteeKind: kind,
    grantee: b.subarray(FIXED_BYTES, FIXED_BYTES + len).toString('utf8'),
    purposeCode: b[32]!,
    categoryCode: b[33]!,
    validFrom: Number(validFrom),
    validUntil: Number(validUntil),
    decision,
    revoked: b[51] === 1,
    documentHash: hex(b.subarray(52, 84)),
    prevHlc: b.readBigUInt64BE(84),
  };
}
