// Handlers of the signer channels: report where the sync key comes from, seal the keystore's key with the OS
// keychain (desktop app), forget it. Audited by the dispatcher with the address only; the passphrase and the
// key are never logged, returned or written anywhere but the sealed file.
import type { HandlersFor } from '../api/channel';
import { AppError } from '../api/errors';
import type { signerChannels, SignerKeyStatus } from '../api/signer';
import type { ChainConfig } from '../runtime/config';
import type { RequestContext } from '../runtime/dispatcher';
import type { SealedSigningKey } from './sealed-key';
import { KEYSTORE_PASSPHRASE_ENV, unlockKeystore } from './signer';

export interface SignerHandlerDeps {
  chain: ChainConfig;
  sealed: SealedSigningKey;
  env?: NodeJS.ProcessEnv;
}

export function createSignerHandlers(deps: SignerHandlerDeps): HandlersFor<typeof signerChannels, RequestContext> {
  const env = deps.env ?? process.env;
  return {
    'signer.status': () => {
      const readiness = deps.sealed.readiness();
      const sealedAddress = deps.sealed.address();
      const keystorePath = deps.chain.mode === 'external' ? (deps.chain.keystorePath ?? null) : null;
      const source: SignerKeyStatus['source'] =
        deps.chain.mode === 'none'
          ? 'none'
          : deps.chain.mode === 'embedded'
            ? 'devnet'
            : sealedAddress
              ? 'sealed'
              : keystorePath && env[KEYSTORE_PASSPHRASE_ENV]
                ? 'keystore'
                : 'none';
      return {
        mode: deps.chain.mode,
        source,
        keystorePath,
        sealed: sealedAddress ? { address: sealedAddress } : null,
        canSeal: readiness.ready && deps.chain.mode === 'external',
        backend: readiness.backend,
        reason: deps.chain.mode === 'external' ? readiness.reason : "The embedded chain signs with this data folder's own random operating key (chain/devnet-keys.json, readable by this OS user only); nothing to seal.",
      };
    },
    'signer.seal': async ({ passphrase }, ctx) => {
      if (deps.chain.mode !== 'external') {
        throw new AppError('SIGNER_SEAL_UNAVAILABLE', 'Only a real network\'s signing key is sealed; this workstation uses the embedded chain.');
      }
      if (!deps.chain.keystorePath) {
        throw new AppError('SIGNER_SEAL_UNAVAILABLE', 'No keystore is configured: set chain.keystorePath in config.json first.');
      }
      const readiness = deps.sealed.readiness();
      if (!readiness.ready) throw new AppError('SIGNER_SEAL_UNAVAILABLE', readiness.reason ?? 'The keychain is not available.');
      const wallet = await unlockKeystore(deps.chain.keystorePath, passphrase);
      // Fail closed: the entry commits before the sealed file is written; if it cannot be written, nothing is sealed.
      ctx.commit(() => ctx.audit({ details: { signer: wallet.address, backend: readiness.backend } }));
      const { address } = deps.sealed.seal(wallet.privateKey);
      return { address, backend: readiness.backend };
    },
    'signer.forget': async (_input, ctx) => {
      // Out of the dispatcher's transaction, so the entry commits before the sealed file is deleted (a rollback
      // cannot bring a deleted file back).
      await Promise.resolve();
      const address = deps.sealed.address();
      ctx.commit(() => ctx.audit({ details: { removing: address !== null, ...(address ? { signer: address } : {}) } }));
      return { removed: deps.sealed.forget() };
    },
  };
}
