// Release of information: decides a partner's request with the access policy (main/access: agreements, consents
// for the partner organisation, the named professional's credential gate), records the decision, and on a permit
// writes the release package to <data dir>/releases (0600) and records its sha-256. Audited both ways.
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import canonicalize from 'canonicalize';
import type { ReleaseRequestInput, ReleaseRequestView } from '../api/sharing';
import { AppError } from '../api/errors';
import type { AuditActor } from '../audit/trail';
import { systemAudit } from '../audit/system-audit';
import { decideReleaseRequest } from '../access/answers';
import { patientExists } from '../access/facts';
import type { ReleaseDecision } from '../access/policy';
import type { Db } from '../db/connection';
import { agreementFactsWith, insertRequest, markReleased, requestById } from './store';

export interface ReleaseDeps {
  db: Db;
  dataDir: string;
  now?: () => Date;
}

/** What is released: the patient's record of this category as this console holds it (demographics and consents). */
function releasePackage(db: Db, requestId: number, r: ReleaseRequestInput, decision: ReleaseDecision, at: string): string {
  const patient = db.prepare(`SELECT facility, mrn, name, birth_date FROM patients WHERE id = ?`).get(r.patientId) as Record<string, unknown>;
  const consents = db
    .prepare(`SELECT id, grantee, grantee_kind, decision, purpose, category, period_start, period_end, status, document_hash FROM consents WHERE patient_id = ? AND category = ? AND status <> 'superseded' ORDER BY id`)
    .all(r.patientId, r.category);
  return canonicalize({ kind: 'custodian.release.v1', requestId, releasedAt: at, partnerOrgId: r.partnerOrgId, agreementId: decision.agreementId, purpose: r.purpose, category: r.category, patient, consents })!;
}

/** What one decided request committed: the dispatcher's entry for the call names these facts. */
export interface ReleaseDecided {
  requestId: number;
  decision: ReleaseDecision['decision'];
  reasonCodes: string[];
  /** The released package's sha-256 on a permit (recorded before the file is written), else null. */
  sha256: string | null;
}

/** Runs the decision's synchronous write in one transaction; the API passes ctx.commit (its entry joins it). */
export type ReleaseCommit = (write: () => ReleaseDecided) => ReleaseDecided;

export function handleReleaseRequest(deps: ReleaseDeps, input: ReleaseRequestInput, actor: AuditActor, commit: ReleaseCommit = (write) => deps.db.transaction(write)()): ReleaseRequestView {
  const { db } = deps;
  if (!patientExists(db, input.patientId)) throw new AppError('NOT_FOUND', `patientId: there is no patient ${input.patientId}.`);
  const now = (deps.now ?? (() => new Date()))();
  const at = now.toISOString();
  const decision = decideReleaseRequest(db, input, now, agreementFactsWith(db, input.partnerOrgId));
  const reasons = decision.reasons.map((x) => ({ code: x.code, message: x.message }));
  let packageText: string | null = null;
  // Fail closed: the request, its decision entry and, on a permit, the release entry with the package's sha-256
  // commit (with the caller's own entry) BEFORE the package leaves. If any entry cannot be written, nothing is
  // written to disk. A file write that fails afterwards leaves entries saying more than happened (the request shows
  // no release, and a failure entry follows), never a release the trail does not name.
  const decided = commit(() => {
    const requestId = insertRequest(db, {
      partner_org_id: input.partnerOrgId,
      patient_id: input.patientId,
      category: input.category,
      purpose: input.purpose,
      professional_npi: input.professionalNpi ?? null,
      agreement_id: decision.agreementId,
      decision: decision.decision,
      reasons: JSON.stringify(reasons),
      requested_by: actor.id,
      requested_at: at,
    });
    systemAudit(db, {
      actor,
      action: 'sharing.release.decide',
      outcome: decision.decision,
      patientId: input.patientId,
      subject: `release:${requestId}`,
      details: { partnerOrgId: input.partnerOrgId, category: input.category, purpose: input.purpose, agreementId: decision.agreementId, reasons: reasons.map((x) => x.code), ...(input.professionalNpi ? { professionalNpi: input.professionalNpi } : {}) },
    });
    let sha256: string | null = null;
    if (decision.decision === 'permit') {
      packageText = releasePackage(db, requestId, input, decision, at);
      sha256 = crypto.createHash('sha256').update(packageText, 'utf8').digest('hex');
      systemAudit(db, { actor, action: 'sharing.release', patientId: input.patientId, subject: `release:${requestId}`, details: { partnerOrgId: input.partnerOrgId, agreementId: decision.agreementId, sha256 } });
    }
    return { requestId, decision: decision.decision, reasonCodes: reasons.map((x) => x.code), sha256 };
  });
  const id = decided.requestId;
  if (packageText !== null && decided.sha256) {
    const dir = path.join(deps.dataDir, 'releases');
    const file = path.join(dir, `release-${id}.json`);
    try {
      fs.mkdirSync(dir, { recursive: true, mode: 0o700 });
      fs.writeFileSync(file, packageText, { mode: 0o600, flag: 'wx' });
    } catch (err) {
      const reason = (err as NodeJS.ErrnoException).code ?? 'write failed';
      db.transaction(() => systemAudit(db, { actor, action: 'sharing.release', outcome: 'failure', patientId: input.patientId, subject: `release:${id}`, details: { error: 'SHARING_RELEASE_WRITE_FAILED', reason } }))();
      throw new AppError('SHARING_RELEASE_WRITE_FAILED', `Release ${id} was permitted but its package could not be written (${reason}); the request shows no release. Ask again once the data folder is writable.`);
    }
    db.transaction(() => markReleased(db, id, decided.sha256!, file, at))();
  }
  return requestById(db, id)!;
}
