// Release decision latency: decideReleaseRequest (agreements with the partner + decide() of the consents + the rule) over
// `rows` consents granted to partner organisations, beside decide() alone on the same queries in the same run.
import path from 'node:path';
import { decide, decideReleaseRequest } from '../main/access/answers';
import { openDatabase } from '../main/db/connection';
import { agreementFactsWith } from '../main/sharing/store';
import { migrate } from '../main/db/migrate';
import { prng } from '../scripts/generate-consents';
import { percentile } from './stats';
import type { Bench } from './types';
import { categoryCode, DECISION_CODE, GRANTEE_KIND_CODE, purposeCode, STATUS_CODE, timeColumns } from '../main/consents/compact-columns';
import { PATIENT_STORED_COLUMNS } from '../main/consents/patient-columns';

const PARTNERS = 50;
const CATS = ['general', 'mental-health', 'substance-use', 'HIV', 'genetic', 'reproductive'] as const;
const PURPS = ['TREAT', 'HPAYMT', 'HOPERAT', 'HRESCH'] as const;

const bench: Bench = async ({ tmpDir, rows }) => {
  const db = openDatabase(path.join(tmpDir, 'sharing.sqlite'));
  migrate(db);
  const patients = Math.max(1, Math.floor(rows / 4));
  const now = new Date().toISOString();
  const nowSec = Math.floor(Date.now() / 1000);
  db.transaction(() => {
    db.prepare(
      `WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < ?)
       INSERT INTO patients (id, facility, mrn, name, ${PATIENT_STORED_COLUMNS}) SELECT i, 'GH01', 'MRN' || i, 'Patient ' || i, unhex(printf('%064x', i)), ?, ? FROM n`,
    ).run(patients, ...timeColumns(now));
    db.prepare(
      `WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < ?)
       INSERT INTO consents (patient_id, grantee, grantee_kind_code, decision_code, purpose_code, category_code, period_start, period_end, status_code, document_hash_bin, source_text, seq, created_ms, created_text, updated_ms, updated_text)
       SELECT 1 + (i * 2654435761) % ?, printf('ORG%d', i % ?), ${GRANTEE_KIND_CODE.org}, CASE WHEN i % 7 = 0 THEN ${DECISION_CODE.deny} ELSE ${DECISION_CODE.permit} END,
         json_extract(?, '$[' || (i % 4) || ']'), json_extract(?, '$[' || ((i * 17) % 6) || ']'), 1577836800, NULL, ${STATUS_CODE.active}, unhex(printf('%064x', i)), 'bench', 1, ?, ?, ?, ? FROM n`,
    ).run(rows, patients, PARTNERS, JSON.stringify(PURPS.map(purposeCode)), JSON.stringify(CATS.map(categoryCode)), ...timeColumns(now), ...timeColumns(now));
    const insert = db.prepare(
      `INSERT INTO sharing_agreements (id, our_role, partner_org_id, partner_address, our_address, direction, categories, purposes, valid_from, valid_until, document_hash, terms_hash,
         chain_id, contract, our_signature, partner_signature, status, chain_state, created_at, updated_at)
       VALUES (?, 'A', ?, ?, ?, 'outbound', ?, ?, ?, ?, ?, ?, 31337, ?, '0x', '0x', ?, 'on-chain', ?, ?)`,
    );
    for (let p = 0; p < PARTNERS; p++) {
      // Two agreements per partner: an old terminated one and the current one (active for most partners).
      for (const [k, status] of [[0, 'terminated'], [1, p % 5 === 0 ? 'proposed' : 'active']] as const) {
        const hex = (n: number) => `0x${n.toString(16).padStart(64, '0')}`;
        insert.run(hex(p * 2 + k + 1), `ORG${p}`, `0x${'1'.repeat(40)}`, `0x${'2'.repeat(40)}`, JSON.stringify(CATS.slice(0, 3 + (p % 3))), JSON.stringify(PURPS.slice(0, 2 + (p % 2))), nowSec - 86_400, nowSec + 86_400 * 365, hex(7), hex(8), `0x${'3'.repeat(40)}`, status, now, now);
      }
    }
  })();

  // Half the queries on consents that exist (sampled rows), half random.
  const rand = prng(11);
  const existing = db.prepare('SELECT patient_id, grantee, purpose, category FROM consents WHERE id = ?');
  const queries = Array.from({ length: 5000 }, (_, i) => {
    if (i % 2 === 0) {
      const r = existing.get(1 + Math.floor(rand() * rows)) as { patient_id: number; grantee: string; purpose: (typeof PURPS)[number]; category: (typeof CATS)[number] };
      return { partnerOrgId: r.grantee, patientId: r.patient_id, category: r.category, purpose: r.purpose };
    }
    return { partnerOrgId: `ORG${Math.floor(rand() * PARTNERS)}`, patientId: 1 + Math.floor(rand() * patients), category: CATS[Math.floor(rand() * 6)]!, purpose: PURPS[Math.floor(rand() * 4)]! };
  });
  const at = new Date();
  for (let i = 0; i < 2000; i++) {
    const q = queries[i % queries.length]!;
    decideReleaseRequest(db, q, at, agreementFactsWith(db, q.partnerOrgId));
    decide(db, { grantee: q.partnerOrgId, patientId: q.patientId, purpose: q.purpose, category: q.category, at });
  }
  const releaseUs: number[] = [];
  const decideUs: number[] = [];
  let permits = 0;
  for (let round = 0; round < 3; round++) {
    for (const q of queries) {
      let s = process.hrtime.bigint();
      if (decideReleaseRequest(db, q, at, agreementFactsWith(db, q.partnerOrgId)).decision === 'permit') permits++;
      releaseUs.push(Number(process.hrtime.bigint() - s) / 1000);
      s = process.hrtime.bigint();
      decide(db, { grantee: q.partnerOrgId, patientId: q.patientId, purpose: q.purpose, category: q.category, at });
      decideUs.push(Number(process.hrtime.bigint() - s) / 1000);
    }
  }
  db.close();
  releaseUs.sort((a, b) => a - b);
  decideUs.sort((a, b) => a - b);
  const note = `${rows.toLocaleString('en-US')} org consents, ${PARTNERS} partners with 2 agreements each; ${releaseUs.length} calls; ${permits} permits`;
  return [
    { name: 'release decision p50', value: percentile(releaseUs, 50), unit: 'µs', baseline: { name: 'decide() alone p50', value: percentile(decideUs, 50), unit: 'µs' }, ratio: percentile(releaseUs, 50) / percentile(decideUs, 50), note },
    { name: 'release decision p99', value: percentile(releaseUs, 99), unit: 'µs', baseline: { name: 'decide() alone p99', value: percentile(decideUs, 99), unit: 'µs' }, ratio: percentile(releaseUs, 99) / percentile(decideUs, 99), note: 'decided locally: target microseconds, not a round trip' },
  ];
};

export default bench;
