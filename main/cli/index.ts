// The `custodian` command for IT admins and scripts: thin over the same services and API as the console.
// Every command goes through the dispatcher, so validation and permissions are the same as in the UI.
import fs from 'node:fs';
import path from 'node:path';
import { parseArgs } from 'node:util';
import type { AuditBatchSummary, AuditProofResult, AuditVerifyReport } from '../api/audit';
import { AppError } from '../api/errors';
import type { SystemStatus } from '../api/system';
import type { ConsentConflictSummary, SyncBatchSummary, SyncNowResult, SyncStatus } from '../api/sync';
import { parseProofBundle, checkProofBundle } from '../audit/proof';
import { formatBatches, formatProofCheck, formatVerifyReport } from '../audit/report-text';
import { createProvider } from '../chain/provider';
import { claimsCheckCommand, importClaimsCommand, payerCommand, resumeClaimsCommand } from '../claims/cli-commands';
import { credentialDomain } from '../credentials/eip712';
import { exportSecretCommand, fingerprintCommand, importSecretCommand } from '../consents/facility-secret-cli';
import { consentCheckProofCommand, consentProofCommand } from '../consents/proof-cli';
import { domainFromServices, importProvidersCommand, resumeProvidersCommand, issueCommand, issuerGovernanceCommand, setStatusCommand, signStatusCommand, verifyFileCommand, type Output } from '../credentials/cli-commands';
import { importConsentsCommand, listImportRunsCommand, resumeImportCommand } from '../imports/cli-command';
import { sharingCommand, SHARING_USAGE } from '../sharing/cli-commands';
import { assertOwnsDataDir, staffUnlockCommand } from '../staff/cli-unlock';
import { resolveDataDir } from '../runtime/config';
import { memorySession } from '../runtime/dispatcher';
import { createLogger } from '../runtime/log';
import { startServices, type Services } from '../runtime/services';
import { startConsoleServer } from '../serve/server';
import { dryRunPlan } from '../sync/dry-run';
import { formatBatches as formatSyncBatches, formatConflicts, formatCycle, formatDryRun, formatSyncStatus } from '../sync/report-text';
import { dbPassphraseFromEnvOrPrompt, passwordFromEnvOrPrompt, promptHidden, registerCliFile, signInCli } from './session';

