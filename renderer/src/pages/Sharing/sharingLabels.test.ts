import { describe, expect, it } from 'vitest';
import type { AgreementView } from '../../../../main/api/sharing';
import { agreementActions, shortId } from './sharingLabels';

const base: AgreementView = {
  id: `0x${'ab'.repeat(32)}`,
  ourRole: 'B',
  partnerOrgId: 'GENHOSP',
  partnerAddress: `0x${'11'.repeat(20)}`,
  ourAddress: `0x${'22'.repeat(20)}`,
  direction: 'inbound',
  categories: ['general'],
  purposes: ['TREAT'],
  validFrom: '2026-01-01T00:00:00.000Z',
  validUntil: '2027-01-01T00:00:00.000Z',
  documentHash: `0x${'cd'.repeat(32)}`,
  termsHash: `0x${'ef'.repeat(32)}`,
  status: 'proposed',
  chainState: 'on-chain',
  signedByUs: false,
  signedByPartner: true,
  terminatedBy: null,
  createdAt: '2026-01-01T00:00:00.000Z',
  updatedAt: '2026-01-01T00:00:00.000Z',
};

describe('agreementActions', () => {
  it.each<[string, Partial<AgreementView>, { canSign: boolean; canTerminate: boolean; waiting: string | null }]>([
    ['a pulled proposal can be signed', {}, { canSign: true, canTerminate: true, waiting: null }],
    ['our own proposal waits for the partner', { ourRole: 'A', signedByUs: true, signedByPartner: false, chainState: 'on-chain' }, { canSign: false, canTerminate: true, waiting: 'Waiting for GENHOSP to sign' }],
    ['signed by both, not yet active', { signedByUs: true, chainState: 'queued' }, { canSign: false, canTerminate: true, waiting: 'Both signed: waiting for the chain' }],
    ['terms mismatch cannot be signed', { chainState: 'rejected' }, { canSign: false, canTerminate: true, waiting: 'Terms do not match the signed hash: cannot be signed' }],
    ['terminated: nothing to do', { status: 'terminated', signedByUs: true }, { canSign: false, canTerminate: false, waiting: null }],
    ['expired: nothing to do', { status: 'expired' }, { canSign: false, canTerminate: false, waiting: null }],
  ])('%s', (_n, o, expected) => {
    expect(agreementActions({ ...base, ...o })).toEqual(expected);
  });

  it('shortens ids', () => {
    expect(shortId(base.id)).toBe('0xabababab…abab');
  });
});
