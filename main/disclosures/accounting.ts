// Accounting of disclosures (HIPAA 164.528, ONC 170.315(d)(3)): for one patient and a period, every audit entry that
// names the patient (patient_id, or details.patientIds of a read that showed several) and every claim about them.
// A report over the domains (the audit trail, consent exports, claims, staff): it stands above them all.
import type { disclosureChannels, DisclosureAccounting, DisclosureEvent, DisclosureKind, DisclosureQuery } from '../api/audit';
import type { HandlersFor } from '../api/channel';
import { AppError } from '../api/errors';
import { claimsOfPatient } from '../claims/queries';
import { exportsOfPatient } from '../consents/export-patients';
import { checkExportSets, EXPORT_SEAL_ACTION, exportSetTampered } from '../consents/export-seal';
import { patientRecord } from '../consents/queries';
import type { Db } from '../db/connection';
import type { RequestContext } from '../runtime/dispatcher';
import { findStaff } from '../staff/accounts';
import { csvCell } from '../audit/csv';
import { normaliseInstant } from '../audit/queries';
import type { AuditEntry } from '../audit/trail';

/** The period as the trail stores instants; a bare `to` date is its whole day, a date-time `to` is inclusive. */
function period(q: Pick<DisclosureQuery, 'from' | 'to'>): { from: string | null; to: string | null } {
  return {
    from: q.from ? normaliseInstant(q.from, 'from') : null,
    to: q.to ? (/^\d{4}-\d{2}-\d{2}$/.test(q.to) ? normaliseInstant(q.to, 'to') : new Date(Date.parse(q.to) + 1).toISOString()) : null,
  };
}

// Entries naming the patient in patient_id (index audit_by_patient) or in details.patientIds (reads of several
// patients: a list, a search), and the entries of FHIR exports that carried the patient's record (one per call,
// found through the export's patient set: consents/export-patients.ts; index audit_by_action). The second part walks
// the period by time (audit_by_time); json_each reads the array.
const EXPORT_ACTIONS = ['consents.exportFhir', 'consents.exportFile', 'consents.saveExport'] as const;
const ENTRIES_SQL = `
  SELECT * FROM audit_log WHERE id IN (
    SELECT id FROM audit_log WHERE patient_id = @patientId
    UNION
    SELECT l.id FROM audit_log l
     WHERE (@from IS NULL OR l.at >= @from) AND (@to IS NULL OR l.at < @to)
       AND EXISTS (SELECT 1 FROM json_each(l.details, '$.patientIds') j WHERE j.value = @patientId)
    UNION
    SELECT l.id FROM audit_log l
     WHERE l.action IN (${EXPORT_ACTIONS.map((a) => `'${a}'`).join(', ')})
       AND l.subject IN (SELECT 'export:' || value FROM json_each(@exports))
  )
  AND (@from IS NULL OR at >= @from) AND (@to IS NULL OR at < @to)
  ORDER BY at, id LIMIT @limit`;

// Every export the period's trail names (made, downloaded, saved, sealed): their patient sets are checked against
// their seal entries before any is trusted, so a patient removed from a set cannot silently drop out of the answer.
const EXPORTS_IN_PERIOD_SQL = `
  SELECT DISTINCT substr(subject, ${'export:'.length + 1}) FROM audit_log
   WHERE action IN (${[...EXPORT_ACTIONS, EXPORT_SEAL_ACTION].map((a) => `'${a}'`).join(', ')}) AND subject LIKE 'export:%'
     AND (@from IS NULL OR at >= @from) AND (@to IS NULL OR at < @to)`;

/**
 * The exports named in the period, each set checked against its signed digest: AUDIT_EXPORT_SET_TAMPERED (naming
 * the export, never a patient) rather than an accounting that could be short; sets from before sealing are named.
 */
function checkedExports(db: Db, from: string | null, to: string | null): DisclosureAccounting['exports'] {
  const ids = db.prepare(EXPORTS_IN_PERIOD_SQL).pluck().all({ from, to }) as string[];
  const result: DisclosureAccounting['exports'] = { verified: 0, notCovered: [] };
  for (const check of checkExportSets(db, ids)) {
    if (check.state === 'tampered') throw exportSetTampered(check);
    if (check.state === 'verified') result.verified++;
    if (check.state === 'not-covered') result.notCovered.push(check.exportId);
  }
  return result;
}

const CHANGES = new Set(['consents.grant', 'consents.supersede', 'consents.revoke']);

const EXPORT_WHY: Record<(typeof EXPORT_ACTIONS)[number], string> = {
  'consents.exportFhir': 'FHIR Consent export made (file in the data folder)',
  'consents.exportFile': 'FHIR Consent export file downloaded',
  'consents.saveExport': 'FHIR Consent export file saved',
};
const isExportAction = (action: string): action is (typeof EXPORT_ACTIONS)[number] => (EXPORT_ACTIONS as readonly string[]).includes(action);

