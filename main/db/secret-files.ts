// The data folder's small secret files (organisation key, facility secret), sealed at rest under the folder's secret:
// its database key, which the OS keychain or the passphrase unlocks and which is never written in clear.
// The envelope is main/host/sealed-file.ts (shared with the devnet keys); the domains read their files through here.
import fs from 'node:fs';
import path from 'node:path';
import { z } from 'zod';
import { AppError } from '../api/errors';
import { createFileOnce } from '../host/file-modes';
import { openEnvelope, replaceFileAtomically, sealEnvelope, type SealContext } from '../host/sealed-file';

const FORMAT = 'custodian-sealed-secret/1';
const b64 = z.string().regex(/^[A-Za-z0-9+/]+={0,2}$/);
const sealedSchema = z
  .object({ format: z.literal(FORMAT), purpose: z.string().min(1), keyId: z.string().regex(/^[0-9a-f]{16}$/), salt: b64, iv: b64, sealed: b64, tag: b64 })
  .strict();

/**
 * A kind of secret file. `purpose` is bound into the seal (a sealed facility secret put where the organisation key
 * belongs is refused as tampered); `codePrefix` names its errors (<prefix>_TAMPERED, _WRONG_SECRET, _UNREADABLE), and
 * `invalidCode` a file that is neither sealed nor plain (the code earlier versions gave a malformed file);
 * `parsePlain` reads an older version's plain file (null when the text is not one), `formatPlain` is its inverse.
 */
export interface SecretFileKind {
  purpose: string;
  codePrefix: string;
  invalidCode: string;
  /** How people name the file in messages ("The facility secret"). */
  title: string;
  parsePlain(text: string): Buffer | null;
  formatPlain(secret: Buffer): string;
}

// Which folders this process may open, by resolved path. Filled by the composition root (services, each job
// worker) right after it opened the folder's database with its key: the secret files are read lazily in many places
// (handlers, jobs, sync plug-ins) that know the folder but not its key, and none of them should hold the key.
const unlocked = new Map<string, Buffer>();

/** Lets this process open the secret files of `dataDir` with its folder secret (the 32-byte database key). */
export function unlockSecretFiles(dataDir: string, folderSecret: Buffer): void {
  if (folderSecret.length !== 32) throw new AppError('DB_KEY_WRONG', 'The data folder secret is 32 bytes.');
  unlocked.set(path.resolve(dataDir), Buffer.from(folderSecret));
}

/** Forgets a folder's secret (tests; a console closing its folder). */
export function lockSecretFiles(dataDir: string): void {
  unlocked.delete(path.resolve(dataDir));
}

function folderSecretOf(dataDir: string): Buffer | null {
  return unlocked.get(path.resolve(dataDir)) ?? null;
}

function contextOf(kind: SecretFileKind): SealContext {
  return { label: 'custodian sealed secret file/1', aad: Buffer.from(`${FORMAT}\n${kind.purpose}`, 'utf8') };
}

function sealedText(kind: SecretFileKind, secret: Buffer, folderSecret: Buffer): string {
  return `${JSON.stringify({ format: FORMAT, purpose: kind.purpose, ...sealEnvelope(secret, folderSecret, contextOf(kind)) })}\n`;
}

/**
 * The secret in `file` of `dataDir`. Sealed files need the folder unlocked in this process; a plain file of an older
 * version is sealed in place where the folder is unlocked, and read as it is where not (a database without a key:
 * tests only, since the console, the CLI and the job workers always unlock the folder first).
 */
export function readSecretFile(kind: SecretFileKind, dataDir: string, file: string): Buffer {
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch (err) {
    throw new AppError(`${kind.codePrefix}_UNREADABLE`, `${kind.title} at ${file} cannot be read (${(err as NodeJS.ErrnoException).code ?? 'error'}); restore it from its backup.`);
  }
  const folderSecret = folderSecretOf(dataDir);
  const plain = kind.parsePlain(text);
  if (plain) {
    // An older version's plain file: sealed in place the first time the folder is open (no plain copy is kept).
    if (folderSecret) replaceFileAtomically(file, sealedText(kind, plain, folderSecret));
    return plain;
  }
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch {
    raw = null;
  }
  const parsed = sealedSchema.safeParse(raw);
  if (!parsed.success) throw new AppError(kind.invalidCode, `${kind.title} at ${file} is not sealed and not 32 bytes of hex (an older version's plain file); restore it from its backup.`);
  const r = parsed.data;
  if (!folderSecret) {
    throw new AppError(`${kind.codePrefix}_WRONG_SECRET`, `${kind.title} at ${file} is sealed under the data folder's secret (its database key), and this process has not opened the folder with its key.`);
  }
  if (r.purpose !== kind.purpose) {
    throw new AppError(`${kind.codePrefix}_TAMPERED`, `${file} holds a sealed ${r.purpose}, not ${kind.title.toLowerCase()}: it was swapped, and was not used. Restore it from a backup of this data folder.`);
  }
  const opened = openEnvelope(r, folderSecret, contextOf(kind));
  if (!opened.ok && opened.reason === 'wrong-secret') {
    throw new AppError(`${kind.codePrefix}_WRONG_SECRET`, `${kind.title} at ${file} is sealed under another data folder's secret (its database key): it cannot be opened here. Restore the folder's own key files (secrets/db-key.*) or its own copy of the file.`);
  }
  if (!opened.ok || opened.plain.length !== 32) {
    throw new AppError(`${kind.codePrefix}_TAMPERED`, `${kind.title} at ${file} was changed after it was sealed (its seal does not verify): it was not used. Restore it from a backup of this data folder.`);
  }
  return opened.plain;
}

/** The secret of `kind`, made by `make` on the first call (written whole and linked into place: the first writer wins). */
export function loadOrCreateSecretFile(kind: SecretFileKind, dataDir: string, file: string, make: () => Buffer): Buffer {
  createFileOnce(file, () => {
    const folderSecret = folderSecretOf(dataDir);
    return folderSecret ? sealedText(kind, make(), folderSecret) : kind.formatPlain(make());
  });
  return readSecretFile(kind, dataDir, file);
}

/** Puts `secret` in place of the file (an install from another workstation): sealed where the folder is unlocked. */
export function replaceSecretFile(kind: SecretFileKind, dataDir: string, file: string, secret: Buffer): void {
  fs.mkdirSync(path.dirname(file), { recursive: true, mode: 0o700 });
  const folderSecret = folderSecretOf(dataDir);
  replaceFileAtomically(file, folderSecret ? sealedText(kind, secret, folderSecret) : kind.formatPlain(secret));
}
