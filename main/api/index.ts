// The one typed contract between the renderer and main: every channel of every domain, merged.
// Pure TypeScript + zod: the renderer imports its types; main validates every call against it.
import { auditChannels, disclosureChannels } from './audit';
import { authChannels } from './auth';
import { claimsChannels } from './claims';
import type { AnyChannelMap, InputOf, ResultOf } from './channel';
import { consentsChannels } from './consents';
import { consentsBulkChannels } from './consents-bulk';
import { credentialChannels, issuerGovernanceChannels } from './credentials';
import { importsChannels } from './imports';
import { signerChannels } from './signer';
import { jobsChannels } from './jobs';
import { sharingChannels } from './sharing';
import { syncChannels } from './sync';
import { facilitySecretChannels, systemChannels } from './system';

export const api = {
  ...systemChannels,
  ...syncChannels,
  ...authChannels,
  ...auditChannels,
  ...disclosureChannels,
  ...credentialChannels,
  ...issuerGovernanceChannels,
  ...consentsChannels,
  ...consentsBulkChannels,
  ...importsChannels,
  ...signerChannels,
  ...jobsChannels,
  ...sharingChannels,
  ...facilitySecretChannels,
  ...claimsChannels,
} satisfies AnyChannelMap;

export type Api = typeof api;
export type ChannelName = keyof Api & string;
export type ChannelInput<K extends ChannelName> = InputOf<Api[K]>;
export type ChannelResult<K extends ChannelName> = ResultOf<Api[K]>;

/** The object the preload exposes as `window.custodian` and the HTTP client implements in browser mode. */
export interface CustodianBridge {
  invoke<K extends ChannelName>(channel: K, input: ChannelInput<K>): Promise<import('./errors').ApiResult<ChannelResult<K>>>;
  subscribe(listener: (message: import('./events').PushMessage) => void): () => void;
}

export const CHANNEL_NAMES = Object.keys(api) as ChannelName[];
export function isChannelName(name: string): name is ChannelName {
  return Object.prototype.hasOwnProperty.call(api, name);
}

export * from './audit';
export * from './auth';
export * from './channel';
export * from './claims';
export * from './consents';
export * from './consents-bulk';
export * from './credentials';
export * from './errors';
export * from './events';
export * from './imports';
export * from './jobs';
export * from './permissions';
export * from './signer';
export * from './sharing';
export * from './sync';
export * from './system';
