// Outbox kinds of the sharing domain and their payloads: agreement ids, addresses, commitments, terms sealed for the
// partner and signatures only (no person, organisation code, document or date in clear). Validated by the sync engine before batching; encoded into
// SharingAgreements.proposeBatch / signBatch / terminateBatch by sync-plugin.ts.
import { z } from 'zod';
import type { OutboxKind } from '../sync/plugin';
import { SEALED_BYTES } from './sealed-terms';

export const AGREEMENT_KINDS = ['agreement.propose', 'agreement.sign', 'agreement.terminate'] as const;
export type AgreementKind = (typeof AGREEMENT_KINDS)[number];

const bytes32 = z.string().regex(/^0x[0-9a-fA-F]{64}$/, 'must be 0x + 64 hex digits');
const address = z.string().regex(/^0x[0-9a-fA-F]{40}$/, 'must be a 0x-prefixed 20-byte address');
const signature = z.string().regex(/^0x[0-9a-fA-F]{130}$/, 'must be a 65-byte signature');

export const agreementProposePayload = z
  .object({
    agreementId: bytes32,
    partyA: address,
    partyB: address,
    commitment: bytes32,
    sealedTerms: z.string().regex(new RegExp(`^0x[0-9a-fA-F]{${SEALED_BYTES * 2}}$`), `must be ${SEALED_BYTES} bytes of sealed terms`),
    signatureA: signature,
  })
  .strict();
export type AgreementProposePayload = z.infer<typeof agreementProposePayload>;

export const agreementSignPayload = z.object({ agreementId: bytes32, party: address, signature }).strict();
export type AgreementSignPayload = z.infer<typeof agreementSignPayload>;

export const agreementTerminatePayload = z.object({ agreementId: bytes32, party: address, signature }).strict();
export type AgreementTerminatePayload = z.infer<typeof agreementTerminatePayload>;

/** SharingAgreements.Proposal of a payload. */
export function proposalOf(p: AgreementProposePayload) {
  return {
    agreementId: p.agreementId,
    partyA: p.partyA,
    partyB: p.partyB,
    commitment: p.commitment,
    sealedTerms: p.sealedTerms,
    signatureA: p.signatureA,
  };
}

export function signatureOf(p: AgreementSignPayload) {
  return { agreementId: p.agreementId, party: p.party, signature: p.signature };
}

export function terminationOf(p: AgreementTerminatePayload) {
  return { agreementId: p.agreementId, party: p.party, signature: p.signature };
}

/** The outbox kinds as written (sync/outbox.ts checks every payload against them). */
export const AGREEMENT_PROPOSE: OutboxKind<AgreementProposePayload, 'agreement.propose'> = { kind: 'agreement.propose', payload: agreementProposePayload };
export const AGREEMENT_SIGN: OutboxKind<AgreementSignPayload, 'agreement.sign'> = { kind: 'agreement.sign', payload: agreementSignPayload };
export const AGREEMENT_TERMINATE: OutboxKind<AgreementTerminatePayload, 'agreement.terminate'> = { kind: 'agreement.terminate', payload: agreementTerminatePayload };
