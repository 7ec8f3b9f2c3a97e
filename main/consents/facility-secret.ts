// The facility secret wrapped for transport between the workstations of one facility (`custodian facility-secret
// export|import`): scrypt from a passphrase, AES-256-GCM, and a fingerprint people can compare without the secret.
import crypto from 'node:crypto';
import { z } from 'zod';
import { AppError } from '../api/errors';

export const SECRET_FILE_FORMAT = 'custodian-facility-secret';
export const SECRET_FILE_VERSION = 1;
/** Passphrases shorter than this are refused at export: the file may travel on a USB stick or by e-mail. */
export const MIN_PASSPHRASE_LENGTH = 12;

export interface ScryptParams {
  N: number;
  r: number;
  p: number;
}
/** OWASP's scrypt recommendation (128 MiB, a few hundred ms): an export is rare, guessing should be dear. */
export const DEFAULT_SCRYPT: ScryptParams = { N: 2 ** 17, r: 8, p: 1 };
// Bounds on what a file may ask for, so a crafted file cannot make an import spend gigabytes or minutes.
const MAX_N = 2 ** 20;
const scryptMaxmem = ({ N, r, p }: ScryptParams) => 128 * N * r + 128 * r * p + 1024 * 1024;

// The fingerprint is an HMAC of a fixed label under the secret: equal for equal secrets, useless for recovering it.
const FINGERPRINT_LABEL = 'custodian facility-secret fingerprint v1';

/** 128 bits of HMAC-SHA256(secret, label) as eight groups of four hex digits, to read aloud or compare by eye. */
export function secretFingerprint(secret: Buffer): string {
  const hex = crypto.createHmac('sha256', secret).update(FINGERPRINT_LABEL, 'utf8').digest('hex').slice(0, 32);
  return hex.match(/.{4}/g)!.join('-');
}

const b64 = (bytes: number) =>
  z
    .string()
    .regex(/^[A-Za-z0-9+/]+={0,2}$/, 'must be base64')
    .refine((s) => Buffer.from(s, 'base64').length === bytes, `must be ${bytes} bytes`);

const wrappedSecretSchema = z
  .object({
    format: z.literal(SECRET_FILE_FORMAT),
    version: z.literal(SECRET_FILE_VERSION),
    fingerprint: z.string().regex(/^([0-9a-f]{4}-){7}[0-9a-f]{4}$/, 'must be 8 groups of 4 hex digits'),
    kdf: z
      .object({
        name: z.literal('scrypt'),
        N: z
          .number()
          .int()
          .min(2 ** 14)
          .max(MAX_N)
          .refine((n) => (n & (n - 1)) === 0, 'must be a power of two'),
        r: z.number().int().min(1).max(32),
        p: z.number().int().min(1).max(16),
        salt: b64(16),
      })
      .strict(),
    cipher: z.object({ name: z.literal('aes-256-gcm'), iv: b64(12), tag: b64(16) }).strict(),
    ciphertext: b64(32),
    exportedAt: z.string().datetime({ offset: true }),
  })
  .strict();
export type WrappedSecret = z.infer<typeof wrappedSecretSchema>;

/** Everything but the cipher's output is authenticated too: changing the fingerprint or the KDF breaks the tag. */
function associatedData(w: Pick<WrappedSecret, 'format' | 'version' | 'fingerprint' | 'kdf' | 'exportedAt'>): Buffer {
  const { name, N, r, p, salt } = w.kdf;
  return Buffer.from(JSON.stringify([w.format, w.version, w.fingerprint, name, N, r, p, salt, w.exportedAt]), 'utf8');
}

function deriveKey(passphrase: string, salt: Buffer, params: ScryptParams): Buffer {
  return crypto.scryptSync(passphrase.normalize('NFC'), salt, 32, { ...params, maxmem: scryptMaxmem(params) });
}

export function wrapSecret(secret: Buffer, passphrase: string, options: { kdf?: ScryptParams; now?: Date } = {}): WrappedSecret {
  if (secret.length !== 32) throw new AppError('FACILITY_SECRET_INVALID', `A facility secret is 32 bytes, not ${secret.length}.`);
  if (passphrase.length < MIN_PASSPHRASE_LENGTH) {
    throw new AppError('FACILITY_SECRET_PASSPHRASE_WEAK', `The passphrase must be at least ${MIN_PASSPHRASE_LENGTH} characters; the exported file may travel outside this machine.`);
  }
  const params = options.kdf ?? DEFAULT_SCRYPT;
  const salt = crypto.randomBytes(16);
  const iv = crypto.randomBytes(12);
  const header = {
    format: SECRET_FILE_FORMAT,
    version: SECRET_FILE_VERSION,
    fingerprint: secretFingerprint(secret),
    kdf: { name: 'scrypt' as const, ...params, salt: salt.toString('base64') },
    exportedAt: (options.now ?? new Date()).toISOString(),
  } as const;
  const cipher = crypto.createCipheriv('aes-256-gcm', deriveKey(passphrase, salt, params), iv);
  cipher.setAAD(associatedData(header));
  const ciphertext = Buffer.concat([cipher.update(secret), cipher.final()]);
  return {
    ...header,
    cipher: { name: 'aes-256-gcm', iv: iv.toString('base64'), tag: cipher.getAuthTag().toString('base64') },
    ciphertext: ciphertext.toString('base64'),
  };
}

/** Reads a wrapped-secret file's text: its shape checked field by field before any key is derived. */
export function parseWrappedSecret(text: string, source: string): WrappedSecret {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    throw new AppError('FACILITY_SECRET_FILE_INVALID', `${source} is not a facility-secret file (not JSON).`);
  }
  const parsed = wrappedSecretSchema.safeParse(json);
  if (!parsed.success) {
    const issues = parsed.error.issues.map((i) => ({ field: i.path.join('.') || '(file)', message: i.message }));
    throw new AppError('FACILITY_SECRET_FILE_INVALID', `${source} is not a usable facility-secret file: ${issues.map((i) => `${i.field} ${i.message}`).join('; ')}.`, { issues });
  }
  return parsed.data;
}

/**
 * The secret inside a wrapped file. GCM cannot tell a wrong passphrase from a changed file: both fail the tag,
 * and the message names both. A secret whose fingerprint is not the file's is refused too.
 */
export function unwrapSecret(w: WrappedSecret, passphrase: string): Buffer {
  const key = deriveKey(passphrase, Buffer.from(w.kdf.salt, 'base64'), w.kdf);
  const decipher = crypto.createDecipheriv('aes-256-gcm', key, Buffer.from(w.cipher.iv, 'base64'));
  decipher.setAAD(associatedData(w));
  decipher.setAuthTag(Buffer.from(w.cipher.tag, 'base64'));
  let secret: Buffer;
  try {
    secret = Buffer.concat([decipher.update(Buffer.from(w.ciphertext, 'base64')), decipher.final()]);
  } catch {
    throw new AppError('FACILITY_SECRET_UNWRAP_FAILED', 'The facility-secret file could not be opened: the passphrase is wrong, or the file was changed after it was exported.');
  }
  if (secretFingerprint(secret) !== w.fingerprint) {
    throw new AppError('FACILITY_SECRET_UNWRAP_FAILED', 'The facility-secret file could not be opened: the secret inside does not match the fingerprint the file names.');
  }
  return secret;
}
