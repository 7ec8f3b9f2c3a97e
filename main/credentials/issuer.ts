// The issuer tool (set-up, demos, tests): loads an issuer's key from hex or an encrypted keystore and signs a
// credential as EIP-712 typed data. Keys never appear in messages, logs or results: only the address does.
import fs from 'node:fs';
import { Wallet, type Signer } from 'ethers';
import { AppError } from '../api/errors';
import { checkCredentialFields, type RawFields, type SignedCredential } from './document';
import { credentialDigest, signCredentialFields, type CredentialDomain } from './eip712';
import { npiProblem } from '../api/npi';

export const ISSUER_PASSPHRASE_ENV = 'CUSTODIAN_ISSUER_PASSPHRASE';

const HEX_KEY = /^(0x)?[0-9a-fA-F]{64}$/;

/**
 * `spec` is a 32-byte hex private key or the path of an encrypted JSON keystore, whose passphrase comes from
 * CUSTODIAN_ISSUER_PASSPHRASE (never a command-line argument, which would land in shell history).
 */
export async function loadIssuerKey(spec: string, env: NodeJS.ProcessEnv = process.env): Promise<Wallet> {
  const trimmed = spec.trim();
  if (HEX_KEY.test(trimmed)) {
    try {
      return new Wallet(trimmed.startsWith('0x') ? trimmed : `0x${trimmed}`);
    } catch {
      throw new AppError('CREDENTIAL_ISSUER_KEY_INVALID', 'The issuer key is not a valid secp256k1 private key.');
    }
  }
  if (!fs.existsSync(trimmed)) {
    throw new AppError('CREDENTIAL_ISSUER_KEY_INVALID', '--issuer-key must be a 32-byte hex private key or the path of an encrypted JSON keystore (no such file).');
  }
  const passphrase = env[ISSUER_PASSPHRASE_ENV];
  if (!passphrase) throw new AppError('CREDENTIAL_ISSUER_KEY_INVALID', `The keystore is encrypted: set ${ISSUER_PASSPHRASE_ENV} to its passphrase.`);
  let json: string;
  try {
    json = fs.readFileSync(trimmed, 'utf8');
  } catch (err) {
    throw new AppError('CREDENTIAL_ISSUER_KEY_INVALID', `The keystore cannot be read: ${(err as NodeJS.ErrnoException).code ?? 'error'}.`);
  }
  try {
    const wallet = await Wallet.fromEncryptedJson(json, passphrase);
    return wallet instanceof Wallet ? wallet : new Wallet(wallet.privateKey);
  } catch {
    throw new AppError('CREDENTIAL_ISSUER_KEY_INVALID', 'The keystore could not be decrypted: wrong passphrase, or not an Ethereum JSON keystore.');
  }
}

/** Checks the fields, fills in the issuer as the signer's address, and signs for `domain`. */
export async function issueCredential(signer: Signer, domain: CredentialDomain, input: Omit<RawFields, 'issuer'> & { issuer?: unknown }): Promise<SignedCredential> {
  const issuer = await signer.getAddress();
  if (input.issuer !== undefined && typeof input.issuer === 'string' && input.issuer.toLowerCase() !== issuer.toLowerCase()) {
    throw new AppError('CREDENTIAL_MALFORMED', `The credential names issuer ${input.issuer}, but the key given signs as ${issuer}.`, { problems: [{ field: 'issuer', reason: 'differs from the signing key' }] });
  }
  const checked = checkCredentialFields({ ...input, issuer });
  if (!checked.ok) {
    throw new AppError('CREDENTIAL_MALFORMED', `Cannot issue the credential: ${checked.problems.map((p) => `${p.field} ${p.reason}`).join('; ')}.`, { problems: checked.problems });
  }
  const npi = npiProblem(checked.fields.npi);
  if (npi) throw new AppError('CREDENTIAL_INVALID_NPI', `Cannot issue the credential: NPI ${checked.fields.npi} is not valid (${npi}).`, { field: 'npi', reason: npi });
  const signature = (await signCredentialFields(signer, domain, checked.fields)).toLowerCase();
  return { domain, fields: checked.fields, signature, hash: credentialDigest(domain, checked.fields) };
}
