// Labels and colours of the Sharing page: agreement status, chain state, decision reasons. Pure; tested beside.
import type { AgreementStatus, AgreementView } from '../../../../main/api/sharing';

export const STATUS_VIEW: Record<AgreementStatus, { label: string; color: string }> = {
  proposed: { label: 'Proposed', color: 'yellow' },
  active: { label: 'Active', color: 'green' },
  terminated: { label: 'Terminated', color: 'red' },
  expired: { label: 'Expired', color: 'gray' },
};

export const REASON_LABELS: Record<string, string> = {
  AGREEMENT_MISSING: 'No agreement',
  AGREEMENT_NOT_SIGNED: 'Agreement not signed by both',
  AGREEMENT_NOT_YET_VALID: 'Agreement not yet valid',
  AGREEMENT_EXPIRED: 'Agreement expired',
  AGREEMENT_TERMINATED: 'Agreement terminated',
  AGREEMENT_SCOPE: 'Outside agreement scope',
  CONSENT_DENIED: 'Consent denies',
  CREDENTIAL_NOT_VERIFIED: 'Credential not verified',
};

/** What this organisation can do with an agreement now, and why not otherwise. */
export function agreementActions(a: AgreementView): { canSign: boolean; canTerminate: boolean; waiting: string | null } {
  const open = a.status === 'proposed' || a.status === 'active';
  const canSign = a.ourRole === 'B' && !a.signedByUs && a.status === 'proposed' && a.chainState !== 'rejected';
  let waiting: string | null = null;
  if (a.chainState === 'rejected') waiting = 'Terms do not match the signed hash: cannot be signed';
  else if (a.status === 'proposed' && a.signedByUs && !a.signedByPartner) waiting = `Waiting for ${a.partnerOrgId} to sign`;
  else if (a.status === 'proposed' && a.signedByUs && a.signedByPartner) waiting = 'Both signed: waiting for the chain';
  else if (a.chainState === 'queued') waiting = 'Queued for the chain';
  return { canSign, canTerminate: open, waiting };
}

export const shortId = (id: string): string => `${id.slice(0, 10)}…${id.slice(-4)}`;
