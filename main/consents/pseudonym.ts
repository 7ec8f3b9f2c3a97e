// Chain-safe patient pseudonyms: HMAC-SHA256 keyed with a facility secret that lives outside the database
// (<data dir>/secrets/facility-secret, 0600), sealed at rest under the folder's database key (db/secret-files.ts), so
// neither a copied database nor a copied data folder without its key or passphrase can re-identify anyone.
import crypto from 'node:crypto';
import path from 'node:path';
import fs from 'node:fs';
import { AppError } from '../api/errors';
import { loadOrCreateSecretFile, readSecretFile, replaceSecretFile, type SecretFileKind } from '../db/secret-files';

const SECRET_BYTES = 32;

/** The facility secret's file: FACILITY_SECRET_TAMPERED / _WRONG_SECRET / _UNREADABLE / _INVALID. */
export const FACILITY_SECRET_FILE: SecretFileKind = {
  purpose: 'facility secret',
  codePrefix: 'FACILITY_SECRET',
  invalidCode: 'FACILITY_SECRET_INVALID',
  title: 'The facility secret',
  parsePlain: (text) => (/^[0-9a-f]{64}$/.test(text.trim()) ? Buffer.from(text.trim(), 'hex') : null),
  formatPlain: (secret) => `${secret.toString('hex')}\n`,
};

export function facilitySecretPath(dataDir: string): string {
  return path.join(dataDir, 'secrets', 'facility-secret');
}

/**
 * The facility secret, created on first use. Creation is atomic (write a private temp file, then link it into
 * place), so two processes starting together end with the same secret. A plain file of an older version is sealed
 * in place.
 */
export function loadOrCreateFacilitySecret(dataDir: string): Buffer {
  return loadOrCreateSecretFile(FACILITY_SECRET_FILE, dataDir, facilitySecretPath(dataDir), () => crypto.randomBytes(SECRET_BYTES));
}

/** The facility secret if this data folder has one yet (never creates it: for fingerprints and installs). */
export function readFacilitySecret(dataDir: string): Buffer | null {
  const file = facilitySecretPath(dataDir);
  return fs.existsSync(file) ? readSecretFile(FACILITY_SECRET_FILE, dataDir, file) : null;
}

/**
 * Puts a facility secret in place (an install from another workstation): sealed, written beside and renamed over
 * the old one, so a reader sees the old secret or the new one, never half of either. Callers check first that no
 * patient of this folder depends on the secret being replaced (facility-secret-install.ts).
 */
export function replaceFacilitySecret(dataDir: string, secret: Buffer): void {
  if (secret.length !== SECRET_BYTES) throw new AppError('FACILITY_SECRET_INVALID', `A facility secret is ${SECRET_BYTES} bytes, not ${secret.length}.`);
  replaceSecretFile(FACILITY_SECRET_FILE, dataDir, facilitySecretPath(dataDir), secret);
}
/** Pseudonyms remembered per patient: an import computes one to hash a row's terms and again to create the patient. */
const CACHE_MAX = 8_192;

/** Maps (facility, MRN) to its pseudonym; holds the key so callers never handle the secret. */
export class Pseudonymizer {
  private readonly cache = new Map<string, string>();

  constructor(private readonly secret: Buffer) {}

  pseudonym(facility: string, mrn: string): string {
    const key = `${facility}\u001f${mrn}`;
    let value = this.cache.get(key);
    if (value === undefined) {
      value = `0x${crypto.createHmac('sha256', this.secret).update(key, 'utf8').digest('hex')}`;
      // Bounded: cleared when full (a file names a patient in rows close together far more often than not).
      if (this.cache.size >= CACHE_MAX) this.cache.clear();
      this.cache.set(key, value);
    }
    return value;
  }
}
