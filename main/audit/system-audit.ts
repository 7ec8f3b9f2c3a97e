// The one door for audit entries written outside the dispatcher's sink: events with no staff actor (chain events
// pulled, a torn batch's resend, an export's seal) and the few entries a domain writes inside a
// dispatched handler's own transaction (agreements, releases, credential checks run by jobs). Each action is a row
// of SYSTEM_AUDIT_ACTIONS: its writer, who may stand as its actor, and (by type) its details. A new system action is
// a new row here, reviewed with the audit folder; the dependency rule audit-writes-through-dispatcher lets no other
// module outside main/audit import the trail's writer.
import type { Db } from '../db/connection';
import { recordAudit, type AuditActor, type AuditOutcome } from './trail';

/** Who stands as the entry's actor: 'system' = none (null), 'staff' = the staff member, 'either' = a job's starter or none. */
type ActorKind = 'system' | 'staff' | 'either';

/** Each action outside the dispatcher's sink, with the module that writes it and the actor it carries. */
export const SYSTEM_AUDIT_ACTIONS = {
  'credential.verify': { writer: 'credentials/verify.ts', actor: 'either' },
  'consent.resend': { writer: 'consents/writes.ts', actor: 'system' },
  'consents.exportPatients': { writer: 'consents/export-seal.ts', actor: 'system' },
  'sharing.agreement.propose': { writer: 'sharing/agreements.ts', actor: 'staff' },
  'sharing.agreement.sign': { writer: 'sharing/agreements.ts', actor: 'staff' },
  'sharing.agreement.terminate': { writer: 'sharing/agreements.ts', actor: 'staff' },
  'sharing.release.decide': { writer: 'sharing/release.ts', actor: 'staff' },
  'sharing.release': { writer: 'sharing/release.ts', actor: 'staff' },
  'sharing.agreement.received': { writer: 'sharing/sink.ts', actor: 'system' },
  'sharing.agreement.active': { writer: 'sharing/sink.ts', actor: 'system' },
  'sharing.agreement.terminated': { writer: 'sharing/sink.ts', actor: 'system' },
  'sharing.agreement.reorg': { writer: 'sharing/sink.ts', actor: 'system' },
  'credential.resend': { writer: 'credentials/sync-plugin.ts', actor: 'system' },
  'claim.resend': { writer: 'claims/sync-plugin.ts', actor: 'system' },
  'sharing.agreement.resend': { writer: 'sharing/sync-plugin.ts', actor: 'system' },
  'sharing.agreement.legacy-held': { writer: 'sharing/legacy-proposals.ts', actor: 'system' },
  'sharing.agreement.convert': { writer: 'sharing/legacy-proposals.ts', actor: 'system' },
} as const satisfies Record<string, { writer: string; actor: ActorKind }>;

export type SystemAuditAction = keyof typeof SYSTEM_AUDIT_ACTIONS;

type ChainFacts = { txHash: string; blockNumber: number };
/** A torn batch's write the chain still holds, queued again under a fresh batch id. */
type TornResend = { reason: 'SYNC_APPLIED_WITHOUT_LOG'; batchId: number | string; outboxId: number; resentAs: number };

/** The details each action carries: ids and codes only, never PHI. A field not named here is a compile error. */
export interface SystemAuditDetails {
  'credential.verify': { credentialId: number; npi: string; verdict: string; trigger: string; jobId?: string };
  'consent.resend': { reason: 'SYNC_APPLIED_WITHOUT_LOG'; batchId: number | string; outboxId: number; hlc: string; resentAs: number; newHlc: string };
  'consents.exportPatients': { patients: number; patientsDigest: string; digestScheme: string };
  'sharing.agreement.propose': { partnerOrgId: string; direction: string; categories: readonly string[]; purposes: readonly string[]; documentHash: string | null };
  'sharing.agreement.sign': { partnerOrgId: string };
  'sharing.agreement.terminate': { partnerOrgId: string; reason: string };
  'sharing.release.decide': { partnerOrgId: string; category: string; purpose: string; agreementId: string | null; reasons: string[]; professionalNpi?: string };
  'sharing.release':
    | { partnerOrgId: string; agreementId: string | null; sha256: string | null }
    | { error: 'SHARING_RELEASE_WRITE_FAILED'; reason: string };
  'sharing.agreement.received': ChainFacts & { partnerOrgId: string | null; termsMatch: boolean; replacesRejected?: true };
  'sharing.agreement.active': ChainFacts & { partnerOrgId: string };
  'sharing.agreement.terminated': ChainFacts & { partnerOrgId: string; by: 'us' | 'partner' };
  'sharing.agreement.reorg': { status: string; partnerSigned: boolean };
  'credential.resend': TornResend;
  'claim.resend': TornResend;
  'sharing.agreement.resend': TornResend & { kind: string };
  'sharing.agreement.legacy-held': { code: string; outboxId: number };
  'sharing.agreement.convert': { outboxId: number; resentAs: number };
}

type ActorOf<A extends SystemAuditAction> = (typeof SYSTEM_AUDIT_ACTIONS)[A]['actor'] extends 'system'
  ? { actor?: null }
  : (typeof SYSTEM_AUDIT_ACTIONS)[A]['actor'] extends 'staff'
    ? { actor: AuditActor }
    : { actor: AuditActor | null };

export type SystemAuditEntry<A extends SystemAuditAction> = {
  action: A;
  outcome?: AuditOutcome;
  patientId?: number | null;
  subject: string;
  details: SystemAuditDetails[A];
  at?: Date;
} & ActorOf<A>;

/**
 * Appends one system entry to the hash-chained trail (recordAudit), inside the caller's transaction when there is
 * one. Outcome defaults to 'success'. Refuses an action outside the table or an actor of the wrong kind (a staff
 * member on a system event, none on a staff action), so a cast cannot slip past the types.
 */
export function systemAudit<A extends SystemAuditAction>(db: Db, entry: SystemAuditEntry<A>): { id: number; hash: string } {
  const row = (SYSTEM_AUDIT_ACTIONS as Record<string, { actor: ActorKind } | undefined>)[entry.action];
  if (!row) throw new Error(`systemAudit: '${entry.action}' is not a system audit action (main/audit/system-audit.ts)`);
  const actor = entry.actor ?? null;
  if (row.actor === 'system' && actor !== null) throw new Error(`systemAudit: '${entry.action}' is a system event; it carries no staff actor`);
  if (row.actor === 'staff' && actor === null) throw new Error(`systemAudit: '${entry.action}' needs the staff member who acted`);
  return recordAudit(db, {
    actor,
    action: entry.action,
    outcome: entry.outcome ?? 'success',
    subject: entry.subject,
    details: entry.details as Record<string, unknown>,
    ...(entry.patientId !== undefined ? { patientId: entry.patientId } : {}),
    ...(entry.at ? { at: entry.at } : {}),
  });
}
