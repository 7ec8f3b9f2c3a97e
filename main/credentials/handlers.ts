// Handlers of the credentials channels (main/api/credentials.ts). The dispatcher has checked permission and input
// and writes one audit entry per call; handlers add the facts (credential hash, verdict), never keys or PHI.
import type { HandlersFor } from '../api/channel';
import { checkStateLabel, verdictErrorCode, type credentialChannels, type VerificationResult } from '../api/credentials';
import { AppError } from '../api/errors';
import type { Db } from '../db/connection';
import type { RequestContext } from '../runtime/dispatcher';
import { parseCredentialDocument } from './document';
import { credentialDomain } from './eip712';
import { credentialView, expiringCredentials, listProviders, providerDetail } from './queries';
import { createRosterRun } from './roster-import';
import { resolveFormat } from '../imports/preview';
import { setRunJob } from '../imports/run-table';
import { listRosterRuns, rosterRunDetail } from './roster-runs';
import { VERIFY_ALL_KIND, verifyAllJobParams, verifyAllRunning, type ChainEndpointSource, type JobStarter } from './scheduler';
import { credentialSettings, lastKnownRegistry, SETTING_KEYS, writeSetting } from './settings';
import { changeCredentialStatus } from './status-change';
import { checkableOf, credentialByHash, credentialById, localStatusOf, type CredentialRow } from './store';
import { offChainFinding, type Finding } from './verdict';
import { judgeCredentials, judgeStored, onDemand, openRegistrySource, recordFindings, type ChainConnectionSource, type RegistrySource } from './verify';

export interface CredentialDeps {
  db: Db;
  chain: ChainConnectionSource & ChainEndpointSource;
  jobs: JobStarter;
  /** The file behind an upload id for its owner (UPLOAD_NOT_FOUND otherwise): imports never take a path. */
  incoming: (uploadId: string, owner: string) => { path: string };
  now?: () => Date;
}

function resultOf(row: CredentialRow | null, hash: string, finding: Finding, checkedAt: string, source: RegistrySource, offline: boolean): VerificationResult {
  const lastVerifiedAt = finding.verdict === 'verified' ? checkedAt : (row?.last_verified_at ?? null);
  const state = { verdict: finding.verdict, reason: finding.reason, checkedAt, lastVerifiedAt };
  // Offline, the answer rests on the last verification on record: say so, with its age.
  const cachedAge = offline && lastVerifiedAt ? Math.max(0, Math.floor((Date.parse(checkedAt) - Date.parse(lastVerifiedAt)) / 1000)) : null;
  return {
    cached: offline ? { lastVerifiedAt, ageSeconds: cachedAge } : null,
    credentialId: row?.id ?? null,
    credentialHash: hash,
    ...state,
    label: checkStateLabel(state),
    chain: 'reader' in source && !offline ? { chainId: source.reader.chainId, registry: source.reader.registry, blockNumber: source.reader.blockNumber } : null,
  };
}

