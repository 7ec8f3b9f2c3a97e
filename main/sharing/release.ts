// Release of information: decides a partner's request with decideRelease over this database (agreements,
// consents for the partner organisation, the named professional's credential), records the decision, and on a
// permit writes the release package to <data dir>/releases (0600) and records its sha-256. Audited both ways.
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import canonicalize from 'canonicalize';
import type { ReleaseRequestInput, ReleaseRequestView } from '../api/sharing';
import type { PurposeCode } from '../api/consents';
import { AppError } from '../api/errors';
import { recordAudit, type AuditActor } from '../audit/trail';
import { decide } from '../consents/decide';
import { credentialGate } from '../credentials/gate';
import type { Db } from '../db/connection';
import { decideRelease, type ReleaseDecision } from './rules';
import { agreementFacts, agreementsWith, insertRequest, markReleased, requestById } from './store';

export interface ReleaseDeps {
  db: Db;
  dataDir: string;
  now?: () => Date;
}

/** The facts decideRelease needs, read from this database at `at`. */
export function decideFromDb(db: Db, r: ReleaseRequestInput, at: Date): ReleaseDecision {
  const atSec = Math.floor(at.getTime() / 1000);
  const consent = decide(db, { grantee: r.partnerOrgId, patientId: r.patientId, purpose: r.purpose as PurposeCode, category: r.category, at });
  const credential = r.professionalNpi ? credentialGate(db, r.professionalNpi, at, { granteeKind: 'npi' }) : null;
  return decideRelease(
    { partnerOrgId: r.partnerOrgId, category: r.category, purpose: r.purpose as PurposeCode, professionalNpi: r.professionalNpi ?? null, at: atSec },
    { agreements: agreementsWith(db, r.partnerOrgId).map(agreementFacts), consent, credential: credential && (credential.ok ? { ok: true } : { ok: false, reason: credential.reason }) },
  );
}

/** What is released: the patient's record of this category as this console holds it (demographics and consents). */
function releasePackage(db: Db, requestId: number, r: ReleaseRequestInput, decision: ReleaseDecision, at: string): string {
  const patient = db.prepare(`SELECT facility, mrn, name, birth_date FROM patients WHERE id = ?`).get(r.patientId) as Record<string, unknown>;
  const consents = db
    .prepare(`SELECT id, grantee, grantee_kind, decision, purpose, category, period_start, period_end, status, document_hash FROM consents WHERE patient_id = ? AND category = ? AND status <> 'superseded' ORDER BY id`)
    .all(r.patientId, r.category);
  return canonicalize({ kind: 'custodian.release.v1', requestId, releasedAt: at, partnerOrgId: r.partnerOrgId, agreementId: decision.agreementId, purpose: r.purpose, category: r.category, patient, consents })!;
}

export function handleReleaseRequest(deps: ReleaseDeps, input: ReleaseRequestInput, actor: AuditActor): ReleaseRequestView {
  const { db } = deps;
  if (!db.prepare('SELECT 1 FROM patients WHERE id = ?').get(input.patientId)) throw new AppError('NOT_FOUND', `patientId: there is no patient ${input.patientId}.`);
  const now = (deps.now ?? (() => new Date()))();
  const at = now.toISOString();
  const decision = decideFromDb(db, input, now);
  const reasons = decision.reasons.map((x) => ({ code: x.code, message: x.message }));
  let packageText: string | null = null;
  const id = db.transaction(() => {
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
    recordAudit(db, {
      actor,
      action: 'sharing.release.decide',
      outcome: decision.decision,
      patientId: input.patientId,
      subject: `release:${requestId}`,
      details: { partnerOrgId: input.partnerOrgId, category: input.category, purpose: input.purpose, agreementId: decision.agreementId, reasons: reasons.map((x) => x.code), ...(input.professionalNpi ? { professionalNpi: input.professionalNpi } : {}) },
    });
    if (decision.decision === 'permit') packageText = releasePackage(db, requestId, input, decision, at);
    return requestId;
  })();
  if (packageText !== null) {
    // The file first, then its hash in the same transaction as the audit entry: a crash in between leaves a
    // permit without a release (visible, repeatable), never a recorded hash without its file.
    const dir = path.join(deps.dataDir, 'releases');
    fs.mkdirSync(dir, { recursive: true, mode: 0o700 });
    const file = path.join(dir, `release-${id}.json`);
    fs.writeFileSync(file, packageText, { mode: 0o600, flag: 'wx' });
    const hash = crypto.createHash('sha256').update(packageText, 'utf8').digest('hex');
    db.transaction(() => {
      markReleased(db, id, hash, file, at);
      recordAudit(db, { actor, action: 'sharing.release', outcome: 'success', patientId: input.patientId, subject: `release:${id}`, details: { partnerOrgId: input.partnerOrgId, agreementId: decision.agreementId, sha256: hash } });
    })();
  }
  return requestById(db, id)!;
}
