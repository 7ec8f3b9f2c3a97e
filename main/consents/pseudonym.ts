// Chain-safe patient pseudonyms: HMAC-SHA256 keyed with a facility secret that lives outside the database
// (<data dir>/secrets/facility-secret, mode 0600), so a copied database alone cannot re-identify anyone.
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { AppError } from '../api/errors';
import { createFileOnce } from '../host/file-modes';

const SECRET_BYTES = 32;

export function facilitySecretPath(dataDir: string): string {
  return path.join(dataDir, 'secrets', 'facility-secret');
}

function readSecret(file: string): Buffer {
  const hex = fs.readFileSync(file, 'utf8').trim();
  if (!/^[0-9a-f]{64}$/.test(hex)) {
    throw new AppError('FACILITY_SECRET_INVALID', `The facility secret at ${file} is not 32 bytes of hex; restore it from the backup made at set-up.`);
  }
  return Buffer.from(hex, 'hex');
}

/**
 * The facility secret, created on first use. Creation is atomic (write a private temp file, then link it into
 * place), so two processes starting together end with the same secret.
 */
export function loadOrCreateFacilitySecret(dataDir: string): Buffer {
  const file = facilitySecretPath(dataDir);
  createFileOnce(file, () => `${crypto.randomBytes(SECRET_BYTES).toString('hex')}\n`);
  return readSecret(file);
}

/** The facility secret if this data folder has one yet (never creates it: for fingerprints and installs). */
export function readFacilitySecret(dataDir: string): Buffer | null {
  const file = facilitySecretPath(dataDir);
  return fs.existsSync(file) ? readSecret(file) : null;
}

/**
 * Puts a facility secret in place (an install from another workstation): a private temp file renamed over the
 * old one, so a reader sees the old secret or the new one, never half of either. Callers check first that no
 * patient of this folder depends on the secret being replaced (facility-secret-install.ts).
 */
export function replaceFacilitySecret(dataDir: string, secret: Buffer): void {
  if (secret.length !== SECRET_BYTES) throw new AppError('FACILITY_SECRET_INVALID', `A facility secret is ${SECRET_BYTES} bytes, not ${secret.length}.`);
  const file = facilitySecretPath(dataDir);
  fs.mkdirSync(path.dirname(file), { recursive: true, mode: 0o700 });
  const tmp = `${file}.${process.pid}.${crypto.randomBytes(4).toString('hex')}.tmp`;
  fs.writeFileSync(tmp, `${secret.toString('hex')}\n`, { mode: 0o600, flag: 'wx' });
  try {
    fs.renameSync(tmp, file);
  } finally {
    fs.rmSync(tmp, { force: true });
  }
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