function kindOf(e: AuditEntry): DisclosureKind {
  if (e.outcome === 'break-glass') return 'break-glass';
  if (isExportAction(e.action)) return 'export';
  if (e.action.startsWith('sharing.')) return 'release';
  if (e.action.startsWith('claims.')) return 'claim';
  if (CHANGES.has(e.action)) return 'change';
  return 'access';
}

function detailsOf(e: AuditEntry): Record<string, unknown> {
  try {
    const d: unknown = JSON.parse(e.details);
    return d && typeof d === 'object' && !Array.isArray(d) ? (d as Record<string, unknown>) : {};
  } catch {
    return {};
  }
}

/** The purpose or reason recorded with an entry: a break-glass or revocation reason, else the purpose code. */
function whyOf(details: Record<string, unknown>): string | null {
  const parts = [details.code, details.category, details.reason].filter((v): v is string => typeof v === 'string' && v.length > 0);
  return parts.length ? parts.join(' · ') : null;
}

export function entryEvent(e: AuditEntry): DisclosureEvent {
  const details = detailsOf(e);
  const transport = typeof details.transport === 'string' ? ` (${details.transport})` : '';
  return {
    at: e.at,
    kind: kindOf(e),
    who: { id: e.actor_id, name: e.actor_name, role: e.actor_role },
    what: `${e.action}${e.subject ? ` ${e.subject}` : ''}${transport}`,
    why: isExportAction(e.action) ? EXPORT_WHY[e.action] : whyOf(details),
    outcome: e.outcome,
    source: { kind: 'audit', entryId: e.id },
  };
}

export function accountOfDisclosures(db: Db, q: DisclosureQuery, now = new Date()): Omit<DisclosureAccounting, 'csv'> {
  const patient = patientRecord(db, q.patientId);
  if (!patient) throw new AppError('NOT_FOUND', `There is no patient ${q.patientId}.`);
  const { from, to } = period(q);
  // One read transaction: the sets checked are the sets the entries are found through.
  const { checked, entries } = db.transaction(() => {
    const checked = checkedExports(db, from, to);
    const exports = JSON.stringify(exportsOfPatient(db, q.patientId));
    return { checked, entries: db.prepare(ENTRIES_SQL).all({ patientId: q.patientId, exports, from, to, limit: q.limit + 1 }) as AuditEntry[] };
  })();
  const claims = claimsOfPatient(db, q.patientId, from, to, q.limit + 1);
  // Claims record who checked them by staff id (a bulk import's by the one who started it): name them as the trail does.
  const staffOf = (id: string): DisclosureEvent['who'] => {
    const s = findStaff(db, id);
    return { id, name: s?.display_name ?? null, role: s?.role ?? null };
  };
  const events: DisclosureEvent[] = [
    ...entries.map(entryEvent),
    ...claims.map(
      (c): DisclosureEvent => ({
        at: c.created_at,
        kind: 'claim',
        who: staffOf(c.checked_by),
        what: `claim ${c.claim_id} to payer ${c.payer_id} (${c.source})`,
        why: c.chain_reason ? `payment (HPAYMT); payer: ${c.chain_reason}` : 'payment (HPAYMT)',
        outcome: c.chain_status,
        source: { kind: 'claim', claimId: c.id },
      }),
    ),
  ].sort((a, b) => (a.at < b.at ? -1 : a.at > b.at ? 1 : 0));
  return {
    patient,
    from,
    to,
    events: events.slice(0, q.limit),
    truncated: events.length > q.limit,
    exports: checked,
    generatedAt: now.toISOString(),
  };
}

const CSV_HEADER = ['at', 'kind', 'staff_id', 'staff_name', 'staff_role', 'what', 'why', 'outcome', 'source'];

/** The accounting as CSV (one header line, one line per event), as the page downloads it. */
export function disclosuresCsv(a: Pick<DisclosureAccounting, 'events'>): string {
  const lines = [CSV_HEADER.join(',')];
  for (const e of a.events) {
    const source = e.source.kind === 'audit' ? `audit:${e.source.entryId}` : `claim:${e.source.claimId}`;
    lines.push([e.at, e.kind, e.who.id, e.who.name, e.who.role, e.what, e.why, e.outcome, source].map(csvCell).join(','));
  }
  return lines.join('\r\n') + '\r\n';
}

/** The audit.disclosures channel (its own factory, beside the trail's handlers). The call names the patient. */
export function createDisclosureHandlers(deps: { db: Db; now?: () => Date }): HandlersFor<typeof disclosureChannels, RequestContext> {
  return {
    'audit.disclosures': (query, ctx) => {
      const accounting = accountOfDisclosures(deps.db, query, deps.now?.() ?? new Date());
      ctx.audit({ patientId: query.patientId, subject: `patient:${query.patientId}`, details: { from: accounting.from, to: accounting.to, events: accounting.events.length, exportsVerified: accounting.exports.verified, exportsNotCovered: accounting.exports.notCovered.length } });
      return { ...accounting, csv: disclosuresCsv(accounting) };
    },
  };
}
