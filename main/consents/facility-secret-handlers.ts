// Handler of the facility-secret channel: the fingerprint the Settings page and `custodian facility-secret
// fingerprint` show, so two workstations can compare secrets without either revealing it. Never creates one.
import type { HandlersFor } from '../api/channel';
import type { facilitySecretChannels } from '../api/system';
import type { RequestContext } from '../runtime/dispatcher';
import { secretFingerprint } from './facility-secret';
import { readFacilitySecret } from './pseudonym';

export function createFacilitySecretHandlers(deps: { dataDir: string }): HandlersFor<typeof facilitySecretChannels, RequestContext> {
  return {
    'facilitySecret.fingerprint': () => {
      const secret = readFacilitySecret(deps.dataDir);
      return { fingerprint: secret ? secretFingerprint(secret) : null };
    },
  };
}
