// Claim pre-checks per second (target: 100,000 claims checked, rate per second) on a database with seeded
// patients, HPAYMT consents, providers with credential verdicts and earlier claims (the duplicate indexes), against
// the consent decision alone (decide(), one of the pre-check's lookups) over the same claims in the same run.
import path from 'node:path';
import { CachedPseudonyms, checkableOf, SqlPrecheckContext } from '../main/claims/context';
import type { ClaimInput } from '../main/claims/model';
import { precheckClaim } from '../main/claims/precheck';
import { insertClaim } from '../main/claims/store';
import { seedProvider } from '../main/claims/test-support';
import { decide } from '../main/access/answers';
import { Pseudonymizer } from '../main/consents/pseudonym';
import { npiFromNine } from '../main/api/npi';
import { openDatabase } from '../main/db/connection';
import { migrate } from '../main/db/migrate';
import type { Bench } from './types';
import { CATEGORY_CODE, DECISION_CODE, GRANTEE_KIND_CODE, PURPOSE_CODE, STATUS_CODE, timeColumns } from '../main/consents/compact-columns';
import { patientValues, PATIENT_STORED_COLUMNS } from '../main/consents/patient-columns';

const CLAIMS = 100_000;
const PATIENTS = 20_000;
const PROVIDERS = 200;
const PAYERS = ['PAYER-A', 'PAYER-B', 'PAYER-C', 'PAYER-D'];

const bench: Bench = async ({ tmpDir }) => {
  const db = openDatabase(path.join(tmpDir, 'claims.sqlite'));
  migrate(db);
  const pseudonymizer = new Pseudonymizer(Buffer.alloc(32, 3));
  const now = '2026-01-01T00:00:00.000Z';
  const npis = Array.from({ length: PROVIDERS }, (_, i) => npiFromNine(String(100_000_000 + i * 7919)));
  const t = process.hrtime.bigint();
  db.transaction(() => {
    const patient = db.prepare(`INSERT INTO patients (id, facility, mrn, name, ${PATIENT_STORED_COLUMNS}) VALUES (?, 'GH01', ?, 'P', ?, ?, ?)`);
    const consent = db.prepare(
      `INSERT INTO consents (patient_id, grantee, grantee_kind_code, decision_code, purpose_code, category_code, period_start, period_end, status_code, document_hash_bin, source_text, seq, created_ms, created_text, updated_ms, updated_text)
       VALUES (?, ?, ${GRANTEE_KIND_CODE.org}, ?, ${PURPOSE_CODE.HPAYMT}, ${CATEGORY_CODE.general}, 0, NULL, ${STATUS_CODE.active}, unhex(substr(?, 3)), 'bench', 1, ?, ?, ?, ?)`,
    );
    for (let i = 1; i <= PATIENTS; i++) {
      patient.run(i, `MRN${i}`, ...patientValues(pseudonymizer.pseudonym('GH01', `MRN${i}`), now));
      // Three of four payers hold a consent per patient; one in ten of those is a deny.
      for (let p = 0; p < 3; p++) consent.run(i, PAYERS[(i + p) % 4], DECISION_CODE[(i + p) % 10 === 0 ? 'deny' : 'permit'], `0x${'ab'.repeat(32)}`, ...timeColumns(now), ...timeColumns(now));
    }
    npis.forEach((npi, i) => seedProvider(db, npi, { verdict: i % 20 === 0 ? 'revoked' : 'verified', validFrom: '2020-01-01', validUntil: i % 7 === 0 ? '2025-06-30' : '2030-12-31' }));
  })();

  const claimOf = (i: number, prefix: string): ClaimInput => ({
    claimId: `${prefix}-${i}`,
    facility: 'GH01',
    mrn: `MRN${1 + (i % PATIENTS)}`,
    renderingNpi: npis[i % PROVIDERS]!,
    payerId: PAYERS[(i + 1) % 4]!, // one of the three payers patient 1 + i holds a consent for
    serviceDate: `2026-0${1 + (i % 9)}-${String(1 + (i % 28)).padStart(2, '0')}`,
    codes: i % 50 === 0 ? ['9921'] : ['99213', 'E11.9'],
    amountCents: 10_000 + (i % 5000),
  });
  // Earlier claims: the duplicate indexes are not empty (some of the checked claims repeat their content).
  const ctxSeed = new SqlPrecheckContext(db, { now: new Date('2026-12-04T00:00:00Z') });
  db.transaction(() => {
    for (let i = 0; i < 20_000; i++) {
      const c = checkableOf(claimOf(i * 5, 'OLD'), pseudonymizer);
      insertClaim(db, c, precheckClaim(c, ctxSeed), { source: 'import', importRunId: null, sourceRow: null, checkedBy: 'bench', patientId: null }, now);
    }
  })();
  const loadSeconds = Number(process.hrtime.bigint() - t) / 1e9;

  const inputs = Array.from({ length: CLAIMS }, (_, i) => claimOf(i, 'NEW'));
  const at = new Date('2026-12-04T00:00:00Z');

  // Warm-up of both paths.
  const warm = new SqlPrecheckContext(db, { now: at });
  for (let i = 0; i < 2_000; i++) precheckClaim(checkableOf(inputs[i]!, pseudonymizer), warm);

  let passes = 0;
  // As a bulk import or dry check runs it: stored ids and hashes read once, patients and pseudonyms cached.
  let s = process.hrtime.bigint();
  const ctx = new SqlPrecheckContext(db, { now: at, rememberSeen: true, bulk: true });
  const pseudonyms = new CachedPseudonyms(pseudonymizer);
  for (const input of inputs) {
    const claim = checkableOf(input, pseudonyms);
    const v = precheckClaim(claim, ctx);
    ctx.remember(claim, v);
    if (v.verdict === 'pass') passes++;
  }
  const checkSeconds = Number(process.hrtime.bigint() - s) / 1e9;

  const patientIds = inputs.map((c) => Number(c.mrn.slice(3)));
  s = process.hrtime.bigint();
  let permits = 0;
  for (let i = 0; i < inputs.length; i++) {
    if (decide(db, { grantee: inputs[i]!.payerId, patientId: patientIds[i]!, purpose: 'HPAYMT', category: 'general', at }).decision === 'permit') permits++;
  }
  const decideSeconds = Number(process.hrtime.bigint() - s) / 1e9;
  db.close();

  const rate = CLAIMS / checkSeconds;
  const baseline = CLAIMS / decideSeconds;
  return [
    {
      name: 'claim pre-checks',
      value: rate,
      unit: 'claims/s',
      baseline: { name: 'decide() alone on the same claims', value: baseline, unit: 'calls/s' },
      ratio: rate / baseline,
      note: `${CLAIMS.toLocaleString('en-US')} claims in ${checkSeconds.toFixed(2)} s (${passes.toLocaleString('en-US')} pass; ${permits.toLocaleString('en-US')} consent permits); ${PATIENTS.toLocaleString('en-US')} patients, ${PROVIDERS} providers, 20,000 earlier claims loaded in ${loadSeconds.toFixed(1)} s; target 100,000 checks/s`,
    },
  ];
};

export default bench;
