// `custodian facility-secret export|import|fingerprint`, given started services and a signed-in caller by the CLI
// shell (main/cli/index.ts). Export and import need an IT administrator and are audited; the secret never is.
import fs from 'node:fs';
import { AppError } from '../api/errors';
import { roleAllows, type Principal } from '../api/permissions';
import { recordAudit } from '../audit/trail';
import { typedCall } from '../runtime/call';
import type { CallerContext } from '../runtime/dispatcher';
import type { Services } from '../runtime/services';
import { parseWrappedSecret, unwrapSecret, wrapSecret } from './facility-secret';
import { installFacilitySecret } from './facility-secret-install';
import { loadOrCreateFacilitySecret } from './pseudonym';

export interface SecretCliOutput {
  out(text: string): void;
  err(text: string): void;
}

/** Asks for the transport passphrase (environment or hidden prompt); `confirm` asks twice when prompting. */
export type PassphraseSource = (confirm: boolean) => Promise<string>;

/** The same permission as the Settings page's fingerprint: only an IT administrator handles the secret. */
const PERMISSION = 'settings.configure';

async function itAdmin(services: Services, caller: CallerContext, action: string): Promise<Principal> {
  const status = await services.call('auth.status', {}, caller);
  const principal = status.ok ? (status.value as { principal: Principal | null }).principal : null;
  if (!principal || !roleAllows(principal.role, PERMISSION)) {
    if (principal) recordAudit(services.db, { actor: principal, action, outcome: 'denied', details: { transport: 'cli', permission: PERMISSION } });
    throw new AppError('PERMISSION_DENIED', `The facility secret needs the IT-admin role (${PERMISSION}); ${principal ? `${principal.name} is ${principal.role}` : 'nobody is signed in'}.`);
  }
  return principal;
}

function failed(services: Services, actor: Principal, action: string, err: unknown, details: Record<string, unknown> = {}): never {
  const code = (err as { code?: string }).code ?? 'INTERNAL';
  recordAudit(services.db, { actor, action, outcome: 'failure', details: { transport: 'cli', code, ...details } });
  services.log.warn(`${action} failed: ${code}`);
  throw err;
}

/** Wraps this folder's secret (created now if the folder has none yet) into a new file, never over an existing one. */
export async function exportSecretCommand(services: Services, caller: CallerContext, out: string, passphrase: PassphraseSource, io: SecretCliOutput): Promise<number> {
  const action = 'facilitySecret.export';
  const actor = await itAdmin(services, caller, action);
  if (fs.existsSync(out)) failed(services, actor, action, new AppError('FACILITY_SECRET_FILE_EXISTS', `${out} already exists; choose a new file name (an export never overwrites).`));
  const secret = loadOrCreateFacilitySecret(services.dataDir);
  let wrapped: ReturnType<typeof wrapSecret>;
  try {
    wrapped = wrapSecret(secret, await passphrase(true));
    fs.writeFileSync(out, `${JSON.stringify(wrapped, null, 2)}\n`, { flag: 'wx', mode: 0o600 });
  } catch (err) {
    failed(services, actor, action, err);
  }
  recordAudit(services.db, { actor, action, outcome: 'success', subject: `fingerprint:${wrapped.fingerprint}`, details: { transport: 'cli', kdf: 'scrypt', cipher: 'aes-256-gcm' } });
  services.log.info(`facility secret exported (fingerprint ${wrapped.fingerprint})`);
  io.out(`Facility secret exported to ${out}\nFingerprint: ${wrapped.fingerprint}\n`);
  io.err('Give the file and its passphrase to the other workstation by different routes, then compare fingerprints there (custodian facility-secret fingerprint).\n');
  return 0;
}

/** Installs a wrapped secret; refused when this folder's patients were pseudonymised under another secret. */
export async function importSecretCommand(services: Services, caller: CallerContext, file: string, passphrase: PassphraseSource, io: SecretCliOutput): Promise<number> {
  const action = 'facilitySecret.import';
  const actor = await itAdmin(services, caller, action);
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch (err) {
    failed(services, actor, action, new AppError('FACILITY_SECRET_FILE_INVALID', `${file} cannot be read (${(err as NodeJS.ErrnoException).code ?? 'error'}).`));
  }
  let result: ReturnType<typeof installFacilitySecret>;
  let claimed: string | undefined;
  try {
    const wrapped = parseWrappedSecret(text, file);
    claimed = wrapped.fingerprint;
    result = installFacilitySecret(services.db, services.dataDir, unwrapSecret(wrapped, await passphrase(false)));
  } catch (err) {
    failed(services, actor, action, err, claimed ? { fingerprint: claimed } : {});
  }
  recordAudit(services.db, {
    actor,
    action,
    outcome: 'success',
    subject: `fingerprint:${result.fingerprint}`,
    details: { transport: 'cli', outcome: result.outcome, previousFingerprint: result.previousFingerprint, patients: result.patients },
  });
  services.log.info(`facility secret import: ${result.outcome} (fingerprint ${result.fingerprint})`);
  const what = {
    installed: 'Facility secret installed.',
    unchanged: 'This workstation already has this facility secret; nothing changed.',
    restored: `Facility secret installed: all ${result.patients} patient(s) of this folder already carry its pseudonyms.`,
  }[result.outcome];
  io.out(`${what}\nFingerprint: ${result.fingerprint}\n`);
  return 0;
}

/** Prints this folder's fingerprint through the API (the same channel and permission as the Settings page). */
export async function fingerprintCommand(services: Services, caller: CallerContext, json: boolean, io: SecretCliOutput): Promise<number> {
  const info = await typedCall(services.dispatch, caller)('facilitySecret.fingerprint', {});
  if (json) io.out(`${JSON.stringify(info)}\n`);
  else io.out(info.fingerprint ? `${info.fingerprint}\n` : 'No facility secret yet: it is created at the first consent written or imported, or installed with `custodian facility-secret import FILE`.\n');
  return 0;
}
