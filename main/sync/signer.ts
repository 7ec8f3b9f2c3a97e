// Loads the key the sync engine signs with: the data folder's own devnet operating key for the embedded chain
// (chain/devnet-keys.ts); on a real network the key sealed by the desktop app's OS keychain (sealed-key.ts), else an
// ethers encrypted JSON keystore (chain.keystorePath) unlocked with CUSTODIAN_KEYSTORE_PASSPHRASE. The key stays in main.
import fs from 'node:fs';
import { Wallet, type HDNodeWallet } from 'ethers';
import { AppError } from '../api/errors';
import type { ChainConfig } from '../runtime/config';
import type { SealedSigningKey } from './sealed-key';

export const KEYSTORE_PASSPHRASE_ENV = 'CUSTODIAN_KEYSTORE_PASSPHRASE';

export async function loadSigner(
  config: ChainConfig,
  embeddedKey: () => string | null,
  env: NodeJS.ProcessEnv = process.env,
  sealed: SealedSigningKey | null = null,
): Promise<Wallet | HDNodeWallet> {
  if (config.mode === 'none') throw new AppError('SYNC_DISABLED', 'No chain is configured (chain mode "none"); nothing is signed.');
  if (config.mode === 'embedded') {
    const key = embeddedKey();
    if (!key) throw new AppError('SYNC_SIGNER_UNAVAILABLE', 'The embedded chain has not started yet; its signing key is not available.');
    return new Wallet(key);
  }
  // The desktop app's sealed key wins: once an IT admin has unlocked the keystore there, no passphrase is needed.
  if (sealed?.exists()) return sealed.unseal();
  if (!config.keystorePath) {
    throw new AppError('SYNC_SIGNER_UNAVAILABLE', 'No signing key configured: set chain.keystorePath in config.json (or CUSTODIAN_KEYSTORE) to an encrypted JSON keystore.');
  }
  const passphrase = env[KEYSTORE_PASSPHRASE_ENV];
  if (!passphrase) {
    const hint = sealed?.readiness().ready ? ' or unlock it once in Settings → Signing key to keep it in the OS keychain' : '';
    throw new AppError('SYNC_SIGNER_UNAVAILABLE', `Set ${KEYSTORE_PASSPHRASE_ENV} to unlock the keystore at ${config.keystorePath}${hint}.`);
  }
  return unlockKeystore(config.keystorePath, passphrase);
}

/** Decrypts the ethers JSON keystore at `keystorePath`; errors name the file and what to check, never its content. */
export async function unlockKeystore(keystorePath: string, passphrase: string): Promise<Wallet | HDNodeWallet> {
  let json: string;
  try {
    json = fs.readFileSync(keystorePath, 'utf8');
  } catch (err) {
    throw new AppError('SYNC_SIGNER_UNAVAILABLE', `Cannot read the keystore at ${keystorePath}: ${(err as NodeJS.ErrnoException).code ?? 'unreadable'}.`);
  }
  try {
    return await Wallet.fromEncryptedJson(json, passphrase);
  } catch {
    // ethers' message may quote the JSON; say only what to check.
    throw new AppError('SYNC_SIGNER_UNAVAILABLE', `Cannot unlock the keystore at ${keystorePath}: wrong passphrase or not an encrypted JSON keystore.`);
  }
}
