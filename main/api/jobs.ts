// Channels of the jobs domain: one background job in full, with the result it recorded when it ended (the summary
// counts the UI shows after a bulk verification or a roster import). Who may read a result depends on the job's kind.
import { z } from 'zod';
import { channel } from './channel';
import type { CredentialVerdict } from './credentials';
import type { Permission } from './permissions';
import type { JobSummary } from './system';

/** What a bulk verification (credentials.verifyAll) records when it ends. */
export interface VerifyAllJobResult {
  checked: number;
  byVerdict: Partial<Record<CredentialVerdict, number>>;
  /** Why the registry could not be read (the run's verdicts are then 'unverified_offline'), or null. */
  offlineReason: string | null;
  blockNumber: number | null;
  registryCalls: number;
  durationMs: number;
}

/** What a roster import (import.providers) records when it ends. */
export interface RosterImportJobResult {
  runId: number;
  outcome: 'succeeded' | 'cancelled';
  rows_read: number;
  providers_added: number;
  providers_updated: number;
  credentials_added: number;
  duplicate: number;
  rejected: number;
  ignoredColumns: string[];
  sampleRejects: { row: number; reason: string }[];
}

/** A job's recorded result, tagged by kind; kinds without a declared result shape show none. */
export type JobResultView =
  | { kind: 'credentials.verifyAll'; summary: VerifyAllJobResult }
  | { kind: 'import.providers'; summary: RosterImportJobResult }
  | { kind: 'none' };

export interface JobDetail extends JobSummary {
  errors: number;
  /** Null while the job runs, and for a job that failed or recorded nothing. */
  result: JobResultView | null;
}

/**
 * The permission needed to read a job of each kind (beyond status.read for the channel): its result says what the
 * job's own screen would show. A kind not listed here is readable by IT administrators only.
 */
export const JOB_KIND_PERMISSIONS: Record<string, Permission> = {
  'credentials.verifyAll': 'credentials.view',
  'import.providers': 'imports.view',
  'import.consents': 'imports.view',
  'db.backup': 'settings.view',
};
export const JOB_KIND_FALLBACK_PERMISSION: Permission = 'staff.manage';

export function jobKindPermission(kind: string): Permission {
  return Object.prototype.hasOwnProperty.call(JOB_KIND_PERMISSIONS, kind) ? JOB_KIND_PERMISSIONS[kind]! : JOB_KIND_FALLBACK_PERMISSION;
}

export const jobsChannels = {
  'jobs.get': channel<JobDetail>()(z.object({ jobId: z.string().uuid() }).strict(), 'status.read', { audited: false }),
};