export function createCredentialHandlers(deps: CredentialDeps): HandlersFor<typeof credentialChannels, RequestContext> {
  const { db, chain, jobs } = deps;
  const now = () => deps.now?.() ?? new Date();

  const verifyOne = async (row: CredentialRow, ctx: RequestContext): Promise<VerificationResult> => {
    const at = now();
    // Both chain steps under the on-demand limit: a paused node is CHAIN_TIMEOUT after seconds, not a spinner, and
    // nothing is recorded from an answer that came too late.
    const source = await onDemand(chain, 'reach the credential registry', openRegistrySource(db, chain));
    const { findings, offlineReason } = await onDemand(chain, 'verify a credential', judgeStored(db, [row], source, at, { single: true }));
    const finding = findings[0]!;
    const blockNumber = 'reader' in source && offlineReason === null ? source.reader.blockNumber : null;
    recordFindings(db, [row], findings, { now: at, check: { trigger: ctx.transport === 'cli' ? 'cli' : 'on-demand', actor: ctx.principal.id }, blockNumber });
    ctx.audit({ subject: row.credential_hash, details: { credentialId: row.id, npi: row.npi, verdict: finding.verdict, ...(offlineReason ? { offline: true } : {}) } });
    return resultOf(row, row.credential_hash, finding, at.toISOString(), source, offlineReason !== null);
  };

  const mustFind = (id: number): CredentialRow => {
    const row = credentialById(db, id);
    if (!row) throw new AppError('CREDENTIAL_NOT_FOUND', `There is no credential with id ${id}.`);
    return row;
  };

  /**
   * The registry refuses 'active' and 'suspended' for an issuer it does not know (only a revocation is always
   * accepted), and a credential failing its signature must not be published: refuse those here, not in a batch.
   */
  const assertPublishable = async (row: CredentialRow, status: 'active' | 'suspended'): Promise<void> => {
    const off = offChainFinding(checkableOf(row), lastKnownRegistry(db), now());
    if (off && (off.verdict === 'bad_signature' || off.verdict === 'invalid_npi')) {
      throw new AppError(verdictErrorCode(off.verdict), `Cannot mark this credential ${status}: ${off.reason}`);
    }
    const source = await onDemand(chain, 'reach the credential registry', openRegistrySource(db, chain));
    if ('reader' in source && !(await onDemand(chain, 'read the issuer registry', source.reader.isIssuer(row.issuer)).catch((err: unknown) => {
      if (err instanceof AppError && err.code === 'CHAIN_TIMEOUT') throw err;
      return true;
    }))) {
      throw new AppError('CREDENTIAL_UNKNOWN_ISSUER', `Cannot mark this credential ${status}: its issuer ${row.issuer} is not registered, and the registry accepts only a revocation for it.`);
    }
  };

  return {
    'providers.list': (input) => listProviders(db, input, now()),

    'providers.get': (input, ctx) => {
      const detail = providerDetail(db, input, now(), credentialSettings(db).expiringDays);
      ctx.audit({ subject: detail.provider.npi, details: { providerId: detail.provider.id } });
      return detail;
    },

    'credentials.verify': (input, ctx) => verifyOne(mustFind(input.credentialId), ctx),

    'credentials.check': async (input, ctx) => {
      const signed = parseCredentialDocument(input.document);
      const stored = credentialByHash(db, signed.hash) ?? null;
      const at = now();
      const source = await onDemand(chain, 'reach the credential registry', openRegistrySource(db, chain));
      const item = { c: { fields: signed.fields, domain: signed.domain, signature: signed.signature, hash: signed.hash }, lastVerifiedAt: stored?.last_verified_at ?? null, local: stored ? localStatusOf(db, stored.id) : null };
      const { findings, offlineReason } = await onDemand(chain, 'check a credential document', judgeCredentials([item], source, at, { single: true }));
      const finding = findings[0]!;
      ctx.audit({ subject: signed.hash, details: { npi: signed.fields.npi, verdict: finding.verdict, stored: stored !== null, ...(offlineReason ? { offline: true } : {}) } });
      return resultOf(stored, signed.hash, finding, at.toISOString(), source, offlineReason !== null);
    },

    'credentials.verifyAll': (input, ctx) => {
      if (verifyAllRunning(db)) throw new AppError('CONFLICT', 'A bulk verification is already running; wait for it or cancel it first.');
      const dueBefore = input.onlyDue ? new Date(now().getTime() - credentialSettings(db).recheckMinutes * 60_000).toISOString() : null;
      const actor = { id: ctx.principal.id, name: ctx.principal.name, role: ctx.principal.role };
      const job = jobs.start(VERIFY_ALL_KIND, verifyAllJobParams(db, chain, 'bulk', actor, dueBefore));
      ctx.audit({ subject: job.id, details: { onlyDue: input.onlyDue } });
      return job;
    },

    'credentials.expiring': (input) => expiringCredentials(db, input.days ?? credentialSettings(db).expiringDays, input.limit, now()),

    'credentials.import': (input, ctx) => {
      const file = deps.incoming(input.uploadId, ctx.principal.id).path;
      // CSV or FHIR R4 (Practitioner/PractitionerRole), told or detected as the consent import does.
      const run = createRosterRun(db, file, ctx.principal.id, input.dryRun, resolveFormat(file, input.format));
      const conn = chain.connection;
      const registry = conn?.endpoint.contracts.CredentialRegistry;
      const known = registry && conn ? credentialDomain(conn.endpoint.chainId, registry) : lastKnownRegistry(db);
      const job = jobs.start('import.providers', { runId: run.id, domain: known ? { chainId: known.chainId, registry: known.verifyingContract } : null });
      setRunJob(db, run.id, job.id);
      ctx.audit({ subject: run.file_name, details: { runId: run.id, jobId: job.id, fileSize: run.file_size, format: run.format, ...(input.dryRun ? { dryRun: true } : {}) } });
      return { runId: run.id, job };
    },

    'credentials.rosterRuns.list': ({ limit, before }) => listRosterRuns(db, limit, before ?? null),

    'credentials.rosterRuns.get': async ({ runId, limit }, ctx) => {
      const detail = await rosterRunDetail(db, runId, limit);
      ctx.audit({ subject: detail.fileName, details: { runId, rejected: detail.rejected } });
      return detail;
    },

    'credentials.settings': () => credentialSettings(db),

    'credentials.configure': (input, ctx) => {
      db.transaction(() => {
        for (const key of ['recheckMinutes', 'expiringDays', 'gateMaxAgeHours'] as const) {
          if (input[key] !== undefined) writeSetting(db, SETTING_KEYS[key], String(input[key]));
        }
      })();
      ctx.audit({ details: { ...input } });
      return credentialSettings(db);
    },

    'credentials.setStatus': async (input, ctx) => {
      if (input.status !== 'revoked') await assertPublishable(mustFind(input.credentialId), input.status);
      else await Promise.resolve(); // out of the dispatcher's transaction, so the commit below is durable on its own
      // Fail closed: the outbox event (what the sync engine sends to the registry), the local record and this call's
      // audit entry commit together; an entry that cannot be written leaves nothing to send.
      const { outboxId, row } = ctx.commit(() => {
        const changed = changeCredentialStatus(db, input.credentialId, input.status, input.reason, ctx.principal.name, now(), input.issuerSignature);
        ctx.audit({ subject: changed.row.credential_hash, details: { credentialId: changed.row.id, status: input.status, outboxId: changed.outboxId, issuerSigned: true } });
        return changed;
      });
      // Then re-judge at once so the cached verdict (and the consent gate) reflects the change before the chain does.
      await verifyOne(row, ctx);
      return { outboxId, credential: credentialView(db, mustFind(row.id), now(), credentialSettings(db).expiringDays) };
    },
  };
}
