// The `custodian credentials …` and `custodian import providers` commands, given started services by the CLI
// shell (main/cli/index.ts), which parses arguments and signs the caller in. Output text for people, or --json.
import fs from 'node:fs';
import {
  CREDENTIAL_STATUS_CHANGES,
  checkStateLabel,
  issuerStatusSignature,
  verdictErrorCode,
  type CredentialStatusChange,
  type IssuerStatusSignature,
  type RosterRunDetail,
  type VerificationResult,
} from '../api/credentials';
import { AppError } from '../api/errors';
import type { JobProgress } from '../api/events';
import { typedCall } from '../runtime/call';
import type { CallerContext, Dispatch } from '../runtime/dispatcher';
import type { Db } from '../db/connection';
import type { ChainRuntime } from '../runtime/chain-runtime';
import type { EventBus } from '../runtime/event-bus';
import type { JobRunner } from '../workers/job-runner';
import { toCredentialDocument } from './document';
import { credentialDomain, type CredentialDomain } from './eip712';
import { issueCredential, loadIssuerKey } from './issuer';
import { lastKnownRegistry } from './settings';
import { signStatus, statusDomain, statusNonce, STATUS_SIGNATURE_TTL_SECONDS } from './status-signature';
import { issuerStatusSignatureFor } from './status-change';
import { credentialById } from './store';

/** What these commands use of the started services (the CLI passes its Services): typed here, so the domain never imports the composition root. */
type CommandServices = { db: Db; chain: Pick<ChainRuntime, 'connection'>; dispatch: Dispatch; events: EventBus; jobs: JobRunner };

export interface Output {
  out(text: string): void;
  err(text: string): void;
}

export function formatVerification(r: VerificationResult): string {
  return [
    `Verdict:    ${checkStateLabel(r)}`,
    `Reason:     ${r.reason}`,
    `Credential: ${r.credentialHash}${r.credentialId !== null ? ` (directory id ${r.credentialId})` : ' (not in the directory)'}`,
    `Checked at: ${r.checkedAt}`,
    `Registry:   ${r.chain ? `${r.chain.registry} on chain ${r.chain.chainId}, block ${r.chain.blockNumber}` : 'not reached'}`,
  ].join('\n');
}

/** The domain to sign for: --chain-id and --registry when both are given, else the data folder's connected chain. */
export function domainFromServices(services: CommandServices): CredentialDomain {
  const conn = services.chain.connection;
  const registry = conn?.endpoint.contracts.CredentialRegistry;
  if (conn && registry) return credentialDomain(conn.endpoint.chainId, registry);
  const known = lastKnownRegistry(services.db);
  if (known) return known;
  throw new AppError('CHAIN_UNAVAILABLE', 'The chain is not reachable and no registry is known: pass --chain-id and --registry to sign for a registry.');
}

export interface IssueArgs {
  issuerKey: string;
  npi?: string | undefined;
  type?: string | undefined;
  jurisdiction?: string | undefined;
  number?: string | undefined;
  validFrom?: string | undefined;
  validUntil?: string | undefined;
  out?: string | undefined;
}

/** Signs one credential; writes the document to --out (never over an existing file) or stdout. */
export async function issueCommand(args: IssueArgs, domain: CredentialDomain, io: Output): Promise<number> {
  const signer = await loadIssuerKey(args.issuerKey);
  const signed = await issueCredential(signer, domain, {
    npi: args.npi,
    credentialType: args.type,
    jurisdiction: args.jurisdiction,
    number: args.number,
    validFrom: args.validFrom,
    validUntil: args.validUntil,
  });
  const json = `${JSON.stringify(toCredentialDocument(signed), null, 2)}\n`;
  if (args.out) fs.writeFileSync(args.out, json, { flag: 'wx' });
  else io.out(json);
  io.err(`Signed ${signed.fields.credentialType} ${signed.fields.jurisdiction} ${signed.fields.number} for NPI ${signed.fields.npi} as issuer ${signed.fields.issuer} (chain ${domain.chainId}, registry ${domain.verifyingContract})${args.out ? `: ${args.out}` : ''}\n`);
  return 0;
}