const USAGE = `Usage: custodian <command> [options]

Commands:
  status                 Database, chain and outbox status (--json for machine output)
  serve                  Browser mode: serve the console on http://127.0.0.1 (--port N, default random)
  setup --user NAME --name "Full Name"
                         Create the first IT-admin account of a new data folder (same as the console's set-up)
  staff unlock USER      Clear an account's failed sign-ins (only as the OS user owning the data folder)
  audit verify [--quick] Check the audit log against its signed tree heads (database, heads file, chain)
  audit seal             Sign a tree head over the audit log now and queue it for AuditAnchor (alias: batch)
  audit proof ID [--out FILE]
                         Export the proof bundle of audit entry ID: its inclusion in a signed tree head and the
                         consistency of that head with the latest head anchored on chain
  audit check-proof FILE [--rpc URL]
                         Check a proof bundle with nothing but a JSON-RPC endpoint (inclusion, signature and
                         consistency offline; the anchor on chain)
  consent proof ID [--out FILE]
                         Export the proof bundle of consent ID's latest change on ConsentLedger: its terms and the
                         opening of that one change (never the facility secret); audited as a read of the consent
  consent check-proof FILE --rpc URL [--at-block N] [--ledger ADDR]
                         Check a consent proof bundle with nothing but a JSON-RPC endpoint: the change, its terms and
                         the ledger's state at the block (exit 0: this change holds there; 4: a later change replaced it)
  sync [--once] [--dry-run]
                         Send the outbox to the chain and pull other workstations' changes: keeps running until
                         Ctrl+C, or with --once until the queue is drained; --dry-run shows the batches only
  sync status            Connection, signer, queue depth by kind and recent batches (--json for machine output)
  credentials issue --issuer-key HEX|KEYSTORE --npi N --type license --jurisdiction J --number X
                    --valid-from YYYY-MM-DD --valid-until YYYY-MM-DD [--out FILE] [--chain-id N --registry ADDR]
                         Sign a credential as an issuer (set-up, demos, tests); a keystore's passphrase comes from
                         CUSTODIAN_ISSUER_PASSPHRASE. Signs for this data folder's registry unless both are given
  credentials verify FILE
                         Verify a signed credential document: exit 0 when verified, 3 with the verdict otherwise
  credentials set-status ID active|suspended|revoked REASON --issuer-key HEX|KEYSTORE | --signature FILE
                         Suspend, revoke or reinstate a directory credential with its ISSUER's signature (signed
                         here with the issuer's key, or a file from sign-status): queued for the chain (outbox)
  credentials sign-status --issuer-key HEX|KEYSTORE --credential-hash H --status S --expires-at N
                    --chain-id N --registry ADDR [--out FILE]
                         The issuer's offline tool: sign a status (EIP-712, nonce = now in ms, 30-day deadline)
  credentials register-issuer ADDRESS NAME  (IT admin: --user)
                         Register an issuer in CredentialRegistry (governance: the devnet key, or the keystore)
  credentials revoke-issuer ADDRESS
                         Remove an issuer from CredentialRegistry
  facility-secret export --out FILE
                         Wrap this folder's facility secret for another workstation of the facility (IT admin;
                         passphrase from CUSTODIAN_SECRET_PASSPHRASE or a hidden prompt, 12 characters or more)
  facility-secret import FILE
                         Install a facility secret exported on another workstation; refused when this folder already
                         has patients pseudonymised under a different secret (IT admin)
  facility-secret fingerprint
                         Print the secret's fingerprint (not the secret) to compare between workstations (IT admin)
  import providers FILE [--dry-run]
                         Import a roster CSV of providers and their signed credentials (a job, with progress);
                         --dry-run checks and resolves every row and stores nothing
  import consents FILE [--format csv|fhir] [--dry-run]
                         Import consents from CSV or FHIR R4 (NDJSON or Bundle) as a job, with progress; exit 0
                         when the import ran (rejected rows are in the rejects file), 1 on a fatal error
  import runs            The latest import runs (--json): state, counts, and which can be resumed
  import resume [consents|providers|claims] RUN
                         Continue an import that was interrupted (killed, shut down) or failed, from its last
                         committed chunk: nothing already committed is written twice (run ids are per kind;
                         consents when no kind is named)
${SHARING_USAGE}
  import claims FILE [--dry-run]
                         Pre-check and store a claims CSV as a job (idempotent by claim id); passing claims are
                         queued for ClaimsLedger; rejected rows go to a rejects file; --dry-run stores nothing
  claims check FILE [--out F] [--json]
                         Pre-check every claim of a CSV and print its verdict and reasons; nothing is stored
  payer accept|deny CLAIM_HASH SALT [--reason CODE] [--rpc URL --ledger ADDR --chain-id N --key-file F]
                         Act as the payer on ClaimsLedger (tests, demos); a denial needs --reason (e.g. CO-16)
  payer register PAYER_ID ADDRESS
                         Register a payer account on ClaimsLedger (governance: the ledger admin's key: the devnet
                         key, --key-file or CUSTODIAN_PAYER_KEY) and address this data folder's claims for
                         PAYER_ID to it; only it may decide them (the chain never sees PAYER_ID)

Options:
  --data-dir DIR         Data folder (default: $CUSTODIAN_HOME or the platform's user-data folder)
  --user NAME            Staff account for commands that touch records (or CUSTODIAN_USER); the password comes
                         from CUSTODIAN_PASSWORD or a hidden prompt
  --help                 This text

The database is encrypted at rest; its key is unwrapped with CUSTODIAN_DB_PASSPHRASE (or a hidden prompt in a
terminal; 12 characters or more, asked twice the first time). Without it every command fails with DB_KEY_MISSING.`;

const repoRoot = path.resolve(path.dirname(new URL(import.meta.url).pathname), '../..');

