// The operating system's keychain as Electron's `safeStorage` offers it (Keychain, DPAPI, libsecret/kwallet), and
// whether it protects a secret for real. The shell hands safeStorage in; it seals the database key and the signing key.

/** The part of Electron's `safeStorage` Custodian uses (same names, so the shell passes it as it is). */
export interface KeySealer {
  isEncryptionAvailable(): boolean;
  encryptString(plainText: string): Buffer;
  decryptString(encrypted: Buffer): string;
  /** Linux only in Electron: 'basic_text' means no keyring, i.e. a hard-coded key, which we refuse. */
  getSelectedStorageBackend?(): string;
}

export interface SealerReadiness {
  ready: boolean;
  /** The OS store in use, when Electron tells ('gnome_libsecret', 'kwallet5', …); null elsewhere. */
  backend: string | null;
  /** Why a key cannot be sealed here, for the Settings page. */
  reason: string | null;
}

/** Whether `sealer` protects a key for real; a plaintext-equivalent backend counts as not ready. */
export function sealerReadiness(sealer: KeySealer | null): SealerReadiness {
  if (!sealer) {
    return { ready: false, backend: null, reason: 'Only the desktop app can keep the key in the operating system keychain; browser mode and the CLI unlock the keystore with CUSTODIAN_KEYSTORE_PASSPHRASE.' };
  }
  const backend = sealer.getSelectedStorageBackend?.() ?? null;
  if (!sealer.isEncryptionAvailable()) return { ready: false, backend, reason: 'The operating system keychain is not available to this user session.' };
  if (backend === 'basic_text' || backend === 'unknown') {
    return { ready: false, backend, reason: 'No keyring (GNOME libsecret or KWallet) is running, so the key would be stored with a fixed, public key; start a keyring or keep using the passphrase.' };
  }
  return { ready: true, backend, reason: null };
}
