// Turns each audited API call into an audit-trail entry: who called which channel, about which patient, with
// what outcome. The dispatcher calls it; handlers add facts (patient, subject, decision) through ctx.audit.
import type { Db } from '../db/connection';
import type { AuditRecord, AuditSink } from '../runtime/dispatcher';
import { recordAudit } from './trail';

export function hasAuditTable(db: Db): boolean {
  return Boolean(db.prepare(`SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'audit_log'`).get());
}

export function createAuditSink(db: Db, workstation?: string): AuditSink {
  return (r: AuditRecord) => {
    recordAudit(db, {
      actor: { id: r.principal.id, name: r.principal.name, role: r.principal.role },
      action: r.channel,
      outcome: r.outcome,
      patientId: r.facts.patientId ?? null,
      subject: r.facts.subject ?? null,
      details: { transport: r.transport, ...(r.errorCode ? { error: r.errorCode } : {}), ...r.facts.details },
      ...(workstation ? { workstation } : {}),
    });
  };
}
