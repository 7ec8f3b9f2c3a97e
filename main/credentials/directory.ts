// The credentials domain's answer to consents' ProviderDirectory port (consents/provider-directory.ts): its providers
// table, read through the store. Handed to consents by the composition root.
import type { ProviderDirectory } from '../consents/provider-directory';
import { providerByNpi, providerNpisMatching } from './store';

export const credentialsDirectory: ProviderDirectory = {
  npisMatching: providerNpisMatching,
  nameOf: (db, npi) => providerByNpi(db, npi)?.name ?? null,
};