export function formatStatus(s: SystemStatus): string {
  const chain = s.chain;
  const chainLine =
    chain.state === 'connected'
      ? `connected (${chain.mode}) ${chain.rpcUrl} chain id ${chain.chainId}, block ${chain.blockNumber}`
      : chain.state === 'offline'
        ? `offline since ${chain.since}: ${chain.reason}`
        : chain.state === 'mismatch'
          ? `chain id mismatch at ${chain.rpcUrl}: expected ${chain.expectedChainId}, node says ${chain.actualChainId}`
          : `connecting (${chain.mode})`;
  const kinds = Object.entries(s.outbox.byKind)
    .map(([k, n]) => `${k}: ${n}`)
    .join(', ');
  return [
    `Custodian ${s.app.version}`,
    `Database: ${s.database.path} (schema v${s.database.schemaVersion}, ${s.database.sizeBytes} bytes)`,
    `Chain:    ${chainLine}`,
    `Outbox:   ${s.outbox.pending} queued${kinds ? ` (${kinds})` : ''}`,
  ].join('\n');
}

async function withServices<T>(dataDir: string, fn: (services: Services) => Promise<T>, waitForChain = true): Promise<T> {
  // The CLI's short runs never sync in the background; `custodian sync` drives the engine itself.
  const services = await startServices({ dataDir, runtime: 'cli', dbPassphrase: await dbPassphraseFromEnvOrPrompt(dataDir), waitForChain, sync: 'manual', logger: createLogger({ file: path.join(dataDir, 'custodian.log'), quiet: true }) });
  try {
    return await fn(services);
  } finally {
    await services.stop();
  }
}

async function unwrap<T>(result: Promise<{ ok: true; value: unknown } | { ok: false; error: { code: string; message: string; details?: unknown } }>): Promise<T> {
  const r = await result;
  if (!r.ok) throw new AppError(r.error.code, r.error.message, r.error.details);
  return r.value as T;
}

async function serve(dataDir: string, port: number | undefined): Promise<void> {
  const staticDir = path.join(repoRoot, 'build', 'renderer');
  if (!fs.existsSync(path.join(staticDir, 'index.html'))) {
    throw new AppError('RENDERER_NOT_BUILT', 'The console UI is not built: run `npm run build` (npm run serve does it for you).');
  }
  const services = await startServices({ dataDir, runtime: 'browser', dbPassphrase: await dbPassphraseFromEnvOrPrompt(dataDir), logger: createLogger({ file: path.join(dataDir, 'custodian.log'), quiet: true }) });
  const server = await startConsoleServer({ services, staticDir, ...(port !== undefined ? { port } : {}) });
  process.stdout.write(`Custodian console: ${server.url}\n`);
  process.stdout.write(`Data folder: ${services.dataDir} (Ctrl+C to stop)\n`);
  let closing = false;
  const shutdown = async () => {
    if (closing) return;
    closing = true;
    await server.close();
    await services.stop();
    process.exit(0);
  };
  process.on('SIGINT', () => void shutdown());
  process.on('SIGTERM', () => void shutdown());
}

