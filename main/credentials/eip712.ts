// EIP-712 typed data of a signed credential: the domain (bound to one chain id and one CredentialRegistry), the
// Credential struct, its digest (the credential hash the registry keys statuses by), signing and recovery.
import { concat, getAddress, keccak256, recoverAddress, TypedDataEncoder, type Signer, type TypedDataDomain } from 'ethers';
import type { CredentialType } from '../api/credentials';

export const CREDENTIAL_DOMAIN_NAME = 'Custodian Credential';
export const CREDENTIAL_DOMAIN_VERSION = '1';

export interface CredentialDomain {
  name: typeof CREDENTIAL_DOMAIN_NAME;
  version: typeof CREDENTIAL_DOMAIN_VERSION;
  chainId: number;
  /** The CredentialRegistry address (checksummed). */
  verifyingContract: string;
}

/** The signed fields, exactly as signed: dates are YYYY-MM-DD strings so a wallet shows what is being signed. */
export interface CredentialFields {
  npi: string;
  credentialType: CredentialType;
  jurisdiction: string;
  number: string;
  validFrom: string;
  validUntil: string;
  /** The issuer's signing address; the signature must recover to it. */
  issuer: string;
}

export const CREDENTIAL_TYPED_DATA = {
  Credential: [
    { name: 'npi', type: 'string' },
    { name: 'credentialType', type: 'string' },
    { name: 'jurisdiction', type: 'string' },
    { name: 'number', type: 'string' },
    { name: 'validFrom', type: 'string' },
    { name: 'validUntil', type: 'string' },
    { name: 'issuer', type: 'address' },
  ],
};

export function credentialDomain(chainId: number, registry: string): CredentialDomain {
  return { name: CREDENTIAL_DOMAIN_NAME, version: CREDENTIAL_DOMAIN_VERSION, chainId, verifyingContract: getAddress(registry) };
}

export function sameDomain(a: CredentialDomain, b: CredentialDomain): boolean {
  return a.chainId === b.chainId && a.verifyingContract.toLowerCase() === b.verifyingContract.toLowerCase() && a.name === b.name && a.version === b.version;
}

// One encoder for the struct, and one separator per domain: hashing is half the cost of a check otherwise.
const encoder = TypedDataEncoder.from(CREDENTIAL_TYPED_DATA);
const separators = new Map<string, string>();

/** The EIP-712 domain separator of `domain`, computed once per domain. */
export function domainSeparator(domain: CredentialDomain): string {
  const key = `${domain.name}|${domain.version}|${domain.chainId}|${domain.verifyingContract.toLowerCase()}`;
  let sep = separators.get(key);
  if (sep === undefined) {
    if (separators.size > 64) separators.clear();
    sep = TypedDataEncoder.hashDomain(domain as TypedDataDomain);
    separators.set(key, sep);
  }
  return sep;
}

/** The EIP-712 digest keccak256(0x1901 ‖ domainSeparator ‖ hashStruct(credential)): the credential hash. */
export function credentialDigest(domain: CredentialDomain, fields: CredentialFields): string {
  return keccak256(concat(['0x1901', domainSeparator(domain), encoder.hash(fields)]));
}

/** The address a signature over `digest` recovers to, or null when it is no valid secp256k1 signature. */
export function recoverSigner(digest: string, signature: string): string | null {
  try {
    return recoverAddress(digest, signature);
  } catch {
    return null;
  }
}

/** Signs the credential as EIP-712 typed data with `signer` (the issuer's key); returns the 65-byte signature. */
export async function signCredentialFields(signer: Signer, domain: CredentialDomain, fields: CredentialFields): Promise<string> {
  return signer.signTypedData(domain as TypedDataDomain, CREDENTIAL_TYPED_DATA, fields);
}
