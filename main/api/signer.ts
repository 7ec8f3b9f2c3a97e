// Channels of the chain signing key on a real network: where it comes from, and (desktop app only) keeping it in
// the operating system's keychain. The key itself never crosses this boundary; the passphrase only inward.
import { z } from 'zod';
import { channel } from './channel';

export type SignerSource = 'devnet' | 'sealed' | 'keystore' | 'none';

export interface SignerKeyStatus {
  /** Chain mode of this workstation: the embedded devnet key is public and never sealed. */
  mode: 'embedded' | 'external' | 'none';
  /** Where the sync engine will take its key from next time it unlocks. */
  source: SignerSource;
  keystorePath: string | null;
  /** A sealed key exists for this data folder, with its address (readable without unsealing). */
  sealed: { address: string } | null;
  /** Whether this runtime can seal: only the desktop app with a real OS keychain. */
  canSeal: boolean;
  backend: string | null;
  reason: string | null;
}

export const signerChannels = {
  'signer.status': channel<SignerKeyStatus>()(z.object({}).strict(), 'sync.configure'),
  /** Unlocks chain.keystorePath with `passphrase` once and seals the key with the OS keychain (desktop app). */
  'signer.seal': channel<{ address: string; backend: string | null }>()(
    z.object({ passphrase: z.string().min(1, 'is required').max(1024) }).strict(),
    'sync.configure',
  ),
  /** Removes the sealed key; the keystore and its passphrase are needed again. */
  'signer.forget': channel<{ removed: boolean }>()(z.object({}).strict(), 'sync.configure'),
};
