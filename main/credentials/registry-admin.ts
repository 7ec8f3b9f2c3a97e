// Issuer governance on CredentialRegistry (GOVERNANCE_ROLE): register and remove issuers. Used by the CLI's
// `credentials register-issuer` / `revoke-issuer` with the data folder's devnet governance key, or a configured
// keystore on a real network.
import fs from 'node:fs';
import { getAddress, Wallet, type JsonRpcProvider, type TransactionReceipt } from 'ethers';
import { AppError } from '../api/errors';
import type { DevnetKeys } from '../chain/devnet-keys';
import { TxSender } from '../chain/provider';
import { credentialRegistryInterface } from './registry-client';

export const KEYSTORE_PASSPHRASE_ENV = 'CUSTODIAN_KEYSTORE_PASSPHRASE';

function addressOf(text: string, what: string): string {
  try {
    return getAddress(text);
  } catch {
    throw new AppError('VALIDATION_FAILED', `${what} must be a 0x-prefixed 20-byte address (EIP-55 checksum if mixed case).`);
  }
}

/**
 * The governance signer: on the embedded devnet the data folder's own governance key (chain/devnet-keys.json, made
 * at the chain's first start, sealed under the folder's secret), else the keystore from the configuration (passphrase in CUSTODIAN_KEYSTORE_PASSPHRASE).
 */
export async function governanceSigner(provider: JsonRpcProvider, chain: { mode: string; keystorePath?: string | undefined }, devnetKeys: () => DevnetKeys, env: NodeJS.ProcessEnv = process.env): Promise<Wallet> {
  if (chain.mode === 'embedded') return devnetKeys().governance.connect(provider);
  if (!chain.keystorePath) throw new AppError('CHAIN_SIGNER_MISSING', 'No keystore is configured for this network (chain.keystorePath): governance transactions cannot be signed.');
  const passphrase = env[KEYSTORE_PASSPHRASE_ENV];
  if (!passphrase) throw new AppError('CHAIN_SIGNER_MISSING', `Set ${KEYSTORE_PASSPHRASE_ENV} to unlock the configured keystore.`);
  try {
    const w = await Wallet.fromEncryptedJson(fs.readFileSync(chain.keystorePath, 'utf8'), passphrase);
    return new Wallet(w.privateKey, provider);
  } catch {
    throw new AppError('CHAIN_SIGNER_MISSING', 'The configured keystore could not be decrypted (wrong passphrase or not a keystore).');
  }
}

export async function registerIssuer(sender: TxSender, registry: string, issuer: string, name: string): Promise<TransactionReceipt> {
  const display = name.trim();
  if (display.length < 2 || display.length > 120) throw new AppError('VALIDATION_FAILED', 'The issuer name must be 2-120 characters (an organisation, not a person).');
  const iface = credentialRegistryInterface();
  return sender.send({ to: registry, data: iface.encodeFunctionData('registerIssuer', [addressOf(issuer, 'The issuer address'), display]) }, { decodeErrorsWith: iface });
}

export async function revokeIssuer(sender: TxSender, registry: string, issuer: string): Promise<TransactionReceipt> {
  const iface = credentialRegistryInterface();
  return sender.send({ to: registry, data: iface.encodeFunctionData('revokeIssuer', [addressOf(issuer, 'The issuer address')]) }, { decodeErrorsWith: iface });
}
