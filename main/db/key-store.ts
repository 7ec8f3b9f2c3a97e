// Where a data folder keeps its database key: a random 256-bit key, never written in clear, only sealed by the OS
// keychain (the desktop app's safeStorage) and/or wrapped under a passphrase (scrypt + AES-256-GCM; the CLI and
// browser mode). Both forms wrap the same key, so a folder the desktop app made opens from the CLI with a passphrase.
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { AppError } from '../api/errors';
import { dbKeyFromBytes, isPlainDatabaseFile, openDatabase, type DbKey } from './connection';
import { sealerReadiness, type KeySealer } from './os-keychain';

const SEALED_FORMAT = 'custodian-sealed-db-key/1';
const WRAPPED_FORMAT = 'custodian-wrapped-db-key/1';
/** OWASP's scrypt floor (N=2^17, r=8, p=1: 128 MiB, a fraction of a second); recorded in the file, so it can grow. */
export const SCRYPT = { N: 2 ** 17, r: 8, p: 1 } as const;
export const MIN_DB_PASSPHRASE = 12;

export interface DatabaseKeyFiles {
  sealed: string;
  wrapped: string;
}

export function databaseKeyFiles(dataDir: string): DatabaseKeyFiles {
  return { sealed: path.join(dataDir, 'secrets', 'db-key.sealed'), wrapped: path.join(dataDir, 'secrets', 'db-key.wrapped') };
}

export interface ResolveKeyOptions {
  dataDir: string;
  /** The database file; used only to tell a new folder (no key yet) from an encrypted one whose key is gone. */
  dbPath: string;
  /** The desktop app's keychain; null in browser mode and the CLI. */
  sealer?: KeySealer | null;
  /** CUSTODIAN_DB_PASSPHRASE or what the CLI asked for; null when none was given. */
  passphrase?: string | null;
}

/**
 * The data folder's database key: unsealed by the keychain, or unwrapped with the passphrase, or (first start, or a
 * plain database to be encrypted) made and stored in every form available. Fails closed: DB_KEY_MISSING when no
 * way to the key was given, DB_KEY_WRONG when the one given does not open it.
 */
export function resolveDatabaseKey(options: ResolveKeyOptions): DbKey {
  const files = databaseKeyFiles(options.dataDir);
  const sealer = options.sealer && sealerReadiness(options.sealer).ready ? options.sealer : null;
  const passphrase = options.passphrase ?? null;
  const hasSealed = fs.existsSync(files.sealed);
  const hasWrapped = fs.existsSync(files.wrapped);
  let key: Buffer;
  if (sealer && hasSealed) key = unseal(files.sealed, sealer);
  else if (hasWrapped && passphrase !== null) key = unwrap(files.wrapped, passphrase);
  else if (hasWrapped || hasSealed) {
    throw new AppError(
      'DB_KEY_MISSING',
      hasWrapped
        ? 'The database key is wrapped under a passphrase: set CUSTODIAN_DB_PASSPHRASE (or type it when asked).'
        : "The database key is sealed by the desktop app's keychain: open the desktop app, or give it a passphrase there first.",
    );
  } else {
    if (fs.existsSync(options.dbPath) && fs.statSync(options.dbPath).size > 0 && !isPlainDatabaseFile(options.dbPath)) {
      throw new AppError('DB_KEY_MISSING', 'The database is encrypted but this data folder keeps no key for it (secrets/db-key.* is gone).');
    }
    if (!sealer && passphrase === null) {
      throw new AppError('DB_KEY_MISSING', 'The database is encrypted at rest: set CUSTODIAN_DB_PASSPHRASE (12 characters or more) or use the desktop app with an OS keychain.');
    }
    key = crypto.randomBytes(32);
  }
  // Keep every form available, so the desktop app and the CLI can both open the folder.
  if (sealer && !hasSealed) writeSealed(files.sealed, sealer, key);
  if (passphrase !== null && !hasWrapped) writeWrapped(files.wrapped, passphrase, key);
  return dbKeyFromBytes(key);
}

function unseal(file: string, sealer: KeySealer): Buffer {
  const record = readJson(file);
  if (record?.format !== SEALED_FORMAT || typeof record.sealed !== 'string') throw new AppError('DB_KEY_WRONG', 'secrets/db-key.sealed is not a Custodian sealed database key.');
  let hex: string;
  try {
    hex = sealer.decryptString(Buffer.from(record.sealed, 'base64'));
  } catch {
    throw new AppError('DB_KEY_WRONG', "The keychain could not unseal the database key (a different OS user or a reset keychain); open it with the passphrase instead.");
  }
  if (!/^[0-9a-f]{64}$/.test(hex)) throw new AppError('DB_KEY_WRONG', 'The keychain unsealed something that is not a database key.');
  return Buffer.from(hex, 'hex');
}

