// The hash of one audit entry (RFC 8785 canonical JSON, SHA-256) and the start of the chain: pure, so a reader that
// checks an entry (the export seal, verify) needs no access to the trail's writer (trail.ts).
import canonicalize from 'canonicalize';
import crypto from 'node:crypto';
import type { AuditEntryRecord } from '../api/audit';

export const GENESIS_HASH = '0'.repeat(64);

/** The hash of an entry: SHA-256 over the RFC 8785 canonical JSON of every field but the hash itself. */
export function entryHash(e: Omit<AuditEntryRecord, 'hash'>): string {
  const canonical = canonicalize({
    id: e.id,
    at: e.at,
    actor_id: e.actor_id,
    actor_name: e.actor_name,
    actor_role: e.actor_role,
    workstation: e.workstation,
    action: e.action,
    outcome: e.outcome,
    patient_id: e.patient_id,
    subject: e.subject,
    details: e.details,
    prev_hash: e.prev_hash,
  });
  return crypto.createHash('sha256').update(canonical!, 'utf8').digest('hex');
}

