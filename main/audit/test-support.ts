// Shared set-up for the audit tests (not a test itself): a migrated database in a temp folder and a trail of
// varied entries. Real SQLite files, never mocks; tamper helpers open the file with a second, raw connection.
import Database from 'better-sqlite3-multiple-ciphers';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { openDatabase, type Db } from '../db/connection';
import { migrate } from '../db/migrate';
import { entryHash, recordAudit, type AuditEntry, type AuditEntryInput, type AuditOutcome } from './trail';

export interface TestDb {
  dir: string;
  file: string;
  db: Db;
  reopen(): Db;
  cleanup(): void;
}

export function createTestDb(prefix = 'custodian-audit-'): TestDb {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), prefix));
  const file = path.join(dir, 'custodian.sqlite');
  const t: TestDb = {
    dir,
    file,
    db: openDatabase(file),
    reopen() {
      if (t.db.open) t.db.close();
      t.db = openDatabase(file);
      return t.db;
    },
    cleanup() {
      if (t.db.open) t.db.close();
      fs.rmSync(dir, { recursive: true, force: true });
    },
  };
  migrate(t.db);
  return t;
}

const ACTORS = [
  { id: 'staff-1', name: 'Clerk One', role: 'records_clerk' },
  { id: 'staff-2', name: 'Manager Two', role: 'records_manager' },
  { id: 'staff-3', name: 'Auditor Three', role: 'auditor' },
];
const ACTIONS = ['patient.view', 'consent.grant', 'consent.revoke', 'access.decide', 'import.run'];
const OUTCOMES: AuditOutcome[] = ['success', 'success', 'permit', 'deny', 'failure'];

/** The i-th synthetic entry (1-based): actors, actions, patients and times cycle; every 50th is a break-glass. */
export function syntheticEntry(i: number, start = Date.parse('2025-03-01T08:00:00.000Z')): AuditEntryInput {
  return {
    actor: ACTORS[i % ACTORS.length]!,
    action: ACTIONS[i % ACTIONS.length]!,
    outcome: i % 50 === 0 ? 'break-glass' : OUTCOMES[i % OUTCOMES.length]!,
    patientId: i % 4 === 0 ? null : (i % 7) + 1,
    subject: `consent:${i}`,
    details: { seq: i, code: i % 3 === 0 ? 'ETREAT' : 'TREAT' },
    workstation: 'ws-test',
    at: new Date(start + i * 60_000),
  };
}

export function writeEntries(db: Db, count: number, from = 1): void {
  db.transaction(() => {
    for (let i = from; i < from + count; i++) recordAudit(db, syntheticEntry(i));
  })();
}

/** Opens the file with a raw connection, runs `fn`, closes it: tampering that bypasses the application. */
export function tamperFile(file: string, fn: (raw: Database.Database) => void): void {
  const raw = new Database(file);
  try {
    fn(raw);
  } finally {
    raw.close();
  }
}

/** A forged entry with a valid own hash, as an attacker who knows the (public) hashing scheme would make it. */
export function forgeEntry(id: number, prevHash: string, overrides: Partial<AuditEntry> = {}): AuditEntry {
  const fields: Omit<AuditEntry, 'hash'> = {
    id,
    at: '2025-03-01T09:30:00.000Z',
    actor_id: 'staff-9',
    actor_name: 'Nobody',
    actor_role: 'records_manager',
    workstation: 'ws-forged',
    action: 'patient.view',
    outcome: 'success',
    patient_id: 3,
    subject: null,
    details: '{}',
    prev_hash: prevHash,
    ...overrides,
  };
  return { ...fields, hash: entryHash(fields) };
}

export function allEntries(db: Db): AuditEntry[] {
  return db.prepare('SELECT * FROM audit_log ORDER BY id').all() as AuditEntry[];
}
