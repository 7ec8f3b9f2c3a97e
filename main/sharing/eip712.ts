// EIP-712 typed data of sharing agreements and terminations: the domain (bound to one chain id and one
// SharingAgreements contract, as the contract computes it), signing with the organisation key, and recovery.
import { getAddress, TypedDataEncoder, verifyTypedData, type Signer, type TypedDataDomain } from 'ethers';

export const SHARING_DOMAIN_NAME = 'Custodian Sharing';
export const SHARING_DOMAIN_VERSION = '2';

export interface SharingDomain {
  name: typeof SHARING_DOMAIN_NAME;
  version: typeof SHARING_DOMAIN_VERSION;
  chainId: number;
  verifyingContract: string;
}

export const AGREEMENT_TYPES = {
  Agreement: [
    { name: 'agreementId', type: 'bytes32' },
    { name: 'commitment', type: 'bytes32' },
    { name: 'partyA', type: 'address' },
    { name: 'partyB', type: 'address' },
  ],
};

export const TERMINATION_TYPES = {
  Termination: [
    { name: 'agreementId', type: 'bytes32' },
    { name: 'party', type: 'address' },
  ],
};

export interface AgreementStruct {
  agreementId: string;
  /** Salted commitment to the terms (sealed-terms.ts): the period, document and scope are signed through it. */
  commitment: string;
  partyA: string;
  partyB: string;
}

export function sharingDomain(chainId: number, contract: string): SharingDomain {
  return { name: SHARING_DOMAIN_NAME, version: SHARING_DOMAIN_VERSION, chainId, verifyingContract: getAddress(contract) };
}

export function agreementDigest(domain: SharingDomain, a: AgreementStruct): string {
  return TypedDataEncoder.hash(domain as TypedDataDomain, AGREEMENT_TYPES, a);
}

export function signAgreement(signer: Signer, domain: SharingDomain, a: AgreementStruct): Promise<string> {
  return signer.signTypedData(domain as TypedDataDomain, AGREEMENT_TYPES, a);
}

export function signTermination(signer: Signer, domain: SharingDomain, agreementId: string, party: string): Promise<string> {
  return signer.signTypedData(domain as TypedDataDomain, TERMINATION_TYPES, { agreementId, party });
}

/** The address that signed `a` under `domain`, or null for a malformed signature. */
export function agreementSigner(domain: SharingDomain, a: AgreementStruct, signature: string): string | null {
  try {
    return verifyTypedData(domain as TypedDataDomain, AGREEMENT_TYPES, a, signature);
  } catch {
    return null;
  }
}