/** `custodian audit …`: every subcommand but check-proof runs signed in, through the dispatcher. */
async function audit(dataDir: string, args: string[], values: { user?: string; json: boolean; quick: boolean; out?: string; rpc?: string }): Promise<number> {
  const [sub, arg] = args;
  const print = (text: string, json: unknown) => process.stdout.write(values.json ? `${JSON.stringify(json, null, 2)}\n` : `${text}\n`);
  const signedIn = <T>(channel: string, input: unknown) =>
    withServices(dataDir, async (s) => unwrap<T>(s.dispatch(channel, input, await signInCli(s, values.user))));
  switch (sub) {
    case 'verify': {
      const report = await signedIn<AuditVerifyReport>('audit.verify', { depth: values.quick ? 'quick' : 'full' });
      print(formatVerifyReport(report), report);
      if (report.firstProblem) throw new AppError('AUDIT_TAMPERED', report.firstProblem.message, report.firstProblem);
      return report.ok ? 0 : 1;
    }
    case 'seal':
    case 'batch': {
      const result = await signedIn<{ sealed: AuditBatchSummary[]; unbatched: number; head: { treeSize: number; rootHash: string } | null; unsignedReason?: string }>('audit.batchNow', {});
      print(formatBatches(result.sealed, result.unbatched, result.head, result.unsignedReason), result);
      return 0;
    }
    case 'proof': {
      const entryId = Number(arg);
      if (!Number.isSafeInteger(entryId) || entryId < 1) throw new AppError('VALIDATION_FAILED', `audit proof needs an entry id, got ${arg ?? 'nothing'}`);
      const { bundle, anchorStatus } = await signedIn<AuditProofResult>('audit.proof', { entryId });
      const json = `${JSON.stringify(bundle, null, 2)}\n`;
      if (values.out) fs.writeFileSync(values.out, json, { flag: 'wx' });
      else process.stdout.write(json);
      if (anchorStatus !== 'anchored') process.stderr.write(`Warning: no head covering entry ${entryId} is ${anchorStatus === 'not-anchored' ? 'anchored yet' : 'checked: the chain is unavailable'} (signed head of ${bundle.head.treeSize} entries); the bundle has no anchoring transaction.\n`);
      if (values.out) process.stderr.write(`Proof bundle for entry ${entryId} written to ${values.out}\n`);
      return 0;
    }
    case 'check-proof': {
      if (!arg) throw new AppError('VALIDATION_FAILED', 'audit check-proof needs a bundle file');
      let json: unknown;
      try {
        json = JSON.parse(fs.readFileSync(arg, 'utf8'));
      } catch (err) {
        throw new AppError('AUDIT_PROOF_INVALID', `${arg} is not a readable JSON proof bundle: ${(err as Error).message}`);
      }
      const bundle = parseProofBundle(json);
      const rpc = values.rpc ?? process.env.CUSTODIAN_RPC_URL;
      const provider = rpc ? createProvider(rpc, bundle.anchor?.chainId ?? 1) : null;
      try {
        const result = await checkProofBundle(bundle, provider);
        print(formatProofCheck(result), result);
        return result.ok ? 0 : result.offlineOk && !result.onChainChecked ? 3 : 1;
      } finally {
        provider?.destroy();
      }
    }
    default:
      process.stderr.write(`Unknown audit command: ${sub ?? '(none)'}\n\n${USAGE}\n`);
      return 2;
  }
}

/** `custodian sync …`: signed in like every records command; status, a dry-run plan, one drain, or a running loop. */
async function sync(dataDir: string, args: string[], values: { user?: string; json: boolean; once: boolean; 'dry-run': boolean }): Promise<number> {
  const [sub] = args;
  return withServices(dataDir, async (s) => {
    const caller = await signInCli(s, values.user);
    const call = <T>(channel: string, input: unknown) => unwrap<T>(s.dispatch(channel, input, caller));
    const print = (text: string, json: unknown) => process.stdout.write(values.json ? `${JSON.stringify(json, null, 2)}\n` : `${text}\n`);
    if (sub === 'status') {
      const status = await call<SyncStatus>('sync.status', {});
      const batches = await call<SyncBatchSummary[]>('sync.batches', { limit: 10 });
      const conflicts = await call<ConsentConflictSummary[]>('sync.conflicts', { open: true, limit: 50 });
      print(`${formatSyncStatus(status)}\n\nRecent batches:\n${formatSyncBatches(batches)}\n\nOpen consent conflicts:\n${formatConflicts(conflicts)}`, { status, batches, conflicts });
      return 0;
    }
    if (sub !== undefined) {
      process.stderr.write(`Unknown sync command: ${sub}\n\n${USAGE}\n`);
      return 2;
    }
    if (values['dry-run']) {
      await call<SyncStatus>('sync.status', {}); // the same permission as looking at the queue
      const plan = dryRunPlan(s.db, s.syncRegistry);
      print(formatDryRun(plan), plan);
      return 0;
    }
    if (!s.sync) throw new AppError('SYNC_DISABLED', 'No chain is configured (CUSTODIAN_CHAIN=none); there is nothing to sync to.');
    if (values.once) {
      // One cycle per call, through the dispatcher (permission sync.run), until nothing is left to do.
      for (;;) {
        const r = await call<SyncNowResult>('sync.now', {});
        const status = await call<SyncStatus>('sync.status', {});
        process.stderr.write(`${formatCycle(r, status.queue.total)}\n`);
        if (r.outcome === 'offline' || r.outcome === 'failed' || r.outcome === 'busy' || r.outcome === 'paused') {
          print(formatSyncStatus(status), status);
          return 1;
        }
        if (r.outcome === 'idle' && (status.queue.total === 0 || (status.batches.pending === 0 && status.batches.replaced === 0 && status.batches.signed === 0 && status.batches.sent === 0))) {
          print(formatSyncStatus(status), status);
          return status.batches.failed > 0 ? 1 : 0;
        }
      }
    }
    await call<SyncNowResult>('sync.now', {});
    const engine = s.sync;
    const unsubscribe = s.events.subscribe((m) => {
      if (m.event === 'sync.state') process.stderr.write(`${new Date().toISOString()} ${JSON.stringify(m.payload)}\n`);
    });
    engine.start();
    process.stderr.write('Syncing; Ctrl+C to stop.\n');
    await new Promise<void>((resolve) => {
      process.once('SIGINT', resolve);
      process.once('SIGTERM', resolve);
    });
    unsubscribe();
    return 0;
  }, true);
}

