// How audit-trail entries read to a records manager or auditor: actions (API channel names) in words, outcomes
// with a colour, and who acted. Used by the Audit page and the dashboard's break-glass card.
import type { AuditEntryView } from '../../../main/api/audit';
import { humanizeKind, humanizeRole } from './format';

/** Actions the trail records, in words. Unknown ones (a newer channel) are shown from their name. */
export const ACTION_LABELS: Record<string, string> = {
  'auth.setup': 'Set-up: first administrator created',
  'auth.login': 'Sign-in',
  'auth.logout': 'Sign-out',
  'auth.lock': 'Session locked (inactivity)',
  'staff.list': 'Staff accounts listed',
  'staff.create': 'Staff account created',
  'staff.update': 'Staff account changed',
  'staff.resetPassword': 'Password reset',
  'audit.list': 'Audit trail viewed',
  'audit.verify': 'Audit integrity verified',
  'audit.exportCsv': 'Audit report exported (CSV)',
  'audit.reportFile': 'Audit report downloaded (CSV)',
  'audit.saveReport': 'Audit report saved (CSV)',
  'audit.proof': 'Audit proof exported',
  'audit.batchNow': 'Audit batch sealed',
  'audit.breakGlass.list': 'Break-glass list viewed',
  'audit.breakGlass.review': 'Break-glass access reviewed',
  'jobs.list': 'Background jobs listed',
  'jobs.cancel': 'Background job cancelled',
  'patients.search': 'Patients searched',
  'access.check': 'Access decision',
  'consents.list': 'Consents listed',
  'consents.get': 'Consent viewed',
  'consents.proof': 'Consent proof bundle exported (opening of one change)',
  'consents.grant': 'Consent recorded',
  'consents.supersede': 'Consent superseded',
  'consents.revoke': 'Consent revoked',
  'consents.exportFhir': 'Consents exported (FHIR)',
  'consents.exportPatients': 'FHIR export patient set sealed (digest and count)',
  'imports.preview': 'Import previewed',
  'imports.start': 'Import started',
  'imports.resume': 'Import resumed',
  'imports.list': 'Imports listed',
  'imports.get': 'Import viewed',
  'providers.list': 'Providers listed',
  'providers.get': 'Provider viewed',
  'credentials.verify': 'Credential verified',
  'credentials.check': 'Credential checked',
  'credentials.verifyAll': 'Credentials verified in bulk',
  'credentials.expiring': 'Expiring credentials listed',
  'credentials.import': 'Credentials imported',
  'credentials.setStatus': 'Credential status changed',
  'sync.status': 'Sync status viewed',
  'sync.batches': 'Sync batches listed',
  'sync.event': 'Sync event viewed',
  'sync.now': 'Sync run now',
  'sync.retryBatch': 'Sync batch retried',
  'sync.conflicts': 'Consent conflicts viewed',
  'sync.resolveConflict': 'Consent conflict resolved',
  'sync.pause': 'Sync paused',
  'sync.resume': 'Sync resumed',
  'claims.payers.register': "Payer's claims addressed to an account",
};

export function actionLabel(action: string): string {
  return ACTION_LABELS[action] ?? humanizeKind(action);
}

export interface OutcomeView {
  label: string;
  color: string;
  /** One line for people: what the outcome means. */
  meaning: string;
}

const OUTCOMES: Record<string, OutcomeView> = {
  success: { label: 'Success', color: 'teal', meaning: 'Done as asked.' },
  failure: { label: 'Failed', color: 'red', meaning: 'Refused or failed; the error code is in the details.' },
  denied: { label: 'Denied', color: 'orange', meaning: 'The role does not allow this action.' },
  permit: { label: 'Permitted', color: 'teal', meaning: 'Access allowed by the patient’s consents.' },
  deny: { label: 'Refused', color: 'orange', meaning: 'Access refused by the patient’s consents.' },
  'break-glass': { label: 'Break-glass', color: 'red', meaning: 'Emergency access overriding consent; needs review.' },
};

export function outcomeView(outcome: string): OutcomeView {
  return OUTCOMES[outcome] ?? { label: humanizeKind(outcome), color: 'gray', meaning: outcome };
}

export const OUTCOME_NAMES = Object.keys(OUTCOMES);

/** "Ada Admin", or what main recorded when no one was signed in. */
export function actorName(actor: AuditEntryView['actor']): string {
  if (!actor || actor.id === 'anonymous') return 'Not signed in';
  return actor.name ?? actor.id;
}

/** The role the actor had when the entry was written; a failed sign-in has none yet. */
export function actorRole(actor: AuditEntryView['actor']): string {
  if (!actor?.role || actor.role === 'anonymous') return '—';
  return humanizeRole(actor.role);
}

/** Text of a detail value for the table and drawer (never a nested object dump in a cell). */
export function detailText(value: unknown): string {
  if (value === null || value === undefined) return '—';
  if (typeof value === 'string') return value;
  if (typeof value === 'number' || typeof value === 'boolean') return String(value);
  return JSON.stringify(value);
}

/** A short summary of an entry's details for the table: the error code and reason first, then the rest. */
export function detailsSummary(details: Record<string, unknown>): string {
  const { transport: _transport, error, reason, ...rest } = details;
  const parts: string[] = [];
  if (error !== undefined) parts.push(String(error));
  if (reason !== undefined) parts.push(`reason: ${detailText(reason)}`);
  for (const [key, value] of Object.entries(rest)) parts.push(`${key}: ${detailText(value)}`);
  return parts.join(' · ');
}