/** Verifies a credential document through the API; exit 0 when verified, 3 with the verdict's code otherwise. */
export async function verifyFileCommand(services: CommandServices, caller: CallerContext, file: string, json: boolean, io: Output): Promise<number> {
  let document: string;
  try {
    document = fs.readFileSync(file, 'utf8');
  } catch (err) {
    throw new AppError('CREDENTIAL_MALFORMED', `${file} cannot be read (${(err as NodeJS.ErrnoException).code ?? 'error'}).`);
  }
  // Under the chain runtime's on-demand limit (the console's): a node that stops answering mid-call is CHAIN_TIMEOUT,
  // exit 1, with what could not be done and what to do; the CLI never waits on it.
  const result = await typedCall(services.dispatch, caller)('credentials.check', { document });
  io.out(json ? `${JSON.stringify(result, null, 2)}\n` : `${formatVerification(result)}\n`);
  if (result.verdict === 'verified') return 0;
  io.err(`custodian: [${verdictErrorCode(result.verdict)}] ${result.reason}\n`);
  if (result.cached) {
    // The chain was not reachable when this command started: the answer rests on the record, never on the chain.
    const basis = result.cached.lastVerifiedAt ? `its last verification on record (${result.cached.lastVerifiedAt}, ${result.cached.ageSeconds ?? 0} s ago)` : 'no verification on record (never verified)';
    io.err(`custodian: the chain did not answer, so this rests on ${basis}, not on the registry. Check that the node runs, then run this again once \`custodian status\` shows the chain connected.\n`);
  }
  return 3;
}

/** Suspends, revokes or reinstates a stored credential through the API (outbox event, re-judged at once). */
/** How `set-status` gets the issuer's word: signed here with the issuer's key, or a file from `sign-status`. */
export type StatusAuthority = { issuerKey: string } | { signatureFile: string };

export async function setStatusCommand(services: CommandServices, caller: CallerContext, credentialId: number, status: string, reason: string, authority: StatusAuthority | null, json: boolean, io: Output): Promise<number> {
  if (!(CREDENTIAL_STATUS_CHANGES as readonly string[]).includes(status)) throw new AppError('VALIDATION_FAILED', `STATUS must be one of ${CREDENTIAL_STATUS_CHANGES.join(', ')}, not "${status}".`);
  let issuerSignature: IssuerStatusSignature | undefined;
  if (authority && 'issuerKey' in authority) {
    const row = credentialById(services.db, credentialId);
    if (!row) throw new AppError('CREDENTIAL_NOT_FOUND', `There is no credential with id ${credentialId}.`);
    issuerSignature = await issuerStatusSignatureFor(await loadIssuerKey(authority.issuerKey), row, status as CredentialStatusChange, new Date());
  } else if (authority) {
    issuerSignature = readStatusSignature(authority.signatureFile);
  }
  const r = await typedCall(services.dispatch, caller)('credentials.setStatus', { credentialId, status, reason, ...(issuerSignature ? { issuerSignature } : {}) });
  io.out(json ? `${JSON.stringify(r, null, 2)}\n` : `Credential ${credentialId}: ${status}, signed by its issuer, queued for the chain (outbox ${r.outboxId}); now ${r.credential.check.label}: ${r.credential.check.reason ?? ''}\n`);
  return 0;
}

function readStatusSignature(file: string): IssuerStatusSignature {
  let parsed: unknown;
  try {
    parsed = JSON.parse(fs.readFileSync(file, 'utf8'));
  } catch (err) {
    throw new AppError('CREDENTIAL_STATUS_UNSIGNED', `${file} is not a readable JSON signed status (${(err as NodeJS.ErrnoException).code ?? 'invalid JSON'}).`);
  }
  const { expiresAt, nonce, deadline, signature } = (parsed ?? {}) as Record<string, unknown>;
  const result = issuerStatusSignature.safeParse({ expiresAt, nonce, deadline, signature });
  if (!result.success) throw new AppError('CREDENTIAL_STATUS_UNSIGNED', `${file}: ${result.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ')}`);
  return result.data;
}

export interface SignStatusArgs {
  issuerKey: string;
  credentialHash: string | undefined;
  status: string | undefined;
  expiresAt: string | undefined;
  out: string | undefined;
}

/**
 * The issuer's offline tool: signs a status for a credential hash in one registry's domain, as JSON that any
 * workstation submits with `credentials set-status ID STATUS REASON --signature FILE`.
 */
export async function signStatusCommand(args: SignStatusArgs, chainId: number, registry: string, io: Output, now = new Date()): Promise<number> {
  if (!args.credentialHash || !/^0x[0-9a-fA-F]{64}$/.test(args.credentialHash)) throw new AppError('VALIDATION_FAILED', 'sign-status needs --credential-hash (0x + 64 hex digits).');
  if (!args.status || !(CREDENTIAL_STATUS_CHANGES as readonly string[]).includes(args.status)) throw new AppError('VALIDATION_FAILED', `sign-status needs --status ${CREDENTIAL_STATUS_CHANGES.join('|')}.`);
  if (args.expiresAt === undefined || !/^\d+$/.test(args.expiresAt)) throw new AppError('VALIDATION_FAILED', 'sign-status needs --expires-at (unix seconds; 0 for none).');
  const issuer = await loadIssuerKey(args.issuerKey);
  const signed = await signStatus(issuer, statusDomain(chainId, registry), {
    credentialHash: args.credentialHash.toLowerCase(),
    status: args.status as CredentialStatusChange,
    expiresAt: Number(args.expiresAt),
    nonce: statusNonce(now),
    deadline: Math.floor(now.getTime() / 1000) + STATUS_SIGNATURE_TTL_SECONDS,
  });
  const json = `${JSON.stringify(signed, null, 2)}\n`;
  if (args.out) fs.writeFileSync(args.out, json, { flag: 'wx' });
  else io.out(json);
  io.err(`Signed "${signed.status}" for ${signed.credentialHash.slice(0, 10)}… as issuer ${signed.issuer} (chain ${chainId}, registry ${registry}), valid until ${new Date(signed.deadline * 1000).toISOString()}${args.out ? `: ${args.out}` : ''}\n`);
  return 0;
}

