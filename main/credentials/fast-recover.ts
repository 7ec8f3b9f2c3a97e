// Bulk signature checking, a few times faster than ethers per credential and giving exactly its answers: the EIP-712
// digest from fixed words (type hash and domain separator once), and for an issuer seen often, a check against its
// known public key with precomputed tables instead of a full recovery. Used by the recover pool and the verifyAll job.
import { secp256k1 } from '@noble/curves/secp256k1.js';
import { keccak_256 } from '@noble/hashes/sha3.js';
import { computeAddress, getAddress, SigningKey, TypedDataEncoder } from 'ethers';
import { CREDENTIAL_TYPED_DATA, credentialDigest, domainSeparator, recoverSigner, type CredentialDomain, type CredentialFields } from './eip712';
import type { Recovered } from './verdict';

// @noble/curves is a direct dependency, pinned, used through its public API only (Point, its scalar field Fn,
// precompute, multiplyUnsafe): it bundles like any other module, so the Electron app gets the same fast path.
type CurvePoint = typeof secp256k1.Point.BASE;
const { Point } = secp256k1;
const Fn = Point.Fn;
/** Window of an issuer key's precomputed table (noble keeps the table beside the point; 2^(W-1) points per window). */
const WINDOW = 8;

const utf8 = new TextEncoder();
const HEX_SIGNATURE = /^0x[0-9a-fA-F]{130}$/;
const HEX_ADDRESS = /^0x[0-9a-fA-F]{40}$/;
// TextEncoder and ethers differ only on unpaired surrogates (ethers refuses them): any surrogate takes ethers' path.
const SURROGATE = /[\uD800-\uDFFF]/;
const STRING_FIELDS = ['npi', 'credentialType', 'jurisdiction', 'number', 'validFrom', 'validUntil'] as const;

function hexOf(bytes: Uint8Array): string {
  return `0x${Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('hex')}`;
}

function bytesOf(hex: string): Uint8Array {
  return Uint8Array.from(Buffer.from(hex.slice(2), 'hex'));
}

interface IssuerKey {
  address: string;
  /** Uncompressed public key, learnt from a recovery that gave this issuer's address. */
  publicKey: string;
  seen: number;
  /** The key as a point with its window table precomputed (held by noble for as long as this point lives). */
  table: CurvePoint | null;
}

export interface SignatureChecker {
  /** The credential's EIP-712 digest and the address its signature recovers to (null: not a valid signature). */
  recover(domain: CredentialDomain, fields: CredentialFields, signature: string): Recovered;
  /** Checks that took the precomputed-key path (for the benchmark). */
  readonly fastChecks: number;
}

export interface SignatureCheckerOptions {
  /** Recoveries of one issuer before its table is built (~30 recoveries' worth of work). Default 32. */
  tableAfter?: number;
  /** Issuers with a table at once (each ~0.5 MB); the least recently added is dropped. Default 32. */
  maxTables?: number;
  /** Off: ethers' path only (the baseline in tests and the benchmark). */
  fast?: boolean;
}

/**
 * A checker keeps what it learns (issuer keys, tables) for its lifetime: one per job or helper thread. Anything the
 * fast path does not settle with certainty (unusual signature encodings, a check that fails, lone surrogates, a
 * mis-checksummed issuer) goes through ethers, so a failing credential always gets ethers' exact answer.
 */
