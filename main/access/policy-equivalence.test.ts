// The one policy answers as the engines it replaced did: the consent decision (consents/decide.ts) and the credential
// gate (credentials/gate.ts) as they were before main/access, kept here verbatim as oracles, are asked the same
// questions as answers.decide and answers.gateOf over generated fixtures on a real SQLite file; every answer,
// reason and explanation line must be equal. (Claims are the one intended change: they now apply the gate's age.)
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CREDENTIAL_TYPE_LABELS } from '../api/credentials';
import { AppError } from '../api/errors';
import { CATEGORIES, PURPOSES, type Category, type Purpose } from '../consents/codes';
import { formatEnd, formatStart, unixSeconds } from '../consents/period';
import { NPI, testData, type TestData } from '../consents/test-support';
import { npiProblem } from '../api/npi';
import { credentialSettings } from '../credentials/settings';
import { credentialsOfProvider, hasCredentialTables, providerByNpi, type CredentialRow } from '../credentials/store';
import { utcDay } from '../credentials/verdict';
import type { Db } from '../db/connection';
import { prng } from '../../scripts/generate-consents';
import { decide, gateOf } from './answers';
import { formatAge as describeAge } from '../api/age';
import type { DecideQuery } from './policy';
import { categoryCode, decisionCode, granteeKindCode, purposeCode, statusCode, timeColumns } from '../consents/compact-columns';
import { patientValues, PATIENT_STORED_COLUMNS } from '../consents/patient-columns';

// ---- The oracles: the code as it stood before the access policy (commit 86cf3eb), unchanged but for names. ----

interface InForceRow { id: number; external_id: string | null; decision: 'permit' | 'deny'; period_start: number; period_end: number | null }
interface AnyRow extends InForceRow { status: string; revoked_reason: string | null }
function legacyDecide(db: Db, q: DecideQuery) {
  const inForceStmt = db.prepare(`SELECT id, external_id, decision, period_start, period_end FROM consents WHERE patient_id = ? AND grantee = ? AND purpose = ? AND category = ? AND status = 'active' AND period_start <= ? AND (period_end IS NULL OR period_end > ?)`);
  const onFileStmt = db.prepare(`SELECT id, external_id, decision, period_start, period_end, status, revoked_reason FROM consents WHERE patient_id = ? AND grantee = ? AND purpose = ? AND category = ?`);
  const period = (r: InForceRow) => `${formatStart(r.period_start)} to ${r.period_end === null ? 'open-ended' : formatEnd(r.period_end)}`;
  const whyNotCounted = (r: AnyRow, at: number) => {
    if (r.status === 'revoked') return `revoked${r.revoked_reason ? ` (${r.revoked_reason})` : ''}: does not count`;
    if (r.status === 'superseded') return 'superseded by a newer version: does not count';
    if (r.status === 'expired' || (r.period_end !== null && r.period_end <= at)) return `expired (${period(r)}): does not count`;
    if (r.period_start > at) return `not yet in force (${period(r)}): does not count`;
    return 'does not count';
  };
  const evaluate = (at: number) => {
    const rows = inForceStmt.all(q.patientId, q.grantee, q.purpose, q.category, at, at) as InForceRow[];
    const denies = rows.filter((r) => r.decision === 'deny');
    const permits = rows.filter((r) => r.decision === 'permit');
    if (denies.length) {
      return {
        decision: 'deny' as const,
        reason: permits.length ? `Denied: ${denies.length} deny consent(s) in force override ${permits.length} permit(s).` : `Denied by ${denies.length === 1 ? 'a deny consent' : `${denies.length} deny consents`} in force.`,
        decidedBy: [
          ...denies.map((r) => ({ consentId: r.id, externalId: r.external_id, decision: r.decision, counts: true, why: `deny in force (${period(r)})` })),
          ...permits.map((r) => ({ consentId: r.id, externalId: r.external_id, decision: r.decision, counts: false, why: `permit in force (${period(r)}), overridden: deny overrides permit` })),
        ],
      };
    }
    if (permits.length) {
      return { decision: 'permit' as const, reason: `Permitted by ${permits.length === 1 ? 'a consent' : `${permits.length} consents`} in force.`, decidedBy: permits.map((r) => ({ consentId: r.id, externalId: r.external_id, decision: r.decision, counts: true, why: `permit in force (${period(r)})` })) };
    }
    const others = (onFileStmt.all(q.patientId, q.grantee, q.purpose, q.category) as AnyRow[]).sort((a, b) => b.id - a.id).slice(0, 5);
    return { decision: 'deny' as const, reason: others.length ? 'Denied: no consent in force for this grantee, purpose and category.' : 'Denied: no consent on file.', decidedBy: others.map((r) => ({ consentId: r.id, externalId: r.external_id, decision: r.decision, counts: false, why: whyNotCounted(r, at) })) };
  };
  const at = unixSeconds(q.at);
  if (q.breakGlassReason === undefined) return { ...evaluate(at), breakGlass: false };
  if (q.purpose !== 'ETREAT') throw new AppError('BREAK_GLASS_PURPOSE', `Break-glass is emergency treatment (ETREAT), not ${q.purpose}.`);
  const reason = q.breakGlassReason.trim();
  if (!reason) throw new AppError('BREAK_GLASS_REASON_REQUIRED', 'Emergency access (ETREAT) needs a reason: say why the record must be opened.');
  const normal = evaluate(at);
  return { decision: 'permit' as const, breakGlass: true, reason: `Break-glass emergency access: ${reason}. Without it: ${normal.reason}`, decidedBy: normal.decidedBy.map((d) => ({ ...d, counts: false })) };
}

