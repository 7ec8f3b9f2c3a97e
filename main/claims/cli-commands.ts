// `custodian claims check FILE` (dry: verdicts per row, nothing stored), `custodian import claims FILE` (a job with
// progress), `custodian payer accept|deny …` (the payer's side of ClaimsLedger, for tests and demos) and `payer
// register` (the data folder's address for a payer id, through the dispatcher, then the ledger admin's registration).
import fs from 'node:fs';
import { AppError } from '../api/errors';
import type { ClaimFileCheckRow } from '../api/claims';
import { createProvider } from '../chain/provider';
import { ANVIL_DEV_KEYS } from '../chain/devnet-keys';
import { typedCall, type TypedCall } from '../runtime/call';
import type { CallerContext, Dispatch } from '../runtime/dispatcher';
import type { Db } from '../db/connection';
import type { ChainRuntime } from '../runtime/chain-runtime';
import type { CustodianConfig } from '../runtime/config';
import type { EventBus } from '../runtime/event-bus';
import type { JobRunner } from '../workers/job-runner';
import { registerPayer, payerDecide } from './payer';
import { claimsWaitingForPayer } from './payers';

/** What these commands use of the started services (the CLI passes its Services): typed here, so the domain never imports the composition root. */
type CommandServices = { dataDir: string; db: Db; config: CustodianConfig; chain: Pick<ChainRuntime, 'connection' | 'devnetKeys'>; dispatch: Dispatch; events: EventBus; jobs: JobRunner };

export interface Output {
  out(text: string): void;
  err(text: string): void;
}

/**
 * Anvil's public dev account #1: the default payer key for `payer accept|deny` on the embedded devnet only (never
 * on a real network). It answers for claims only once governance registered it (`payer register`): no role by default.
 */
export const DEVNET_PAYER_KEY = ANVIL_DEV_KEYS[1];

export function formatOutcome(o: ClaimFileCheckRow): string {
  if (o.kind === 'rejected') return `row ${o.row}\tREJECTED\t${o.reason}`;
  if (o.kind === 'duplicate') return `row ${o.row}\tDUPLICATE\t${o.claimId} already stored with the same content`;
  const head = `row ${o.row}\t${o.verdict.toUpperCase()}\t${o.claimId}\t${o.contentHash}`;
  return o.reasons.length ? `${head}\n${o.reasons.map((r) => `\t${r.code}: ${r.message}`).join('\n')}` : head;
}

/**
 * The dry check (`claims.checkFile`, permission claims.check like the form, audited with the counts): one line (or
 * JSON object) per row to stdout or --out, written only once the dispatcher answered.
 */
export async function claimsCheckCommand(services: CommandServices, caller: CallerContext, uploadId: string, options: { json: boolean; out?: string | undefined }, io: Output): Promise<number> {
  const { counts, rows } = await typedCall(services.dispatch, caller)('claims.checkFile', { uploadId }, { refusal: 'Checking claims needs the claims.check permission' });
  const fd = options.out ? fs.openSync(options.out, 'wx', 0o600) : null;
  const write = (text: string) => (fd === null ? io.out(text) : fs.writeSync(fd, text));
  try {
    for (const o of rows) write(`${options.json ? JSON.stringify(o.kind === 'checked' ? { row: o.row, claimId: o.claimId, verdict: o.verdict, reasons: o.reasons, contentHash: o.contentHash } : o) : formatOutcome(o)}\n`);
    io.err(`${counts.rowsRead} rows: ${counts.passed} pass, ${counts.failed} fail, ${counts.rejected} rejected (nothing stored)${options.out ? `; verdicts in ${options.out}` : ''}\n`);
    return 0;
  } finally {
    if (fd !== null) fs.closeSync(fd);
  }
}

/** The import: an 'import.claims' job through the dispatcher (imports.run), progress on stderr, the run summary at the end. */
export async function importClaimsCommand(services: CommandServices, caller: CallerContext, uploadId: string, json: boolean, io: Output, dryRun = false, format?: string): Promise<number> {
  if (format !== undefined && format !== 'csv' && format !== 'fhir') throw new AppError('VALIDATION_FAILED', `--format must be csv or fhir, got ${format}`);
  const started = await typedCall(services.dispatch, caller)('claims.import', { uploadId, dryRun, ...(format ? { format } : {}) });
  return followClaimJob(services, caller, started, json, io);
}

