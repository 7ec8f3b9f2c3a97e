// The provider directory as consents reads it: the table's search finds consents by a provider's NPI or name, and the
// bulk revoke preview names the providers. The directory is the credentials domain's (its providers table), and
// credentials stands above consents, so consents owns this port and the composition root hands the reader in
// (installProviderDirectory): services.ts in the main thread, the job registry in each worker thread.
import { AppError } from '../api/errors';
import type { Db } from '../db/connection';

export interface ProviderDirectory {
  /** NPIs of providers whose NPI starts with `text` or whose name or organisation contains it, literally; at most `limit`. */
  npisMatching(db: Db, text: string, limit: number): string[];
  /** The provider's name, or null when the NPI is not listed. */
  nameOf(db: Db, npi: string): string | null;
}

let installed: ProviderDirectory | null = null;

/** Called once per thread by the composition root, before any consent is searched. */
export function installProviderDirectory(directory: ProviderDirectory): void {
  installed = directory;
}

/** The installed directory; a search without one fails closed (a bulk revoke must not silently select fewer rows). */
export function providerDirectory(): ProviderDirectory {
  if (!installed) throw new AppError('INTERNAL', 'The provider directory was not handed to consents (installProviderDirectory) in this thread.');
  return installed;
}