function legacyGate(db: Db, grantee: string, at: Date, options: { granteeKind?: 'npi' | 'org'; maxAgeHours?: number } = {}) {
  const kind = options.granteeKind ?? (/^\d{10}$/.test(grantee) ? 'npi' : 'org');
  if (kind === 'org') return { ok: true, kind, directory: null, cached: null, reason: `${grantee} is an organisation: no provider credential is required.` };
  const unlisted = { kind, directory: { listed: false, providerName: null } };
  const problem = npiProblem(grantee);
  if (problem) return { ok: false, ...unlisted, code: 'NPI_INVALID', reason: `Denied: the grantee NPI ${grantee} is not valid (${problem}).` };
  if (!hasCredentialTables(db)) return { ok: false, ...unlisted, code: 'DIRECTORY_MISSING', reason: 'Denied: the credential directory is not set up on this workstation.' };
  const provider = providerByNpi(db, grantee);
  if (!provider) return { ok: false, ...unlisted, code: 'NPI_NOT_IN_DIRECTORY', reason: `Denied: NPI ${grantee} is not in the provider directory, so no verified credential backs this access. Add the provider (Credentials, roster import) if this is a real provider.` };
  const listed = { kind, directory: { listed: true, providerName: provider.name } };
  const credentials = credentialsOfProvider(db, provider.id);
  if (credentials.length === 0) return { ok: false, ...listed, code: 'NO_CREDENTIALS', reason: `Denied: NPI ${grantee} (${provider.name}) has no credentials on file.` };
  const day = utcDay(at);
  const maxAgeHours = options.maxAgeHours ?? credentialSettings(db).gateMaxAgeHours;
  const cutoff = new Date(at.getTime() - maxAgeHours * 3_600_000).toISOString();
  const describe = (c: CredentialRow) => {
    const what = `${CREDENTIAL_TYPE_LABELS[c.type]} ${c.jurisdiction} ${c.number}`;
    if (day < c.valid_from) return `${what} is not valid until ${c.valid_from}`;
    if (day > c.valid_until) return `${what} expired after ${c.valid_until}`;
    switch (c.verdict) {
      case null:
        return `${what} has not been verified yet`;
      case 'verified':
      case 'unverified_offline':
        return c.last_verified_at && c.last_verified_at < cutoff ? `${what} was last verified at ${c.last_verified_at}, too long ago: verify it again` : `${what} is unverified (the registry was offline and it was never verified)`;
      default:
        return `${what} is ${c.verdict.replace(/_/g, ' ')} (${c.reason ?? 'no reason recorded'})`;
    }
  };
  for (const c of credentials) {
    const inPeriod = c.valid_from <= day && day <= c.valid_until;
    const verifiedRecently = (c.verdict === 'verified' || c.verdict === 'unverified_offline') && c.last_verified_at !== null && c.last_verified_at >= cutoff;
    if (inPeriod && verifiedRecently) {
      const lastVerifiedAt = c.last_verified_at!;
      const ageSeconds = Math.max(0, Math.floor((at.getTime() - Date.parse(lastVerifiedAt)) / 1000));
      const what = `${CREDENTIAL_TYPE_LABELS[c.type]} ${c.jurisdiction} ${c.number}`;
      return {
        ok: true,
        ...listed,
        credentialId: c.id,
        cached: { credentialId: c.id, verdict: c.verdict!, lastVerifiedAt, ageSeconds },
        reason: `${provider.name} (NPI ${grantee}): ${what} ${c.verdict === 'verified' ? 'was verified' : 'was last verified (the registry was offline at the latest re-check)'} at ${lastVerifiedAt}, ${describeAge(ageSeconds)} before the time asked about. This is the cached verdict: the registry was not asked for this answer.`,
      };
    }
  }
  const shown = credentials.slice(0, 3).map(describe);
  const more = credentials.length > 3 ? `; and ${credentials.length - 3} more` : '';
  return { ok: false, ...listed, code: 'NO_CURRENT_CREDENTIAL', reason: `Denied: NPI ${grantee} has no verified, unexpired credential: ${shown.join('; ')}${more}.` };
}