/** Waits for a claims job with progress on stderr, then prints its run. */
export async function followClaimJob(services: CommandServices, caller: CallerContext, started: { runId: number; jobId: string }, json: boolean, io: Output): Promise<number> {
  const call = typedCall(services.dispatch, caller);
  let last = 0;
  const unsubscribe = services.events.subscribe((m) => {
    if (m.event !== 'job.progress' || m.payload.jobId !== started.jobId || m.payload.state !== 'running' || Date.now() - last < 1000) return;
    last = Date.now();
    io.err(`${m.payload.done.toLocaleString('en-US')} rows, ${Math.round(m.payload.rate).toLocaleString('en-US')} rows/s, ${m.payload.errors} rejected\n`);
  });
  try {
    const job = await services.jobs.waitFor(started.jobId);
    const runs = await call('claims.importRuns', { limit: 50 });
    const run = runs.find((r) => r.id === started.runId);
    if (job.state !== 'succeeded' || !run) {
      throw new AppError(job.error?.code ?? 'IMPORT_FAILED', `Claim import run ${started.runId} ${job.state}: ${job.error?.message ?? 'no detail'}`, { runId: started.runId });
    }
    io.out(
      json
        ? `${JSON.stringify(run, null, 2)}\n`
        : run.dryRun
          ? `Dry run of ${run.fileName} (nothing stored): ${run.rowsRead} rows, ${run.passed} would pass, ${run.failed} would fail, ${run.duplicate} unchanged, ${run.rejected} rejected${run.rejected ? ` (rows and reasons in ${run.rejectsPath})` : ''}\n`
          : `Imported ${run.fileName}: ${run.rowsRead} rows, ${run.passed} pass (queued for the chain), ${run.failed} fail, ${run.duplicate} unchanged, ${run.rejected} rejected${run.rejected ? ` (rows and reasons in ${run.rejectsPath})` : ''}\n`,
    );
    // A passing claim is addressed on chain to its payer's address; without one it waits (payers.ts).
    const waiting = run.dryRun ? 0 : claimsWaitingForPayer(services.db);
    if (waiting > 0 && !json) io.err(`${waiting} passing claim(s) wait for their payer's address before they can go to the chain: custodian payer register PAYER_ID ADDRESS\n`);
    return 0;
  } finally {
    unsubscribe();
  }
}

export interface PayerArgs {
  rpc?: string | undefined;
  chainId?: string | undefined;
  ledger?: string | undefined;
  keyFile?: string | undefined;
  reason?: string | undefined;
}

function readKey(file: string): string {
  const key = fs.readFileSync(file, 'utf8').trim();
  if (!/^(0x)?[0-9a-fA-F]{64}$/.test(key)) throw new AppError('VALIDATION_FAILED', `${file} does not hold a hex private key.`);
  return key.startsWith('0x') ? key : `0x${key}`;
}

/** The chain a payer command talks to: --rpc (with --ledger, --chain-id) alone, or this data folder's chain. */
function ledgerEndpoint(args: PayerArgs, services: CommandServices | null): { rpc: string; chainId: number; ledger: string; embedded: boolean } {
  let rpc = args.rpc;
  let chainId = args.chainId ? Number(args.chainId) : undefined;
  let ledger = args.ledger;
  const embedded = !rpc && services?.config.chain.mode === 'embedded';
  if (!rpc) {
    const conn = services?.chain.connection;
    if (!conn) throw new AppError('CHAIN_UNAVAILABLE', 'The chain is not connected: pass --rpc URL --ledger ADDRESS, or start the data folder\'s chain.');
    rpc = conn.endpoint.rpcUrl;
    chainId = conn.endpoint.chainId;
    ledger ??= conn.endpoint.contracts.ClaimsLedger;
  }
  if (!ledger) throw new AppError('CLAIMS_LEDGER_NOT_CONFIGURED', 'No ClaimsLedger address: pass --ledger ADDRESS or configure chain.contracts.ClaimsLedger.');
  return { rpc, chainId: chainId ?? 31337, ledger, embedded };
}

