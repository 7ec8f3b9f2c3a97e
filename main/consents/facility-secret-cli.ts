// `custodian facility-secret export|import|fingerprint`, given started services and a signed-in caller by the CLI
// command table (main/cli/commands/consents.ts), with the files registered by id for the OS user. Each is one channel
// call: the dispatcher checks the IT-admin role (settings.configure) and audits it; the secret is never shown.
import { typedCall } from '../runtime/call';
import type { CallerContext, Dispatch } from '../runtime/dispatcher';

/** What these commands use of the started services (the CLI passes its Services): typed here, so the domain never imports the composition root. */
type CommandServices = { dispatch: Dispatch };

export interface SecretCliOutput {
  out(text: string): void;
  err(text: string): void;
}

/** Asks for the transport passphrase (environment or hidden prompt); `confirm` asks twice when prompting. */
export type PassphraseSource = (confirm: boolean) => Promise<string>;

/** How a refusal reads at the terminal (the dispatcher decides: settings.configure, an IT administrator). */
const REFUSAL = 'The facility secret needs the IT-admin role (settings.configure)';

/** Wraps this folder's secret into the file registered as `targetId` (`out` names it for people), never over one. */
export async function exportSecretCommand(services: CommandServices, caller: CallerContext, target: { targetId: string; out: string }, passphrase: PassphraseSource, io: SecretCliOutput): Promise<number> {
  const r = await typedCall(services.dispatch, caller)('facilitySecret.export', { targetId: target.targetId, passphrase: await passphrase(true) }, { refusal: REFUSAL });
  io.out(`Facility secret exported to ${target.out}\nFingerprint: ${r.fingerprint}\n`);
  io.err('Give the file and its passphrase to the other workstation by different routes, then compare fingerprints there (custodian facility-secret fingerprint).\n');
  return 0;
}

/** Installs a wrapped secret; refused when this folder's patients were pseudonymised under another secret. */
export async function importSecretCommand(services: CommandServices, caller: CallerContext, uploadId: string, passphrase: PassphraseSource, io: SecretCliOutput): Promise<number> {
  const result = await typedCall(services.dispatch, caller)('facilitySecret.import', { uploadId, passphrase: await passphrase(false) }, { refusal: REFUSAL });
  const what = {
    installed: 'Facility secret installed.',
    unchanged: 'This workstation already has this facility secret; nothing changed.',
    restored: `Facility secret installed: all ${result.patients} patient(s) of this folder already carry its pseudonyms.`,
  }[result.outcome];
  io.out(`${what}\nFingerprint: ${result.fingerprint}\n`);
  return 0;
}

/** Prints this folder's fingerprint through the API (the same channel and permission as the Settings page). */
export async function fingerprintCommand(services: CommandServices, caller: CallerContext, json: boolean, io: SecretCliOutput): Promise<number> {
  const info = await typedCall(services.dispatch, caller)('facilitySecret.fingerprint', {}, { refusal: REFUSAL });
  if (json) io.out(`${JSON.stringify(info)}\n`);
  else io.out(info.fingerprint ? `${info.fingerprint}\n` : 'No facility secret yet: it is created at the first consent written or imported, or installed with `custodian facility-secret import FILE`.\n');
  return 0;
}
