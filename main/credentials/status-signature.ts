// The issuer's EIP-712 signature over a credential status (CredentialRegistry.statusDigest): bound to one chain id
// and one registry, with a nonce (the issuer tool's clock in milliseconds) and a deadline. Any workstation or relay
// may submit a signed status; the registry applies it only when it recovers to the credential's registered issuer.
import { getAddress, recoverAddress, TypedDataEncoder, type BaseWallet, type Signer, type TypedDataDomain } from 'ethers';

export const STATUS_DOMAIN_NAME = 'Custodian Credential Status';
export const STATUS_DOMAIN_VERSION = '1';
export const STATUS_CODES = { active: 1, suspended: 2, revoked: 3 } as const;
export type ChainStatus = keyof typeof STATUS_CODES;

/** Default life of a signature: submitted within 30 days or never. */
export const STATUS_SIGNATURE_TTL_SECONDS = 30 * 24 * 3600;

export const STATUS_TYPED_DATA = {
  CredentialStatus: [
    { name: 'credentialHash', type: 'bytes32' },
    { name: 'status', type: 'uint8' },
    { name: 'expiresAt', type: 'uint64' },
    { name: 'nonce', type: 'uint64' },
    { name: 'deadline', type: 'uint64' },
  ],
};

export interface StatusDomain {
  name: typeof STATUS_DOMAIN_NAME;
  version: typeof STATUS_DOMAIN_VERSION;
  chainId: number;
  verifyingContract: string;
}

/** What the issuer signs; `issuer` is not signed (it is the signer) but travels with the signature. */
export interface StatusStatement {
  credentialHash: string;
  status: ChainStatus;
  expiresAt: number;
  nonce: number;
  deadline: number;
}

export interface SignedStatus extends StatusStatement {
  issuer: string;
  signature: string;
}

export function statusDomain(chainId: number, registry: string): StatusDomain {
  return { name: STATUS_DOMAIN_NAME, version: STATUS_DOMAIN_VERSION, chainId, verifyingContract: getAddress(registry) };
}

function typedValue(s: StatusStatement): Record<string, unknown> {
  return { credentialHash: s.credentialHash, status: STATUS_CODES[s.status], expiresAt: s.expiresAt, nonce: s.nonce, deadline: s.deadline };
}

export function statusDigest(domain: StatusDomain, s: StatusStatement): string {
  return TypedDataEncoder.hash(domain as TypedDataDomain, STATUS_TYPED_DATA, typedValue(s));
}

/** Signs `s` with the issuer's key: the issuer tool's half. */
export async function signStatus(issuer: Signer, domain: StatusDomain, s: StatusStatement): Promise<SignedStatus> {
  const signature = await issuer.signTypedData(domain as TypedDataDomain, STATUS_TYPED_DATA, typedValue(s));
  return { ...s, issuer: getAddress(await issuer.getAddress()), signature };
}

/** The same signature made synchronously with a local key (fixtures and benchmarks sign thousands). */
export function signStatusWithKey(issuer: BaseWallet, domain: StatusDomain, s: StatusStatement): SignedStatus {
  return { ...s, issuer: issuer.address, signature: issuer.signingKey.sign(statusDigest(domain, s)).serialized };
}

/** True when the signature recovers to `signed.issuer` under `domain` (the registry checks the same on chain). */
export function statusSignedByIssuer(domain: StatusDomain, signed: SignedStatus): boolean {
  try {
    return recoverAddress(statusDigest(domain, signed), signed.signature).toLowerCase() === signed.issuer.toLowerCase();
  } catch {
    return false;
  }
}

/** A fresh nonce: the signing clock in milliseconds, so a later signature always beats an earlier one. */
export function statusNonce(now: Date): number {
  return now.getTime();
}