/** --key-file, CUSTODIAN_PAYER_KEY, or on the embedded devnet `embeddedKey()`; refused on another chain without one. */
function signingKey(args: PayerArgs, embedded: boolean, embeddedKey: () => string): string {
  const key = args.keyFile ? readKey(args.keyFile) : (process.env.CUSTODIAN_PAYER_KEY ?? (embedded ? embeddedKey() : undefined));
  if (!key) throw new AppError('VALIDATION_FAILED', 'A key is needed on a non-devnet chain: --key-file FILE or CUSTODIAN_PAYER_KEY.');
  return key;
}

/**
 * `custodian payer accept|deny CLAIM_HASH SALT --reason CODE`: the payer's answer on ClaimsLedger. With --rpc (and
 * --ledger, --chain-id) it talks to that node; otherwise to this data folder's chain (`services`), where the
 * embedded devnet's account #1 is the default payer. It changes nothing in a data folder: no staff action.
 */
export async function payerCommand(sub: string | undefined, arg: string | undefined, args: PayerArgs, services: CommandServices | null, io: Output, arg2?: string): Promise<number> {
  if (sub !== 'accept' && sub !== 'deny') {
    io.err('Unknown payer command (expected: payer accept|deny CLAIM_HASH SALT [--reason CODE], payer register PAYER_ID ADDRESS)\n');
    return 2;
  }
  const endpoint = ledgerEndpoint(args, services);
  const key = signingKey(args, endpoint.embedded, () => DEVNET_PAYER_KEY);
  const provider = createProvider(endpoint.rpc, endpoint.chainId);
  try {
    if (!arg || !arg2) throw new AppError('VALIDATION_FAILED', `payer ${sub} needs CLAIM_HASH and SALT (the claim's salt, handed over by the facility).`);
    const r = await payerDecide({ provider, ledger: endpoint.ledger }, key, { claimHash: arg, salt: arg2 }, sub === 'accept' ? 'accepted' : 'denied', args.reason);
    io.out(`Claim ${arg} ${sub === 'accept' ? 'accepted' : 'denied'}${args.reason ? ` (${args.reason.toUpperCase()})` : ''}: tx ${r.txHash}, block ${r.blockNumber}\n`);
    return 0;
  } finally {
    provider.destroy();
  }
}

/** A signed-in session of the data folder (the CLI's SignedIn): its services and the typed call bound to the caller. */
export interface PayerSession {
  services: CommandServices;
  call: TypedCall;
}

/**
 * `custodian payer register PAYER_ID ADDRESS`. On a data folder (`session`): first the channel claims.payers.register
 * as the signed-in staff member (the dispatcher checks claims.configure, validates and audits; a refused caller
 * changes neither the folder nor the chain), then the ledger admin registers ADDRESS on ClaimsLedger (the embedded
 * devnet's governance key, --key-file or CUSTODIAN_PAYER_KEY). With --rpc and no session: only the chain side.
 */
export async function payerRegisterCommand(payerId: string | undefined, address: string | undefined, args: PayerArgs, session: PayerSession | null, io: Output): Promise<number> {
  if (!payerId?.trim() || !address) throw new AppError('VALIDATION_FAILED', 'payer register needs PAYER_ID and ADDRESS.');
  let addressed: { payerId: string; address: string; queued: number } | null = null;
  if (session) {
    // This data folder addresses PAYER_ID's claims to that account (the chain never learns the id).
    addressed = await session.call('claims.payers.register', { payerId, address }, { refusal: "Registering a payer's address needs the claims.configure permission" });
  }
  const services = session?.services ?? null;
  const endpoint = ledgerEndpoint(args, services);
  // Governance: on the embedded devnet, the data folder's own governance key.
  const key = signingKey(args, endpoint.embedded, () => services!.chain.devnetKeys().governance.privateKey);
  const provider = createProvider(endpoint.rpc, endpoint.chainId);
  try {
    const r = await registerPayer({ provider, ledger: endpoint.ledger }, key, address);
    io.out(`Registered ${r.address} as a payer account on ${endpoint.ledger}: tx ${r.txHash}\n`);
  } finally {
    provider.destroy();
  }
  if (addressed) io.out(`Claims for ${addressed.payerId} go to ${addressed.address}${addressed.queued ? `; ${addressed.queued} waiting claim(s) queued` : ''}.\n`);
  return 0;
}