const stdio: Output = { out: (t) => process.stdout.write(t), err: (t) => process.stderr.write(t) };

/** `custodian credentials …`: the issuer tool signs offline; verify runs signed in; issuer governance needs the chain. */
async function credentials(dataDir: string, args: string[], v: Record<string, string | boolean | undefined>): Promise<number> {
  const [sub, arg, name] = args;
  const text = (k: string) => (typeof v[k] === 'string' ? (v[k] as string) : undefined);
  switch (sub) {
    case 'issue': {
      const issuerKey = text('issuer-key');
      if (!issuerKey) throw new AppError('VALIDATION_FAILED', 'credentials issue needs --issuer-key (a hex private key or an encrypted keystore file).');
      const issue = { issuerKey, npi: text('npi'), type: text('type'), jurisdiction: text('jurisdiction'), number: text('number'), validFrom: text('valid-from'), validUntil: text('valid-until'), out: text('out') };
      const chainId = text('chain-id');
      const registry = text('registry');
      if (chainId !== undefined || registry !== undefined) {
        if (!chainId || !registry || !/^\d+$/.test(chainId) || !/^0x[0-9a-fA-F]{40}$/.test(registry)) {
          throw new AppError('VALIDATION_FAILED', '--chain-id (a number) and --registry (a 0x address) go together.');
        }
        return issueCommand(issue, credentialDomain(Number(chainId), registry), stdio);
      }
      return withServices(dataDir, (s) => issueCommand(issue, domainFromServices(s), stdio));
    }
    case 'verify':
      if (!arg) throw new AppError('VALIDATION_FAILED', 'credentials verify needs a FILE.');
      return withServices(dataDir, async (s) => verifyFileCommand(s, await signInCli(s, text('user')), arg, v.json === true, stdio));
    case 'set-status': {
      const [, id, status, ...reason] = args;
      if (!id || !status) throw new AppError('VALIDATION_FAILED', 'credentials set-status needs ID, STATUS (active, suspended or revoked) and a REASON.');
      const issuerKey = text('issuer-key');
      const signatureFile = text('signature');
      const authority = issuerKey ? { issuerKey } : signatureFile ? { signatureFile } : null;
      return withServices(dataDir, async (s) => setStatusCommand(s, await signInCli(s, text('user')), Number(id), status, reason.join(' '), authority, v.json === true, stdio));
    }
    case 'sign-status': {
      const issuerKey = text('issuer-key');
      const chainId = text('chain-id');
      const registry = text('registry');
      if (!issuerKey || !chainId || !/^\d+$/.test(chainId) || !registry || !/^0x[0-9a-fA-F]{40}$/.test(registry)) {
        throw new AppError('VALIDATION_FAILED', 'credentials sign-status needs --issuer-key, --chain-id (a number) and --registry (a 0x address).');
      }
      const sign = { issuerKey, credentialHash: text('credential-hash'), status: text('status'), expiresAt: text('expires-at'), out: text('out') };
      return signStatusCommand(sign, Number(chainId), registry, stdio);
    }
    case 'register-issuer':
    case 'revoke-issuer':
      if (!arg) throw new AppError('VALIDATION_FAILED', `credentials ${sub} needs an ADDRESS.`);
      // Governance changes the registry every workstation trusts: an IT admin signs in, and the change is audited.
      return withServices(dataDir, async (s) => issuerGovernanceCommand(s, await signInCli(s, text('user')), sub === 'register-issuer' ? 'register' : 'revoke', arg, name, stdio));
    default:
      process.stderr.write(`Unknown credentials command: ${sub ?? '(none)'}\n\n${USAGE}\n`);
      return 2;
  }
}

