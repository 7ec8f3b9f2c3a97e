// The chain signing key sealed by the operating system's keychain (Electron's safeStorage: Keychain, DPAPI,
// libsecret/kwallet), so the desktop app signs without a passphrase in the environment. Node-only: the shell
// hands in safeStorage as a KeySealer; browser mode and the CLI have none and use the encrypted keystore.
import fs from 'node:fs';
import path from 'node:path';
import { Wallet } from 'ethers';
import { AppError } from '../api/errors';
import { sealerReadiness, type KeySealer, type SealerReadiness } from '../db/os-keychain';

export { sealerReadiness, type KeySealer, type SealerReadiness } from '../db/os-keychain';

const FILE_NAME = 'signing-key.sealed';
const FORMAT = 'custodian-sealed-signing-key/1';

/** `<data dir>/secrets/signing-key.sealed`: the format tag, the signer's address and the sealed private key. */
export class SealedSigningKey {
  readonly file: string;

  constructor(
    dataDir: string,
    private readonly sealer: KeySealer | null,
  ) {
    this.file = path.join(dataDir, 'secrets', FILE_NAME);
  }

  readiness(): SealerReadiness {
    return sealerReadiness(this.sealer);
  }

  exists(): boolean {
    return fs.existsSync(this.file);
  }

  /** The sealed key's address without unsealing it (for status), or null when there is none or it is unreadable. */
  address(): string | null {
    return this.read()?.address ?? null;
  }

  /** Seals `privateKey`; written to a temporary file and renamed, so a crash never leaves half a key. */
  seal(privateKey: string): { address: string } {
    const readiness = this.readiness();
    if (!readiness.ready || !this.sealer) throw new AppError('SIGNER_SEAL_UNAVAILABLE', readiness.reason ?? 'The keychain is not available.');
    const address = new Wallet(privateKey).address;
    const sealed = this.sealer.encryptString(privateKey).toString('base64');
    fs.mkdirSync(path.dirname(this.file), { recursive: true, mode: 0o700 });
    const tmp = `${this.file}.${process.pid}.tmp`;
    fs.writeFileSync(tmp, `${JSON.stringify({ format: FORMAT, address, sealed })}\n`, { mode: 0o600 });
    fs.renameSync(tmp, this.file);
    return { address };
  }

  /** The unsealed key; errors say what is wrong, never what the file holds. */
  unseal(): Wallet {
    if (!this.sealer) throw new AppError('SYNC_SIGNER_UNAVAILABLE', 'The signing key is sealed by the desktop app\'s keychain; only the desktop app can unseal it.');
    const record = this.read();
    if (!record) throw new AppError('SYNC_SIGNER_UNAVAILABLE', `The sealed signing key at ${this.file} is unreadable or not a Custodian sealed key; remove it in Settings and unlock the keystore again.`);
    let wallet: Wallet;
    try {
      wallet = new Wallet(this.sealer.decryptString(Buffer.from(record.sealed, 'base64')));
    } catch {
      throw new AppError('SYNC_SIGNER_UNAVAILABLE', 'The keychain could not unseal the signing key (a different OS user or a reset keychain); unlock the keystore again in Settings.');
    }
    if (wallet.address !== record.address) {
      throw new AppError('SYNC_SIGNER_UNAVAILABLE', 'The sealed signing key does not match the address recorded beside it; it was not used.');
    }
    return wallet;
  }

  /** Removes the sealed key; true when there was one. */
  forget(): boolean {
    if (!this.exists()) return false;
    fs.rmSync(this.file, { force: true });
    return true;
  }

  private read(): { address: string; sealed: string } | null {
    let raw: unknown;
    try {
      raw = JSON.parse(fs.readFileSync(this.file, 'utf8'));
    } catch {
      return null;
    }
    if (!raw || typeof raw !== 'object') return null;
    const r = raw as Record<string, unknown>;
    if (r.format !== FORMAT || typeof r.address !== 'string' || !/^0x[0-9a-fA-F]{40}$/.test(r.address) || typeof r.sealed !== 'string') return null;
    return { address: r.address, sealed: r.sealed };
  }
}