export async function issuerGovernanceCommand(
  services: CommandServices,
  caller: CallerContext,
  action: 'register' | 'revoke',
  address: string,
  name: string | undefined,
  io: Output,
): Promise<number> {
  // The dispatcher checks the IT-admin role (sync.configure) and audits the change with its transaction.
  const call = typedCall(services.dispatch, caller);
  const refusal = { refusal: 'Issuer governance needs the IT-admin role (sync.configure)' };
  if (action === 'register') {
    const r = await call('credentials.registerIssuer', { address, name }, refusal);
    io.out(`Registered issuer ${address} (${name}) in ${r.registry}: tx ${r.txHash}, block ${r.blockNumber}\n`);
  } else {
    const r = await call('credentials.revokeIssuer', { address }, refusal);
    io.out(`Removed issuer ${address} from ${r.registry}: tx ${r.txHash}, block ${r.blockNumber}\n`);
  }
  return 0;
}

export function formatRosterSummary(r: RosterRunDetail): string {
  const lines = [
    `${r.dryRun ? 'Roster dry run (nothing stored)' : 'Roster import'} ${r.state}: ${r.rowsRead} row(s) read`,
    `  providers added ${r.providersAdded}, updated ${r.providersUpdated}; credentials added ${r.credentialsAdded}`,
    `  duplicates ${r.duplicate}, rejected ${r.rejected}${r.rejected ? ` (rejects: ${r.rejectsPath})` : ''}`,
  ];
  if (r.ignoredColumns.length) lines.push(`  ignored columns: ${r.ignoredColumns.join(', ')}`);
  for (const x of r.rejects) lines.push(`  row ${x.row} rejected: ${x.problems.map((p) => `${p.field}: ${p.reason}`).join('; ')}`);
  if (r.rejectsTruncated) lines.push(`  (more rejected rows in ${r.rejectsPath})`);
  return lines.join('\n');
}

/** Starts the roster import job (or dry run) through the API and waits for it, with progress on stderr. */
export async function importProvidersCommand(services: CommandServices, caller: CallerContext, uploadId: string, json: boolean, io: Output, dryRun = false, format?: string): Promise<number> {
  if (format !== undefined && format !== 'csv' && format !== 'fhir') throw new AppError('VALIDATION_FAILED', `--format must be csv or fhir, got ${format}`);
  const started = await typedCall(services.dispatch, caller)('credentials.import', { uploadId, dryRun, ...(format ? { format } : {}) });
  return followRosterJob(services, caller, { runId: started.runId, jobId: started.job.id }, json, io);
}

/** Waits for a roster job with progress on stderr, then prints the run as the runs table holds it (not the job's result). */
export async function followRosterJob(services: CommandServices, caller: CallerContext, started: { runId: number; jobId: string }, json: boolean, io: Output): Promise<number> {
  const unsubscribe = services.events.subscribe((m) => {
    if (m.event !== 'job.progress') return;
    const p: JobProgress = m.payload;
    if (p.jobId === started.jobId && p.state === 'running') io.err(`\r${p.done}${p.total !== null ? ` / ${p.total}` : ''} rows, ${p.errors} rejected, ${Math.round(p.rate)} rows/s`);
  });
  try {
    const job = await services.jobs.waitFor(started.jobId);
    io.err('\n');
    if (job.state !== 'succeeded') {
      throw new AppError(job.error?.code ?? 'IMPORT_FAILED', `Roster import run ${started.runId} ${job.state}: ${job.error?.message ?? 'no detail'}`, { runId: started.runId });
    }
    const run = await typedCall(services.dispatch, caller)('credentials.rosterRuns.get', { runId: started.runId, limit: 10 });
    io.out(json ? `${JSON.stringify(run, null, 2)}\n` : `${formatRosterSummary(run)}\n`);
    return 0;
  } finally {
    unsubscribe();
  }
}