/** The transport passphrase of a facility-secret file: the environment, else typed (twice for an export). */
async function secretPassphrase(confirm: boolean): Promise<string> {
  const fromEnv = process.env.CUSTODIAN_SECRET_PASSPHRASE;
  if (fromEnv !== undefined) return fromEnv;
  if (!process.stdin.isTTY) throw new AppError('FACILITY_SECRET_PASSPHRASE_MISSING', 'No passphrase: set CUSTODIAN_SECRET_PASSPHRASE or run in a terminal to be asked.');
  const first = await promptHidden('Passphrase for the facility-secret file: ');
  if (confirm && (await promptHidden('The same passphrase again: ')) !== first) throw new AppError('FACILITY_SECRET_PASSPHRASE_MISMATCH', 'The two passphrases differ; nothing was written.');
  return first;
}

/** `custodian facility-secret …`: every subcommand signs in; the commands check the IT-admin role themselves. */
async function facilitySecret(dataDir: string, args: string[], values: { user?: string; json: boolean; out?: string }): Promise<number> {
  const [sub, file] = args;
  switch (sub) {
    case 'export':
      if (!values.out) throw new AppError('VALIDATION_FAILED', 'facility-secret export needs --out FILE.');
      return withServices(dataDir, async (s) => exportSecretCommand(s, await signInCli(s, values.user), values.out!, secretPassphrase, stdio), false);
    case 'import':
      if (!file) throw new AppError('VALIDATION_FAILED', 'facility-secret import needs a FILE.');
      return withServices(dataDir, async (s) => importSecretCommand(s, await signInCli(s, values.user), file, secretPassphrase, stdio), false);
    case 'fingerprint':
      return withServices(dataDir, async (s) => fingerprintCommand(s, await signInCli(s, values.user), values.json, stdio), false);
    default:
      process.stderr.write(`Unknown facility-secret command: ${sub ?? '(none)'}\n\n${USAGE}\n`);
      return 2;
  }
}

