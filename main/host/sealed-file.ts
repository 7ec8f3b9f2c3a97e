// The one envelope for secrets kept in the data folder (devnet keys, organisation key, facility secret): AES-256-GCM
// under an HKDF-SHA256 subkey of the folder's secret (its database key), with a per-file salt, and a crash-safe replace.
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { writePrivateTempFile } from './file-modes';

/** The sealed parts of a file (base64 but keyId): the caller stores them beside its own public fields. */
export interface SealedEnvelope {
  /** Names the folder secret without revealing it (HMAC under the subkey): a wrong secret is told from tampering. */
  keyId: string;
  salt: string;
  iv: string;
  sealed: string;
  tag: string;
}

/**
 * What the envelope is for: `label` feeds the HKDF (one label per file format, never changed once released) and
 * `aad` binds what the file says in clear (its purpose, public addresses) into the tag, so a sealed file cannot be
 * swapped for another or its clear fields edited.
 */
export interface SealContext {
  label: string;
  aad: Buffer;
}

export type OpenResult = { ok: true; plain: Buffer } | { ok: false; reason: 'wrong-secret' | 'tampered' };

const SECRET_BYTES = 32;

function subkey(secret: Buffer, salt: Buffer, label: string): { key: Buffer; keyId: string } {
  const key = Buffer.from(crypto.hkdfSync('sha256', secret, salt, label, 32));
  return { key, keyId: crypto.createHmac('sha256', key).update(`${label} key id`).digest('hex').slice(0, 16) };
}

/** Seals `plain` under the folder `secret` (32 bytes) for `context`; a fresh salt and IV every time. */
export function sealEnvelope(plain: Buffer, secret: Buffer, context: SealContext): SealedEnvelope {
  if (secret.length !== SECRET_BYTES) throw new RangeError('The data folder secret is 32 bytes.');
  const salt = crypto.randomBytes(16);
  const iv = crypto.randomBytes(12);
  const { key, keyId } = subkey(secret, salt, context.label);
  const cipher = crypto.createCipheriv('aes-256-gcm', key, iv);
  cipher.setAAD(context.aad);
  const sealed = Buffer.concat([cipher.update(plain), cipher.final()]);
  return { keyId, salt: salt.toString('base64'), iv: iv.toString('base64'), sealed: sealed.toString('base64'), tag: cipher.getAuthTag().toString('base64') };
}

/**
 * Opens an envelope: 'wrong-secret' when it was sealed under another folder secret (its key id differs; nothing is
 * decrypted), 'tampered' when the seal or anything bound into it does not verify. Never throws on bad input.
 */
export function openEnvelope(envelope: SealedEnvelope, secret: Buffer, context: SealContext): OpenResult {
  if (secret.length !== SECRET_BYTES) return { ok: false, reason: 'wrong-secret' };
  const { key, keyId } = subkey(secret, Buffer.from(envelope.salt, 'base64'), context.label);
  if (keyId !== envelope.keyId) return { ok: false, reason: 'wrong-secret' };
  try {
    const decipher = crypto.createDecipheriv('aes-256-gcm', key, Buffer.from(envelope.iv, 'base64'));
    decipher.setAAD(context.aad);
    decipher.setAuthTag(Buffer.from(envelope.tag, 'base64'));
    return { ok: true, plain: Buffer.concat([decipher.update(Buffer.from(envelope.sealed, 'base64')), decipher.final()]) };
  } catch {
    return { ok: false, reason: 'tampered' };
  }
}

/**
 * Replaces `file` with `text` so that a crash leaves the old file or the new one, never half of either: written
 * beside it under a private temporary name, fsynced, renamed over it, and the folder fsynced (where the OS allows).
 */
export function replaceFileAtomically(file: string, text: string): void {
  const tmp = writePrivateTempFile(file, text);
  try {
    fs.renameSync(tmp, file);
  } finally {
    fs.rmSync(tmp, { force: true });
  }
  if (process.platform !== 'win32') {
    const dir = fs.openSync(path.dirname(file), 'r');
    try {
      fs.fsyncSync(dir);
    } finally {
      fs.closeSync(dir);
    }
  }
}
