// The pre-check's facts from SQLite: the access policy (main/access: the payer's consent for HPAYMT, and the
// rendering provider's credentials judged like the credential gate, maximum age included), and the duplicate indexes. One context serves one check or one import
// run; within a run it also remembers the claims it has seen, so a dry run finds duplicates inside the file.
import type { Statement } from 'better-sqlite3-multiple-ciphers';
import { claimConsent, claimProviderCredentials } from '../access/answers';
import { gateMaxAgeHours } from '../access/facts';
import type { Db } from '../db/connection';
import type { Pseudonymizer } from '../consents/pseudonym';
import { utcDay } from '../credentials/verdict';
import { claimContentHash, type ClaimInput, type ClaimVerdict } from './model';
import type { CheckableClaim, ConsentAnswer, CredentialFact, PrecheckContext } from './precheck';

export function checkableOf(input: ClaimInput, pseudonymizer: Pick<Pseudonymizer, 'pseudonym'>): CheckableClaim {
  return { ...input, contentHash: claimContentHash(input, pseudonymizer.pseudonym(input.facility, input.mrn)) };
}

/** Pseudonyms remembered for one bulk run: a file names the same patients many times, and an HMAC costs ~3 µs. */
export class CachedPseudonyms {
  private readonly cache = new Map<string, string>();
  constructor(private readonly inner: Pick<Pseudonymizer, 'pseudonym'>) {}
  pseudonym(facility: string, mrn: string): string {
    const key = `${facility}\u001f${mrn}`;
    let p = this.cache.get(key);
    if (p === undefined) {
      if (this.cache.size >= 200_000) this.cache.clear();
      p = this.inner.pseudonym(facility, mrn);
      this.cache.set(key, p);
    }
    return p;
  }
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
  /**
   * Bulk runs (import, dry check, benchmark): read every stored claim id and passing content hash into memory once,
   * and cache patient ids, so a row's duplicate checks cost no query. Checked rows are remembered as they go.
   */
  bulk?: boolean;
}

export class SqlPrecheckContext implements PrecheckContext {
  readonly today: string;
  private readonly credentialCache = new Map<string, CredentialFact[] | null>();
  private readonly seenIds = new Set<string>();
  private readonly seenContent = new Map<string, string>();
  private readonly patients = new Map<string, number | null>();
  /** Bulk: every claim id and passing content hash stored when the run began (plus the run's own rows). */
  private readonly loaded: boolean;
  /** The credential gate's maximum age, read once per context (one check, or one run). */
  private maxAgeHours: number | null = null;

  constructor(
    private readonly db: Db,
    private readonly options: SqlContextOptions,
  ) {
    this.today = utcDay(options.now);
    this.loaded = options.bulk === true;
    if (this.loaded) {
      for (const r of db.prepare(`SELECT claim_id FROM claims`).pluck().iterate() as IterableIterator<string>) this.seenIds.add(r);
      for (const r of db.prepare(`SELECT content_hash, claim_id FROM claims WHERE verdict = 'pass'`).iterate() as IterableIterator<{ content_hash: string; claim_id: string }>) {
        this.seenContent.set(r.content_hash, r.claim_id);
      }
    }
  }

  patientId(claim: Pick<ClaimInput, 'facility' | 'mrn'>): number | null {
    if (!this.loaded) return statements(this.db).patient.get(claim.facility, claim.mrn)?.id ?? null;
    const key = `${claim.facility}\u001f${claim.mrn}`;
    let id = this.patients.get(key);
    if (id === undefined) {
      if (this.patients.size >= 200_000) this.patients.clear();
      id = statements(this.db).patient.get(claim.facility, claim.mrn)?.id ?? null;
      this.patients.set(key, id);
    }
    return id;
  }

  consent(claim: ClaimInput): ConsentAnswer {
    const patientId = this.patientId(claim);
    if (patientId === null) {
      return { decision: 'deny', reason: 'Denied: the patient is not on file at this workstation, so no consent is on file.', details: [] };
    }
    // Disclosure happens at submission, so the consent must be in force now (not merely on the service date).
    const d = claimConsent(this.db, claim.payerId, patientId, this.options.now);
    return { decision: d.decision, reason: d.reason, details: d.decidedBy.map((c) => `consent ${c.externalId ?? `#${c.consentId}`}: ${c.why}`) };
  }

  credentials(npi: string): CredentialFact[] | null {
    if (this.credentialCache.has(npi)) return this.credentialCache.get(npi)!;
    this.maxAgeHours ??= gateMaxAgeHours(this.db);
    const facts = claimProviderCredentials(this.db, npi, this.options.now, this.maxAgeHours);
    this.credentialCache.set(npi, facts);
    return facts;
  }

  claimIdTaken(claimId: string): boolean {
    if (this.seenIds.has(claimId)) return true;
    return !this.loaded && statements(this.db).claimId.get(claimId) !== undefined;
  }

  contentTakenBy(contentHash: string): string | null {
    const seen = this.seenContent.get(contentHash);
    if (seen !== undefined || this.loaded) return seen ?? null;
    return statements(this.db).passedContent.get(contentHash)?.claim_id ?? null;
  }

  /** Records a checked claim for the duplicate checks of later rows (dry runs, and every bulk run). */
  remember(claim: CheckableClaim, verdict: ClaimVerdict): void {
    if (!this.options.rememberSeen && !this.loaded) return;
    this.seenIds.add(claim.claimId);
    if (verdict.verdict === 'pass') this.seenContent.set(claim.contentHash, claim.claimId);
  }
}
