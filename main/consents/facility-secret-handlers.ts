// Handlers of the facility-secret channels: the fingerprint the Settings page and `custodian facility-secret
// fingerprint` show, so two workstations can compare secrets without either revealing it (never creates one); and
// the export and import of the secret wrapped under a transport passphrase, for an IT admin (settings.configure).
// The files come and go by id (the CLI registers them for its OS user): no channel takes a path. The secret and
// the passphrase are never in an answer, an error, the audit trail or the log: the fingerprint only.
import fs from 'node:fs';
import type { HandlersFor } from '../api/channel';
import { AppError } from '../api/errors';
import type { facilitySecretChannels } from '../api/system';
import type { RequestContext } from '../runtime/dispatcher';
import type { Logger } from '../runtime/log';
import { parseWrappedSecret, secretFingerprint, unwrapSecret, wrapSecret } from './facility-secret';
import { installFacilitySecret } from './facility-secret-install';
import { loadOrCreateFacilitySecret, readFacilitySecret } from './pseudonym';

export interface FacilitySecretDeps {
  dataDir: string;
  db: Parameters<typeof installFacilitySecret>[0];
  log: Pick<Logger, 'info' | 'warn'>;
  /** The file behind an upload id for its owner (UPLOAD_NOT_FOUND otherwise). */
  incoming: (uploadId: string, owner: string) => { path: string; fileName: string };
  /** The path the CLI registered to write for its owner (SAVE_TARGET_NOT_FOUND otherwise). */
  saveTarget: (targetId: string, owner: string) => string;
}

export function createFacilitySecretHandlers(deps: FacilitySecretDeps): HandlersFor<typeof facilitySecretChannels, RequestContext> {
  return {
    'facilitySecret.fingerprint': () => {
      const secret = readFacilitySecret(deps.dataDir);
      return { fingerprint: secret ? secretFingerprint(secret) : null };
    },
    // Wraps this folder's secret (created now if the folder has none yet) into a new file, never over an existing one.
    'facilitySecret.export': ({ targetId, passphrase }, ctx) => {
      const out = deps.saveTarget(targetId, ctx.principal.id);
      const fileName = out.split(/[/\\]/).pop()!;
      if (fs.existsSync(out)) throw new AppError('FACILITY_SECRET_FILE_EXISTS', `${fileName} already exists; choose a new file name (an export never overwrites).`);
      const wrapped = wrapSecret(loadOrCreateFacilitySecret(deps.dataDir), passphrase);
      fs.writeFileSync(out, `${JSON.stringify(wrapped, null, 2)}\n`, { flag: 'wx', mode: 0o600 });
      ctx.audit({ subject: `fingerprint:${wrapped.fingerprint}`, details: { kdf: 'scrypt', cipher: 'aes-256-gcm' } });
      deps.log.info(`facility secret exported (fingerprint ${wrapped.fingerprint})`);
      return { fingerprint: wrapped.fingerprint, fileName };
    },
    // Installs a wrapped secret; refused when this folder's patients were pseudonymised under another secret.
    'facilitySecret.import': ({ uploadId, passphrase }, ctx) => {
      const file = deps.incoming(uploadId, ctx.principal.id);
      let text: string;
      try {
        text = fs.readFileSync(file.path, 'utf8');
      } catch (err) {
        throw new AppError('FACILITY_SECRET_FILE_INVALID', `${file.fileName} cannot be read (${(err as NodeJS.ErrnoException).code ?? 'error'}).`);
      }
      const wrapped = parseWrappedSecret(text, file.fileName);
      // A refused import still says which secret was offered (its fingerprint), in its failure entry.
      ctx.audit({ details: { fingerprint: wrapped.fingerprint } });
      const result = installFacilitySecret(deps.db, deps.dataDir, unwrapSecret(wrapped, passphrase));
      ctx.audit({ subject: `fingerprint:${result.fingerprint}`, details: { outcome: result.outcome, previousFingerprint: result.previousFingerprint, patients: result.patients } });
      deps.log.info(`facility secret import: ${result.outcome} (fingerprint ${result.fingerprint})`);
      return result;
    },
  };
}
