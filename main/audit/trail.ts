// The audit trail's write side: one hash-chained, append-only entry per action (who, what, when, which patient,
// from which workstation, outcome). Every domain records through recordAudit inside its own transaction.
import canonicalize from 'canonicalize';
import os from 'node:os';
import type { Statement } from 'better-sqlite3-multiple-ciphers';
import type { Db } from '../db/connection';
import type { AuditEntryRecord } from '../api/audit';
import { entryHash, GENESIS_HASH } from './entry-hash';

export type AuditOutcome = 'success' | 'failure' | 'denied' | 'permit' | 'deny' | 'break-glass';

export interface AuditActor {
  id: string;
  name: string;
  role: string;
}

export interface AuditEntryInput {
  actor: AuditActor | null;
  /** Dotted verb: 'consent.grant', 'patient.view', 'access.decide', 'credential.verify', 'login.failed', … */
  action: string;
  outcome: AuditOutcome;
  /** Local patient id (never MRN or name). */
  patientId?: number | null;
  /** What was acted on: a consent id, a job id, a provider NPI, a file hash. */
  subject?: string | null;
  /** Structured facts about the action; ids and codes only, no PHI. */
  details?: Record<string, unknown>;
  workstation?: string;
  at?: Date;
}

/** A stored entry, exactly as hashed: the API contract's AuditEntryRecord. */
export type AuditEntry = AuditEntryRecord;

export { entryHash, GENESIS_HASH } from './entry-hash';

const defaultWorkstation = os.hostname();

interface TrailStatements {
  last: Statement<[], { id: number; hash: string }>;
  insert: Statement<[AuditEntry]>;
}

// Prepared once per connection rather than on every append (the bench appends 100k entries).
const statements = new WeakMap<Db, TrailStatements>();

function statementsFor(db: Db): TrailStatements {
  let s = statements.get(db);
  if (!s) {
    s = {
      last: db.prepare<[], { id: number; hash: string }>('SELECT id, hash FROM audit_log ORDER BY id DESC LIMIT 1'),
      insert: db.prepare<[AuditEntry]>(
        `INSERT INTO audit_log (id, at, actor_id, actor_name, actor_role, workstation, action, outcome, patient_id, subject, details, prev_hash, hash)
         VALUES (@id, @at, @actor_id, @actor_name, @actor_role, @workstation, @action, @outcome, @patient_id, @subject, @details, @prev_hash, @hash)`,
      ),
    };
    statements.set(db, s);
  }
  return s;
}

/**
 * Appends one entry. Call it inside the transaction of the change it records, so the change and its trail
 * commit together; SQLite's single writer keeps the chain linear.
 */
export function recordAudit(db: Db, input: AuditEntryInput): { id: number; hash: string } {
  const stmts = statementsFor(db);
  const write = db.transaction(() => {
    const last = stmts.last.get();
    const entry: Omit<AuditEntry, 'hash'> = {
      id: (last?.id ?? 0) + 1,
      at: (input.at ?? new Date()).toISOString(),
      actor_id: input.actor?.id ?? null,
      actor_name: input.actor?.name ?? null,
      actor_role: input.actor?.role ?? null,
      workstation: input.workstation ?? defaultWorkstation,
      action: input.action,
      outcome: input.outcome,
      patient_id: input.patientId ?? null,
      subject: input.subject ?? null,
      details: canonicalize(input.details ?? {})!,
      prev_hash: last?.hash ?? GENESIS_HASH,
    };
    const hash = entryHash(entry);
    stmts.insert.run({ ...entry, hash });
    return { id: entry.id, hash };
  });
  return write();
}
