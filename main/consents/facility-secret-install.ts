// Installing a facility secret received from another workstation: allowed while no patient of this data folder
// depends on the secret being replaced, refused otherwise (their pseudonyms would no longer match the chain).
import crypto from 'node:crypto';
import { AppError } from '../api/errors';
import type { Db } from '../db/connection';
import { secretFingerprint } from './facility-secret';
import { Pseudonymizer, readFacilitySecret, replaceFacilitySecret } from './pseudonym';

export interface InstallResult {
  /** installed: nothing depended on the old secret; unchanged: the same secret was already here;
   * restored: patients exist and every one's pseudonym is the new secret's (a lost or wrong secret file put right). */
  outcome: 'installed' | 'unchanged' | 'restored';
  fingerprint: string;
  previousFingerprint: string | null;
  patients: number;
}

function currentSecret(dataDir: string): Buffer | null {
  try {
    return readFacilitySecret(dataDir);
  } catch {
    // An unreadable secret file protects nothing; the patients' pseudonyms decide below.
    return null;
  }
}

/**
 * Checks and installs inside one IMMEDIATE transaction: no patient can be added between the check and the
 * rename. Consent writers read the secret file lazily (first write, each import job), so a console that has
 * written nothing yet picks the new secret up; one that has written patients makes this refuse anyway.
 */
export function installFacilitySecret(db: Db, dataDir: string, secret: Buffer): InstallResult {
  const fingerprint = secretFingerprint(secret);
  return db
    .transaction((): InstallResult => {
      const current = currentSecret(dataDir);
      const previousFingerprint = current ? secretFingerprint(current) : null;
      const patients = (db.prepare('SELECT count(*) AS n FROM patients').get() as { n: number }).n;
      if (current && crypto.timingSafeEqual(current, secret)) return { outcome: 'unchanged', fingerprint, previousFingerprint, patients };
      if (patients > 0) {
        const incoming = new Pseudonymizer(secret);
        let mismatched = 0;
        for (const p of db.prepare('SELECT facility, mrn, pseudonym FROM patients').iterate() as Iterable<{ facility: string; mrn: string; pseudonym: string }>) {
          if (incoming.pseudonym(p.facility, p.mrn) !== p.pseudonym) mismatched++;
        }
        if (mismatched > 0) {
          throw new AppError(
            'FACILITY_SECRET_CONFLICT',
            `Refused: this data folder already has ${patients} patient(s), ${mismatched} of them pseudonymised under a different facility secret` +
              `${previousFingerprint ? ` (this folder's fingerprint ${previousFingerprint})` : ''}. Installing the imported secret (fingerprint ${fingerprint}) ` +
              'would give them new pseudonyms that no longer match their consents on the chain, so this workstation and the others could no longer ' +
              'agree on them. Import a facility secret only on a workstation with no patients yet; to share this folder\'s secret instead, export it here.',
            { patients, mismatched, fingerprint, previousFingerprint },
          );
        }
      }
      replaceFacilitySecret(dataDir, secret);
      return { outcome: patients > 0 ? 'restored' : 'installed', fingerprint, previousFingerprint, patients };
    })
    .immediate();
}