// ---- Fixtures -------------------------------------------------------------------------------------------------

let t: TestData;
const Y = (y: number, m = 1) => Date.UTC(y, m - 1, 1) / 1000;
const GRANTEES = [NPI.a, NPI.b, 'ACME-HEALTH'];
const TIMES = [Y(2019), Y(2020), Y(2021, 7), Y(2023), Y(2024, 3), Y(2025, 6), Y(2027), Y(2031)];
const PATIENTS = 3;
const GATE_NPIS = ['1234567893', '1245319599', '1003000126', '1558444216', '1679576722'];

beforeAll(() => {
  t = testData('custodian-policy-eq-');
  const rand = prng(16);
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(rand() * xs.length)]!;
  const now = '2024-01-01T00:00:00.000Z';
  const patient = t.db.prepare(`INSERT INTO patients (facility, mrn, name, ${PATIENT_STORED_COLUMNS}) VALUES ('GH01', ?, 'Test, Patient', ?, ?, ?)`);
  for (let p = 1; p <= PATIENTS; p++) patient.run(`MRN${p}`, ...patientValues(`0x${p.toString(16).padStart(64, '0')}`, now));
  const consent = t.db.prepare(
    `INSERT INTO consents (external_id, patient_id, grantee, grantee_kind_code, decision_code, purpose_code, category_code, period_start, period_end, status_code, revoked_reason, document_hash_bin, source_text, seq, created_ms, created_text, updated_ms, updated_text)
     VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, unhex(substr(?, 3)), 'test', ?, ?, ?, ?, ?)`,
  );
  // Several consents per key (so deny-over-permit, more than five on file, and every status occur).
  for (let i = 1; i <= 600; i++) {
    const grantee = pick(GRANTEES);
    const start = pick([Y(2020), Y(2021), Y(2023), Y(2024), Y(2026)]);
    const end = pick([null, start + 365 * 86400, start + 4 * 365 * 86400]);
    const status = pick(['active', 'active', 'active', 'revoked', 'superseded', 'expired']);
    consent.run(
      rand() < 0.5 ? `C-${i}` : null,
      1 + Math.floor(rand() * PATIENTS),
      grantee,
      granteeKindCode(grantee === 'ACME-HEALTH' ? 'org' : 'npi'),
      decisionCode(rand() < 0.3 ? 'deny' : 'permit'),
      purposeCode(pick(PURPOSES)),
      categoryCode(pick(CATEGORIES.slice(0, 3))),
      start,
      end,
      statusCode(status),
      status === 'revoked' && rand() < 0.5 ? 'patient asked' : null,
      `0x${i.toString(16).padStart(64, '0')}`,
      i,
      ...timeColumns(now),
      ...timeColumns(now),
    );
  }
  // Providers for the gate: none (the last NPI), no credentials, and mixes of verdicts, ages and periods.
  const provider = t.db.prepare(`INSERT INTO providers (npi, name, source, created_at, updated_at) VALUES (?, ?, 'test', ?, ?)`);
  const credential = t.db.prepare(
    `INSERT INTO credentials (provider_id, type, jurisdiction, number, valid_from, valid_until, issuer, chain_id, registry, credential_hash, signature, verdict, reason, checked_at, last_verified_at, source, created_at)
     VALUES (?, ?, 'CA', ?, ?, ?, ?, 31337, ?, ?, ?, ?, ?, ?, ?, 'test', ?)`,
  );
  let n = 0;
  GATE_NPIS.slice(0, 4).forEach((npi, p) => {
    const id = Number(provider.run(npi, `Dr ${p}`, now, now).lastInsertRowid);
    for (let c = 0; c < p * 2; c++) {
      n++;
      const verdict = pick([null, 'verified', 'verified', 'unverified_offline', 'expired', 'revoked', 'suspended', 'not_on_registry']);
      const verifiedAt = verdict === null ? null : pick([null, '2024-02-29T10:00:00.000Z', '2024-03-01T06:00:00.000Z', '2025-05-31T23:00:00.000Z']);
      credential.run(id, pick(['license', 'board_certification', 'dea_registration']), `A${n}`, ...pick([['2020-01-01', '2024-02-29'], ['2020-01-01', '2026-12-31'], ['2024-03-01', '2026-12-31']]), `0x${'11'.repeat(20)}`, `0x${'22'.repeat(20)}`, `0x${n.toString(16).padStart(64, '0')}`, `0x${'33'.repeat(65)}`, verdict, verdict ? `reason ${n}` : null, now, verifiedAt, now);
    }
  });
});
afterAll(() => t.cleanup());

