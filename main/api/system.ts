// Channels of the system domain: status of the database, the chain, the outbox and background jobs.
import { z } from 'zod';
import { channel } from './channel';

export type ChainStatus =
  | { state: 'connected'; mode: 'embedded' | 'external'; rpcUrl: string; chainId: number; blockNumber: number; contracts: Record<string, string> }
  | { state: 'connecting'; mode: 'embedded' | 'external'; rpcUrl: string | null; since: string }
  | { state: 'offline'; mode: 'embedded' | 'external'; rpcUrl: string | null; since: string; reason: string }
  | { state: 'mismatch'; mode: 'embedded' | 'external'; rpcUrl: string; expectedChainId: number; actualChainId: number };

/**
 * The one answer to "is this workstation connected?", shown alike by the status bar, the Dashboard and the Sync page
 * (main/runtime/connection-health.ts): the node probe and the sender's own last attempt together, so a node that
 * stopped answering reads "Offline since …, N queued" everywhere, never "Connected" in one place and offline in
 * another. `queued` is the outbox depth (events not yet confirmed on chain).
 */
export type ConnectionHealth =
  | { state: 'connected'; mode: 'embedded' | 'external'; since: string; queued: number; blockNumber: number | null }
  | { state: 'connecting'; mode: 'embedded' | 'external'; since: string; queued: number }
  | { state: 'offline'; mode: 'embedded' | 'external'; since: string; queued: number; reason: string; source: 'node' | 'sender' }
  | { state: 'mismatch'; mode: 'embedded' | 'external'; since: string; queued: number; reason: string }
  | { state: 'disabled'; mode: 'embedded' | 'external'; since: null; queued: number; reason: string };

export interface DatabaseStatus {
  path: string;
  schemaVersion: number;
  migrations: number;
  sizeBytes: number;
}

export interface SystemStatus {
  app: { version: string; runtime: 'electron' | 'browser' | 'cli' };
  database: DatabaseStatus;
  chain: ChainStatus;
  /** What every health display shows (the chain probe and the sender together). */
  health: ConnectionHealth;
  /** conflicts: consent changes of this workstation that lost on the chain and nobody has resolved (a count only). */
  outbox: { pending: number; byKind: Record<string, number>; conflicts: number };
  principal: { name: string; role: string };
}

export type JobState = 'queued' | 'running' | 'succeeded' | 'failed' | 'cancelled' | 'interrupted';

export interface JobSummary {
  id: string;
  kind: string;
  state: JobState;
  done: number;
  total: number | null;
  startedAt: string | null;
  finishedAt: string | null;
  /** How it failed or was interrupted; null otherwise. */
  error: JobError | null;
}

/** How a job failed, as stored (jobs.error_code, jobs.error) and shown: a code the UI can act on, and a message. */
export interface JobError {
  code: string;
  message: string;
}

const empty = z.object({}).strict();

/** One step of setting up a new data folder, ticked from the folder's real state (never from a click). */
export interface FirstRunItem {
  id: 'chain' | 'facility-secret' | 'first-import' | 'staff';
  done: boolean;
  title: string;
  /** What to do next when not done; what was found when done. */
  detail: string;
}

export interface FirstRunChecklist {
  items: FirstRunItem[];
  complete: boolean;
}

export const systemChannels = {
  // Public: the status bar is visible on the sign-in screen too; it shows no patient data.
  'system.status': channel<SystemStatus>()(empty, 'public', { audited: false }),
  'jobs.list': channel<JobSummary[]>()(
    z.object({ limit: z.number().int().min(1).max(500).default(50) }).strict(),
    'status.read',
    { audited: false },
  ),
  'jobs.cancel': channel<{ cancelled: boolean }>()(z.object({ jobId: z.string().uuid() }).strict(), 'imports.run'),
  // The IT administrator's set-up list on the Dashboard; not audited (a read of the folder's own state, no PHI).
  'system.firstRun': channel<FirstRunChecklist>()(empty, 'settings.configure', { audited: false }),
};

/** This folder's facility-secret fingerprint (HMAC of a fixed label), or null before the secret exists. */
export interface FacilitySecretInfo {
  fingerprint: string | null;
}

/** What an import of a wrapped facility secret did (the fingerprints only, never the secret). */
export interface FacilitySecretImportResult {
  outcome: 'installed' | 'unchanged' | 'restored';
  fingerprint: string;
  previousFingerprint: string | null;
  /** Patients of this folder, all already carrying the imported secret's pseudonyms ('restored'). */
  patients: number;
}

/** The transport passphrase of a wrapped secret: its strength is checked where it is used (facility-secret.ts). */
const secretPassphrase = z.string().min(1).max(1024);
/** A file's opaque id (the same shape as imports.ts's uploadId; not imported from there, which imports this file). */
const fileId = (what: string) => z.string().regex(/^[A-Za-z0-9_-]{22}$/, `must be ${what}`);

// Its own map so the handlers live with the secret (main/consents); IT admins compare fingerprints between
// workstations of one facility and move the secret, wrapped under a passphrase, between them. No channel answers
// with the secret, and files go by id (an upload, or a file the CLI registered for its OS user): never a path.
export const facilitySecretChannels = {
  'facilitySecret.fingerprint': channel<FacilitySecretInfo>()(empty, 'settings.configure'),
  'facilitySecret.export': channel<{ fingerprint: string; fileName: string }>()(
    z.object({ targetId: fileId('a save-target id'), passphrase: secretPassphrase }).strict(),
    'settings.configure',
  ),
  'facilitySecret.import': channel<FacilitySecretImportResult>()(z.object({ uploadId: fileId('an upload id'), passphrase: secretPassphrase }).strict(), 'settings.configure'),
};
