// The decision engine: may this grantee see this patient's data of this category for this purpose, now?
// Deny overrides permit; only active consents in their period count; no consent is a deny; break-glass (ETREAT with
// a stated reason) is an explicit request, never the side effect of asking about the ETREAT purpose.
import type { Statement } from 'better-sqlite3-multiple-ciphers';
import { AppError } from '../api/errors';
import type { Db } from '../db/connection';
import type { Category, ConsentStatus, Decision, Purpose } from './codes';
import { formatEnd, formatStart, unixSeconds } from './period';

export interface DecideQuery {
  grantee: string;
  patientId: number;
  purpose: Purpose;
  category: Category;
  at: Date | number;
  /**
   * Present only for a break-glass request (ETREAT): why emergency access is needed. Recorded by the caller's audit
   * trail. Without it, an ETREAT question is answered from the ETREAT consents on file like any other purpose.
   */
  breakGlassReason?: string;
}

export interface DecidingConsent {
  consentId: number;
  externalId: string | null;
  decision: Decision;
  counts: boolean;
  why: string;
}

export interface DecideResult {
  decision: Decision;
  breakGlass: boolean;
  reason: string;
  decidedBy: DecidingConsent[];
}

interface InForceRow {
  id: number;
  external_id: string | null;
  decision: Decision;
  period_start: number;
  period_end: number | null;
}
interface AnyRow extends InForceRow {
  status: ConsentStatus;
  revoked_reason: string | null;
}

const statements = new WeakMap<Db, { inForce: Statement; onFile: Statement }>();

/** The two prepared queries; `inForce` is answered from the consents_decide index alone (see decide.test.ts). */
export function decideStatements(db: Db): { inForce: Statement; onFile: Statement } {
  let s = statements.get(db);
  if (!s) {
    s = {
      inForce: db.prepare(
        `SELECT id, external_id, decision, period_start, period_end FROM consents
         WHERE patient_id = ? AND grantee = ? AND purpose = ? AND category = ? AND status = 'active'
           AND period_start <= ? AND (period_end IS NULL OR period_end > ?)`,
      ),
      onFile: db.prepare(
        `SELECT id, external_id, decision, period_start, period_end, status, revoked_reason FROM consents
         WHERE patient_id = ? AND grantee = ? AND purpose = ? AND category = ?`,
      ),
    };
    statements.set(db, s);
  }
  return s;
}

function period(r: InForceRow): string {
  return `${formatStart(r.period_start)} to ${r.period_end === null ? 'open-ended' : formatEnd(r.period_end)}`;
}

function whyNotCounted(r: AnyRow, at: number): string {
  if (r.status === 'revoked') return `revoked${r.revoked_reason ? ` (${r.revoked_reason})` : ''}: does not count`;
  if (r.status === 'superseded') return 'superseded by a newer version: does not count';
  if (r.status === 'expired' || (r.period_end !== null && r.period_end <= at)) return `expired (${period(r)}): does not count`;
  if (r.period_start > at) return `not yet in force (${period(r)}): does not count`;
  return 'does not count';
}

function evaluate(db: Db, q: DecideQuery, at: number): Omit<DecideResult, 'breakGlass'> {
  const { inForce, onFile } = decideStatements(db);
  const rows = inForce.all(q.patientId, q.grantee, q.purpose, q.category, at, at) as InForceRow[];
  const denies = rows.filter((r) => r.decision === 'deny');
  const permits = rows.filter((r) => r.decision === 'permit');
  if (denies.length) {
    return {
      decision: 'deny',
      reason: permits.length
        ? `Denied: ${denies.length} deny consent(s) in force override ${permits.length} permit(s).`
        : `Denied by ${denies.length === 1 ? 'a deny consent' : `${denies.length} deny consents`} in force.`,
      decidedBy: [
        ...denies.map((r) => ({ consentId: r.id, externalId: r.external_id, decision: r.decision, counts: true, why: `deny in force (${period(r)})` })),
        ...permits.map((r) => ({ consentId: r.id, externalId: r.external_id, decision: r.decision, counts: false, why: `permit in force (${period(r)}), overridden: deny overrides permit` })),
      ],
    };
  }
  if (permits.length) {
    return {
      decision: 'permit',
      reason: `Permitted by ${permits.length === 1 ? 'a consent' : `${permits.length} consents`} in force.`,
      decidedBy: permits.map((r) => ({ consentId: r.id, externalId: r.external_id, decision: r.decision, counts: true, why: `permit in force (${period(r)})` })),
    };
  }
  // Nothing in force: explain with what is on file (a second indexed query, only on this path).
  // Sorted here rather than in SQL: an ORDER BY id would tempt the planner onto the (grantee, id) index.
  const others = (onFile.all(q.patientId, q.grantee, q.purpose, q.category) as AnyRow[]).sort((a, b) => b.id - a.id).slice(0, 5);
  return {
    decision: 'deny',
    reason: others.length ? 'Denied: no consent in force for this grantee, purpose and category.' : 'Denied: no consent on file.',
    decidedBy: others.map((r) => ({ consentId: r.id, externalId: r.external_id, decision: r.decision, counts: false, why: whyNotCounted(r, at) })),
  };
}

export function decide(db: Db, q: DecideQuery): DecideResult {
  const at = unixSeconds(q.at);
  if (q.breakGlassReason === undefined) return { ...evaluate(db, q, at), breakGlass: false };
  if (q.purpose !== 'ETREAT') throw new AppError('BREAK_GLASS_PURPOSE', `Break-glass is emergency treatment (ETREAT), not ${q.purpose}.`);
  // Break-glass: an explicit path that always permits, flagged, and only with a stated reason. What the
  // consents on file say for ETREAT is reported alongside, so a reviewer sees what was overridden.
  const reason = q.breakGlassReason.trim();
  if (!reason) throw new AppError('BREAK_GLASS_REASON_REQUIRED', 'Emergency access (ETREAT) needs a reason: say why the record must be opened.');
  const normal = evaluate(db, q, at);
  return {
    decision: 'permit',
    breakGlass: true,
    reason: `Break-glass emergency access: ${reason}. Without it: ${normal.reason}`,
    decidedBy: normal.decidedBy.map((d) => ({ ...d, counts: false })),
  };
}