const outcome = (f: () => unknown) => {
  try {
    return { value: f() };
  } catch (err) {
    return { error: (err as AppError).code };
  }
};

describe('the access policy answers as the engines it replaced', () => {
  it('the consent decision: every key, time and break-glass request of the generated fixtures', () => {
    let asked = 0;
    let permits = 0;
    for (let patientId = 1; patientId <= PATIENTS; patientId++)
      for (const grantee of GRANTEES)
        for (const purpose of PURPOSES as readonly Purpose[])
          for (const category of CATEGORIES.slice(0, 4) as readonly Category[])
            for (const at of TIMES)
              for (const breakGlassReason of [undefined, 'cardiac arrest', '  ']) {
                if (breakGlassReason !== undefined && purpose !== 'ETREAT' && purpose !== 'TREAT') continue;
                const q: DecideQuery = { grantee, patientId, purpose, category, at, ...(breakGlassReason === undefined ? {} : { breakGlassReason }) };
                const now = outcome(() => decide(t.db, q));
                expect(now).toEqual(outcome(() => legacyDecide(t.db, q)));
                asked++;
                if ((now.value as { decision?: string } | undefined)?.decision === 'permit') permits++;
              }
    // The grid is not vacuous: both answers occur many times.
    expect(asked).toBeGreaterThan(2000);
    expect(permits).toBeGreaterThan(50);
    expect(asked - permits).toBeGreaterThan(500);
  });

  it('the credential gate: every grantee, time and maximum age', () => {
    const codes = new Set<string>();
    for (const grantee of [...GATE_NPIS, '1234567890', 'ACME-HEALTH'])
      for (const at of ['2024-02-29T12:00:00Z', '2024-03-01T07:00:00Z', '2024-03-02T12:00:00Z', '2025-06-01T00:00:00Z', '2027-01-01T00:00:00Z'])
        for (const maxAgeHours of [undefined, 1, 24, 48, 1e6]) {
          const options = maxAgeHours === undefined ? {} : { maxAgeHours };
          const now = gateOf(t.db, grantee, new Date(at), options);
          expect(now).toEqual(legacyGate(t.db, grantee, new Date(at), options));
          codes.add(now.ok ? `ok:${now.kind}` : now.code);
        }
    expect([...codes].sort()).toEqual(['NO_CREDENTIALS', 'NO_CURRENT_CREDENTIAL', 'NPI_INVALID', 'NPI_NOT_IN_DIRECTORY', 'ok:npi', 'ok:org']);
  });
});
