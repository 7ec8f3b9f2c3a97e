// Loads the key the sync engine signs with: the public devnet key for the embedded chain, or an ethers encrypted
// JSON keystore (chain.keystorePath) unlocked with CUSTODIAN_KEYSTORE_PASSPHRASE. The key stays in main.
import fs from 'node:fs';
import { Wallet, type HDNodeWallet } from 'ethers';
import { AppError } from '../api/errors';
import type { ChainConfig } from '../runtime/config';

export const KEYSTORE_PASSPHRASE_ENV = 'CUSTODIAN_KEYSTORE_PASSPHRASE';

export async function loadSigner(config: ChainConfig, embeddedKey: () => string | null, env: NodeJS.ProcessEnv = process.env): Promise<Wallet | HDNodeWallet> {
  if (config.mode === 'none') throw new AppError('SYNC_DISABLED', 'No chain is configured (chain mode "none"); nothing is signed.');
  if (config.mode === 'embedded') {
    const key = embeddedKey();
    if (!key) throw new AppError('SYNC_SIGNER_UNAVAILABLE', 'The embedded chain has not started yet; its signing key is not available.');
    return new Wallet(key);
  }
  if (!config.keystorePath) {
    throw new AppError('SYNC_SIGNER_UNAVAILABLE', 'No signing key configured: set chain.keystorePath in config.json (or CUSTODIAN_KEYSTORE) to an encrypted JSON keystore.');
  }
  const passphrase = env[KEYSTORE_PASSPHRASE_ENV];
  if (!passphrase) throw new AppError('SYNC_SIGNER_UNAVAILABLE', `Set ${KEYSTORE_PASSPHRASE_ENV} to unlock the keystore at ${config.keystorePath}.`);
  let json: string;
  try {
    json = fs.readFileSync(config.keystorePath, 'utf8');
  } catch (err) {
    throw new AppError('SYNC_SIGNER_UNAVAILABLE', `Cannot read the keystore at ${config.keystorePath}: ${(err as NodeJS.ErrnoException).code ?? 'unreadable'}.`);
  }
  try {
    return await Wallet.fromEncryptedJson(json, passphrase);
  } catch {
    // ethers' message may quote the JSON; say only what to check.
    throw new AppError('SYNC_SIGNER_UNAVAILABLE', `Cannot unlock the keystore at ${config.keystorePath}: wrong passphrase or not an encrypted JSON keystore.`);
  }
}
