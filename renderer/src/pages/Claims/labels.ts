// Display helpers of the Claims page: money, chain status colours and reason-code labels.
import type { ClaimChainStatus } from '../../../../main/api/claims';

export function money(cents: number): string {
  return `$${(cents / 100).toFixed(2)}`;
}

export const CHAIN_STATUS_COLOR: Record<ClaimChainStatus, string> = {
  not_sent: 'gray',
  pending: 'yellow',
  recorded: 'blue',
  accepted: 'green',
  denied: 'red',
};

export const REASON_LABELS: Record<string, string> = {
  CONSENT_DENIED: 'Consent denied',
  CREDENTIAL_NOT_VERIFIED: 'Credential not verified',
  CREDENTIAL_NOT_VALID_ON_SERVICE_DATE: 'Credential not valid on service date',
  DUPLICATE_CLAIM_ID: 'Duplicate claim id',
  DUPLICATE_CONTENT: 'Duplicate content',
  MALFORMED_CODE: 'Malformed code',
  INVALID_AMOUNT: 'Invalid amount',
  SERVICE_DATE_IN_FUTURE: 'Service date in the future',
  INVALID_NPI: 'Invalid NPI',
};

export const reasonLabel = (code: string): string => REASON_LABELS[code] ?? code;
