// The pre-check's facts from SQLite: the consent engine (decide, purpose HPAYMT, grantee = payer id), the
// provider directory's credential verdicts, and the duplicate indexes. One context serves one check or one import
// run; within a run it also remembers the claims it has seen, so a dry run finds duplicates inside the file.
import type { Statement } from 'better-sqlite3';
import { CREDENTIAL_TYPE_LABELS } from '../api/credentials';
import type { Db } from '../db/connection';
import { decide } from '../consents/decide';
import type { Pseudonymizer } from '../consents/pseudonym';
import { credentialsOfProvider, providerByNpi } from '../credentials/store';
import { utcDay } from '../credentials/verdict';
import { claimContentHash, type ClaimInput, type ClaimVerdict } from './model';
import type { CheckableClaim, ConsentAnswer, CredentialFact, PrecheckContext } from './precheck';

/** Verdicts that still mean "verification passed once": an offline re-check or a lapse by date after a verification. */
const STILL_VERIFIED = new Set(['unverified_offline', 'expired']);

export function checkableOf(input: ClaimInput, pseudonymizer: Pseudonymizer): CheckableClaim {
  return { ...input, contentHash: claimContentHash(input, pseudonymizer.pseudonym(input.facility, input.mrn)) };
}

interface Statements {
  patient: Statement<[string, string], { id: number }>;
  claimId: Statement<[string], { n: number }>;
  passedContent: Statement<[string], { claim_id: string }>;
}
const cache = new WeakMap<Db, Statements>();
function statements(db: Db): Statements {
  let s = cache.get(db);
  if (!s) {
    s = {
      patient: db.prepare('SELECT id FROM patients WHERE facility = ? AND mrn = ?'),
      claimId: db.prepare('SELECT 1 AS n FROM claims WHERE claim_id = ?'),
      passedContent: db.prepare(`SELECT claim_id FROM claims WHERE content_hash = ? AND verdict = 'pass'`),
    };
    cache.set(db, s);
  }
  return s;
}

export interface SqlContextOptions {
  /** The moment of disclosure the consent is decided at (the check time). */
  now: Date;
  /** Remember checked claims in memory (dry runs write nothing, yet must see duplicates within the file). */
  rememberSeen?: boolean;
}

export class SqlPrecheckContext implements PrecheckContext {
  readonly today: string;
  private readonly credentialCache = new Map<string, CredentialFact[] | null>();
  private readonly seenIds = new Set<string>();
  private readonly seenContent = new Map<string, string>();

  constructor(
    private readonly db: Db,
    private readonly options: SqlContextOptions,
  ) {
    this.today = utcDay(options.now);
  }

  patientId(claim: Pick<ClaimInput, 'facility' | 'mrn'>): number | null {
    return statements(this.db).patient.get(claim.facility, claim.mrn)?.id ?? null;
  }

  consent(claim: ClaimInput): ConsentAnswer {
    const patientId = this.patientId(claim);
    if (patientId === null) {
      return { decision: 'deny', reason: 'Denied: the patient is not on file at this workstation, so no consent is on file.', details: [] };
    }
    // Disclosure happens at submission, so the consent must be in force now (not merely on the service date).
    const d = decide(this.db, { grantee: claim.payerId, patientId, purpose: 'HPAYMT', category: 'general', at: this.options.now });
    return { decision: d.decision, reason: d.reason, details: d.decidedBy.map((c) => `consent ${c.externalId ?? `#${c.consentId}`}: ${c.why}`) };
  }

  credentials(npi: string): CredentialFact[] | null {
    if (this.credentialCache.has(npi)) return this.credentialCache.get(npi)!;
    const provider = providerByNpi(this.db, npi);
    const facts = provider
      ? credentialsOfProvider(this.db, provider.id).map((c) => ({
          label: `${CREDENTIAL_TYPE_LABELS[c.type]} ${c.jurisdiction} ${c.number}`,
          verdict: c.verdict,
          verified: c.verdict === 'verified' || (c.verdict !== null && STILL_VERIFIED.has(c.verdict) && c.last_verified_at !== null),
          validFrom: c.valid_from,
          validUntil: c.valid_until,
        }))
      : null;
    this.credentialCache.set(npi, facts);
    return facts;
  }

  claimIdTaken(claimId: string): boolean {
    return this.seenIds.has(claimId) || statements(this.db).claimId.get(claimId) !== undefined;
  }

  contentTakenBy(contentHash: string): string | null {
    return this.seenContent.get(contentHash) ?? statements(this.db).passedContent.get(contentHash)?.claim_id ?? null;
  }

  /** Records a checked claim for the duplicate checks of later rows (dry runs only; stored claims are in SQL). */
  remember(claim: CheckableClaim, verdict: ClaimVerdict): void {
    if (!this.options.rememberSeen) return;
    this.seenIds.add(claim.claimId);
    if (verdict.verdict === 'pass') this.seenContent.set(claim.contentHash, claim.claimId);
  }
}