function unwrap(file: string, passphrase: string): Buffer {
  const r = readJson(file);
  const kdf = r?.kdf as { N?: unknown; r?: unknown; p?: unknown; salt?: unknown } | undefined;
  if (r?.format !== WRAPPED_FORMAT || !kdf || typeof kdf.salt !== 'string' || typeof r.iv !== 'string' || typeof r.ciphertext !== 'string' || typeof r.tag !== 'string') {
    throw new AppError('DB_KEY_WRONG', 'secrets/db-key.wrapped is not a Custodian wrapped database key.');
  }
  const N = Number(kdf.N);
  const rr = Number(kdf.r);
  const p = Number(kdf.p);
  if (![N, rr, p].every(Number.isSafeInteger) || N < 2 ** 14 || N > 2 ** 22 || rr < 1 || rr > 32 || p < 1 || p > 16) throw new AppError('DB_KEY_WRONG', 'secrets/db-key.wrapped has out-of-range scrypt parameters.');
  const kek = derive(passphrase, Buffer.from(kdf.salt, 'base64'), { N, r: rr, p });
  try {
    const decipher = crypto.createDecipheriv('aes-256-gcm', kek, Buffer.from(r.iv, 'base64'));
    decipher.setAAD(Buffer.from(WRAPPED_FORMAT));
    decipher.setAuthTag(Buffer.from(r.tag, 'base64'));
    const key = Buffer.concat([decipher.update(Buffer.from(r.ciphertext, 'base64')), decipher.final()]);
    if (key.length !== 32) throw new Error('length');
    return key;
  } catch {
    throw new AppError('DB_KEY_WRONG', 'The passphrase does not unwrap the database key (CUSTODIAN_DB_PASSPHRASE is wrong).');
  }
}

function derive(passphrase: string, salt: Buffer, params: { N: number; r: number; p: number }): Buffer {
  return crypto.scryptSync(passphrase.normalize('NFC'), salt, 32, { ...params, maxmem: 256 * params.N * params.r + 2 ** 20 });
}

function writeSealed(file: string, sealer: KeySealer, key: Buffer): void {
  writeAtomically(file, { format: SEALED_FORMAT, sealed: sealer.encryptString(key.toString('hex')).toString('base64') });
}

function writeWrapped(file: string, passphrase: string, key: Buffer): void {
  if ([...passphrase].length < MIN_DB_PASSPHRASE) throw new AppError('VALIDATION_FAILED', `The database passphrase must be ${MIN_DB_PASSPHRASE} characters or more.`);
  const salt = crypto.randomBytes(16);
  const iv = crypto.randomBytes(12);
  const cipher = crypto.createCipheriv('aes-256-gcm', derive(passphrase, salt, SCRYPT), iv);
  cipher.setAAD(Buffer.from(WRAPPED_FORMAT));
  const ciphertext = Buffer.concat([cipher.update(key), cipher.final()]);
  writeAtomically(file, {
    format: WRAPPED_FORMAT,
    kdf: { name: 'scrypt', ...SCRYPT, salt: salt.toString('base64') },
    iv: iv.toString('base64'),
    ciphertext: ciphertext.toString('base64'),
    tag: cipher.getAuthTag().toString('base64'),
  });
}

/** Temporary file, fsync, rename: a crash never leaves half a key file (which would lock the folder for good). */
function writeAtomically(file: string, record: object): void {
  fs.mkdirSync(path.dirname(file), { recursive: true, mode: 0o700 });
  const tmp = `${file}.${process.pid}.tmp`;
  const fd = fs.openSync(tmp, 'w', 0o600);
  try {
    fs.writeSync(fd, `${JSON.stringify(record)}\n`);
    fs.fsyncSync(fd);
  } finally {
    fs.closeSync(fd);
  }
  fs.renameSync(tmp, file);
}

function readJson(file: string): Record<string, unknown> | null {
  try {
    const v: unknown = JSON.parse(fs.readFileSync(file, 'utf8'));
    return v && typeof v === 'object' ? (v as Record<string, unknown>) : null;
  } catch {
    return null;
  }
}

/**
 * Opens a data folder's database with its key from the passphrase (CUSTODIAN_DB_PASSPHRASE by default): for the
 * tools and tests that read a folder the console wrote. Never creates a key: a folder without one fails closed.
 */
export function openDataFolderDatabase(dataDir: string, options: { passphrase?: string; readonly?: boolean; nativeBinding?: string } = {}) {
  const dbPath = path.join(dataDir, 'custodian.sqlite');
  const files = databaseKeyFiles(dataDir);
  if (!fs.existsSync(files.wrapped)) throw new AppError('DB_KEY_MISSING', 'This data folder keeps no passphrase-wrapped database key.');
  const passphrase = options.passphrase ?? process.env.CUSTODIAN_DB_PASSPHRASE ?? null;
  if (passphrase === null) throw new AppError('DB_KEY_MISSING', 'Set CUSTODIAN_DB_PASSPHRASE to open this data folder.');
  return openDatabase(dbPath, {
    key: dbKeyFromBytes(unwrap(files.wrapped, passphrase)),
    ...(options.readonly ? { readonly: true } : {}),
    ...(options.nativeBinding ? { nativeBinding: options.nativeBinding } : {}),
  });
}