export function createSignatureChecker(options: SignatureCheckerOptions = {}): SignatureChecker {
  const fast = options.fast !== false;
  const tableAfter = options.tableAfter ?? 32;
  const maxTables = options.maxTables ?? 32;
  const typeHash = keccak_256(utf8.encode(TypedDataEncoder.from(CREDENTIAL_TYPED_DATA).encodeType('Credential')));
  const issuers = new Map<string, IssuerKey>();
  const addressOk = new Map<string, string | null>();
  let tables = 0;
  let fastChecks = 0;

  /** The checksummed issuer, or null when ethers would refuse it (then ethers' path reports that). */
  const issuerAddress = (issuer: string): string | null => {
    let a = addressOk.get(issuer);
    if (a === undefined) {
      try {
        a = HEX_ADDRESS.test(issuer) ? getAddress(issuer) : null;
      } catch {
        a = null;
      }
      if (addressOk.size > 10_000) addressOk.clear();
      addressOk.set(issuer, a);
    }
    return a;
  };

  const digestOf = (domain: CredentialDomain, fields: CredentialFields): string => {
    if (!fast || STRING_FIELDS.some((k) => SURROGATE.test(fields[k])) || issuerAddress(fields.issuer) === null) return credentialDigest(domain, fields);
    const words = new Uint8Array(32 * 8);
    words.set(typeHash, 0);
    STRING_FIELDS.forEach((k, i) => words.set(keccak_256(utf8.encode(fields[k])), 32 * (i + 1)));
    words.set(bytesOf(fields.issuer), 32 * 7 + 12);
    const message = new Uint8Array(2 + 64);
    message[0] = 0x19;
    message[1] = 0x01;
    message.set(bytesOf(domainSeparator(domain)), 2);
    message.set(keccak_256(words), 34);
    return hexOf(keccak_256(message));
  };

  /**
   * True only when ethers' recovery of (digest, signature) is certain to give `key`'s address: the signature parses
   * as ethers parses it (65 bytes, v 27/28, canonical s, 0 < r, s < n), and u1·G + u2·P is exactly the point R that
   * recovery would start from (x = r, y parity from v), which holds exactly when recovery yields P.
   */
  const confirms = (digest: string, signature: string, key: IssuerKey): boolean => {
    if (!fast || !key.table || !HEX_SIGNATURE.test(signature)) return false;
    const v = parseInt(signature.slice(130, 132), 16);
    if ((v !== 27 && v !== 28) || parseInt(signature.slice(66, 67), 16) >= 8) return false;
    const r = BigInt(`0x${signature.slice(2, 66)}`);
    const s = BigInt(`0x${signature.slice(66, 130)}`);
    if (!Fn.isValidNot0(r) || !Fn.isValidNot0(s)) return false;
    const sInv = Fn.inv(s);
    const u1 = Fn.create(BigInt(digest) * sInv);
    const u2 = Fn.create(r * sInv);
    // Both multiplications walk precomputed tables (the base point's is noble's own); variable time is fine, the
    // scalars are public.
    const sum = Point.BASE.multiplyUnsafe(u1).add(key.table.multiplyUnsafe(u2));
    if (sum.is0()) return false;
    const { x, y } = sum.toAffine();
    return x === r && Number(y & 1n) === v - 27;
  };

  /** ethers' recovery; when it gives the named issuer, its public key is remembered for the fast path. */
  const slowRecover = (digest: string, signature: string, issuer: string | null): string | null => {
    if (!fast || issuer === null) return recoverSigner(digest, signature);
    let publicKey: string;
    try {
      publicKey = SigningKey.recoverPublicKey(digest, signature);
    } catch {
      return null;
    }
    const signer = computeAddress(publicKey);
    if (signer === issuer) learn(issuer, publicKey);
    return signer;
  };

  const learn = (address: string, publicKey: string): void => {
    let key = issuers.get(address);
    if (!key) {
      if (issuers.size >= 4 * maxTables) issuers.clear();
      key = { address, publicKey, seen: 0, table: null };
      issuers.set(address, key);
    }
    key.seen++;
    if (key.table === null && key.seen >= tableAfter) {
      if (tables >= maxTables) {
        for (const other of issuers.values()) {
          if (other.table) {
            other.table = null;
            tables--;
            break;
          }
        }
      }
      key.table = Point.fromHex(publicKey.slice(2)).precompute(WINDOW, false);
      tables++;
    }
  };

  return {
    recover(domain, fields, signature) {
      const digest = digestOf(domain, fields);
      const issuer = fast ? issuerAddress(fields.issuer) : null;
      const key = issuer ? issuers.get(issuer) : undefined;
      if (key && confirms(digest, signature, key)) {
        fastChecks++;
        return { digest, signer: key.address };
      }
      return { digest, signer: slowRecover(digest, signature, issuer) };
    },
    get fastChecks() {
      return fastChecks;
    },
  };
}