export async function main(argv: string[]): Promise<number> {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: {
      'data-dir': { type: 'string' },
      port: { type: 'string' },
      json: { type: 'boolean', default: false },
      user: { type: 'string' },
      name: { type: 'string' },
      help: { type: 'boolean', default: false },
      quick: { type: 'boolean', default: false },
      out: { type: 'string' },
      rpc: { type: 'string' },
      once: { type: 'boolean', default: false },
      'dry-run': { type: 'boolean', default: false },
      format: { type: 'string' },
      'issuer-key': { type: 'string' },
      signature: { type: 'string' },
      'credential-hash': { type: 'string' },
      status: { type: 'string' },
      'expires-at': { type: 'string' },
      npi: { type: 'string' },
      type: { type: 'string' },
      jurisdiction: { type: 'string' },
      number: { type: 'string' },
      'valid-from': { type: 'string' },
      'valid-until': { type: 'string' },
      'chain-id': { type: 'string' },
      registry: { type: 'string' },
      partner: { type: 'string' },
      'public-key': { type: 'string' },
      direction: { type: 'string' },
      categories: { type: 'string' },
      purposes: { type: 'string' },
      'document-hash': { type: 'string' },
      patient: { type: 'string' },
      category: { type: 'string' },
      purpose: { type: 'string' },
      'org-id': { type: 'string' },
      released: { type: 'boolean', default: false },
      reason: { type: 'string' },
      ledger: { type: 'string' },
      'at-block': { type: 'string' },
      'key-file': { type: 'string' },
    },
  });
  const [command] = positionals;
  if (values.help || !command) {
    process.stdout.write(`${USAGE}\n`);
    return command || values.help ? 0 : 2;
  }
  const dataDir = resolveDataDir(values['data-dir']);
  switch (command) {
    case 'status': {
      const status = await withServices(dataDir, (s) => unwrap<SystemStatus>(s.call('system.status', {})));
      process.stdout.write(values.json ? `${JSON.stringify(status, null, 2)}\n` : `${formatStatus(status)}\n`);
      return 0;
    }
    case 'setup': {
      const username = values.user ?? process.env.CUSTODIAN_USER;
      if (!username || !values.name) throw new AppError('VALIDATION_FAILED', 'setup needs --user NAME and --name "Full Name".');
      const password = await passwordFromEnvOrPrompt(`New password for ${username}: `);
      const created = await withServices(
        dataDir,
        (s) => unwrap<{ principal: { name: string } }>(s.call('auth.setup', { username, displayName: values.name, password }, { session: memorySession() })),
        false,
      );
      process.stdout.write(`Created IT administrator ${created.principal.name} (${username}).\n`);
      return 0;
    }
    case 'staff': {
      const username = positionals[2];
      if (positionals[1] !== 'unlock' || !username) throw new AppError('VALIDATION_FAILED', 'Usage: custodian staff unlock USER');
      assertOwnsDataDir(dataDir);
      const unlocked = await withServices(dataDir, (s) => staffUnlockCommand(s, username), false);
      process.stdout.write(`Unlocked ${unlocked.username} (${unlocked.displayName}).\n`);
      return 0;
    }
    case 'audit':
      return audit(dataDir, positionals.slice(1), values);
    case 'sync':
      return sync(dataDir, positionals.slice(1), values);
    case 'consent': {
      const [, sub, arg] = positionals;
      // check-proof opens no data folder: the bundle and the endpoint are all a third party has.
      if (sub === 'check-proof') return consentCheckProofCommand(arg, { rpc: values.rpc ?? process.env.CUSTODIAN_RPC_URL, atBlock: values['at-block'], ledger: values.ledger, json: values.json }, stdio);
      if (sub === 'proof') return withServices(dataDir, async (s) => consentProofCommand(s, await signInCli(s, values.user), arg, { out: values.out }, stdio));
      process.stderr.write(`Unknown consent command: ${sub ?? '(none)'}\n\n${USAGE}\n`);
      return 2;
    }
    case 'credentials':
      return credentials(dataDir, positionals.slice(1), values);
    case 'facility-secret':
      return facilitySecret(dataDir, positionals.slice(1), values);
    case 'import':
      if (positionals[1] === 'providers' && positionals[2]) {
        const file = positionals[2];
        return withServices(dataDir, async (s) => {
          const caller = await signInCli(s, values.user);
          return importProvidersCommand(s, caller, await registerCliFile(s, caller, file), values.json, stdio, values['dry-run']);
        });
      }
      if (positionals[1] === 'consents' && positionals[2]) {
        const file = positionals[2];
        const options = { ...(values.format !== undefined ? { format: values.format } : {}), dryRun: values['dry-run'], json: values.json };
        return withServices(
          dataDir,
          async (s) => {
            const caller = await signInCli(s, values.user);
            return importConsentsCommand(s, caller, await registerCliFile(s, caller, file), options, stdio);
          },
          false,
        );
      }
      if (positionals[1] === 'runs') {
        return withServices(dataDir, async (s) => listImportRunsCommand(s, await signInCli(s, values.user), { json: values.json }, stdio), false);
      }
      if (positionals[1] === 'resume' && positionals[2]) {
        // `import resume RUN` (consents) or `import resume consents|providers|claims RUN`: run ids are per kind.
        const named = positionals[2] === 'consents' || positionals[2] === 'providers' || positionals[2] === 'claims';
        const kind = named ? positionals[2] : 'consents';
        const runText = named ? positionals[3] : positionals[2];
        const runId = Number(runText);
        if (!Number.isSafeInteger(runId) || runId < 1) throw new AppError('VALIDATION_FAILED', `import resume needs a run id (see custodian import runs), got ${runText ?? '(none)'}`);
        return withServices(
          dataDir,
          async (s) => {
            const caller = await signInCli(s, values.user);
            if (kind === 'providers') return resumeProvidersCommand(s, caller, runId, values.json, stdio);
            if (kind === 'claims') return resumeClaimsCommand(s, caller, runId, values.json, stdio);
            return resumeImportCommand(s, caller, runId, { json: values.json }, stdio);
          },
          false,
        );
      }
      if (positionals[1] === 'claims' && positionals[2]) {
        const file = positionals[2];
        return withServices(
          dataDir,
          async (s) => {
            const caller = await signInCli(s, values.user);
            return importClaimsCommand(s, caller, await registerCliFile(s, caller, file), values.json, stdio, values['dry-run']);
          },
          false,
        );
      }
      process.stderr.write(`Unknown import command: ${positionals.slice(1).join(' ') || '(none)'} (expected: import providers FILE, import consents FILE, import runs, import resume [KIND] RUN, import claims FILE)\n\n${USAGE}\n`);
      return 2;
    case 'sharing': {
      const o = {
        json: values.json,
        partner: values.partner,
        publicKey: values['public-key'],
        direction: values.direction,
        categories: values.categories,
        purposes: values.purposes,
        validFrom: values['valid-from'],
        validUntil: values['valid-until'],
        documentHash: values['document-hash'],
        patient: values.patient,
        category: values.category,
        purpose: values.purpose,
        npi: values.npi,
        orgId: values['org-id'],
        released: values.released,
      };
      return withServices(dataDir, async (s) => sharingCommand(s, await signInCli(s, values.user), positionals.slice(1), o, (t) => process.stdout.write(`${t}\n`)));
    }
    case 'claims': {
      const [, sub, file] = positionals;
      if (sub !== 'check' || !file) {
        process.stderr.write(`Unknown claims command: ${positionals.slice(1).join(' ') || '(none)'} (expected: claims check FILE)\n\n${USAGE}\n`);
        return 2;
      }
      return withServices(dataDir, async (s) => claimsCheckCommand(s, await signInCli(s, values.user), file, { json: values.json, out: values.out }, stdio), false);
    }
    case 'payer': {
      const [, sub, arg, arg2] = positionals;
      const args = { rpc: values.rpc, chainId: values['chain-id'], ledger: values.ledger, keyFile: values['key-file'], reason: values.reason };
      return values.rpc ? payerCommand(sub, arg, args, null, stdio, arg2) : withServices(dataDir, (s) => payerCommand(sub, arg, args, s, stdio, arg2));
    }
    case 'serve': {
      const port = values.port === undefined ? undefined : Number(values.port);
      if (port !== undefined && (!Number.isInteger(port) || port < 0 || port > 65535)) throw new AppError('VALIDATION_FAILED', `--port must be 0-65535, got ${values.port}`);
      await serve(dataDir, port);
      return -1; // keeps running until a signal
    }
    default:
      process.stderr.write(`Unknown command: ${command}\n\n${USAGE}\n`);
      return 2;
  }
}

export async function runCli(argv: string[]): Promise<void> {
  try {
    const code = await main(argv);
    if (code >= 0) process.exit(code);
  } catch (err) {
    const e = err as { code?: string; message?: string };
    process.stderr.write(`custodian: ${e.code ? `[${e.code}] ` : ''}${e.message ?? String(err)}\n`);
    process.exit(1);
  }
}
