// The transport wrapping of the facility secret: round trip, wrong passphrase, every tampered field refused,
// bounds on what a file may ask of scrypt, and a fingerprint that identifies the secret without revealing it.
import crypto from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { DEFAULT_SCRYPT, parseWrappedSecret, secretFingerprint, unwrapSecret, wrapSecret, type WrappedSecret } from './facility-secret';

// The cheapest parameters a file may carry, so the table below stays quick; one test uses the defaults.
const FAST = { N: 2 ** 14, r: 8, p: 1 };
const secret = Buffer.alloc(32, 7);
const PASS = 'correct horse battery staple';
const wrapped = wrapSecret(secret, PASS, { kdf: FAST });
const reparse = (w: unknown) => parseWrappedSecret(JSON.stringify(w), 'secret.json');

function flipBase64(value: string): string {
  const bytes = Buffer.from(value, 'base64');
  bytes[0]! ^= 0x01;
  return bytes.toString('base64');
}

describe('wrapSecret / unwrapSecret', () => {
  it('round-trips through the file text with the default (OWASP) scrypt parameters', () => {
    const w = wrapSecret(secret, PASS);
    expect(w.kdf).toMatchObject({ name: 'scrypt', ...DEFAULT_SCRYPT });
    expect(unwrapSecret(reparse(w), PASS).equals(secret)).toBe(true);
  });

  it('uses a fresh salt and IV each time, so two exports of one secret differ', () => {
    const again = wrapSecret(secret, PASS, { kdf: FAST });
    expect(again.kdf.salt).not.toBe(wrapped.kdf.salt);
    expect(again.ciphertext).not.toBe(wrapped.ciphertext);
    expect(again.fingerprint).toBe(wrapped.fingerprint);
  });

  it('refuses a wrong passphrase', () => {
    expect(() => unwrapSecret(reparse(wrapped), `${PASS}!`)).toThrow(expect.objectContaining({ code: 'FACILITY_SECRET_UNWRAP_FAILED' }));
  });

  it('refuses a short passphrase at export', () => {
    expect(() => wrapSecret(secret, 'short')).toThrow(expect.objectContaining({ code: 'FACILITY_SECRET_PASSPHRASE_WEAK' }));
  });

  const tampered: [string, (w: WrappedSecret) => WrappedSecret][] = [
    ['ciphertext', (w) => ({ ...w, ciphertext: flipBase64(w.ciphertext) })],
    ['tag', (w) => ({ ...w, cipher: { ...w.cipher, tag: flipBase64(w.cipher.tag) } })],
    ['iv', (w) => ({ ...w, cipher: { ...w.cipher, iv: flipBase64(w.cipher.iv) } })],
    ['salt', (w) => ({ ...w, kdf: { ...w.kdf, salt: flipBase64(w.kdf.salt) } })],
    ['fingerprint', (w) => ({ ...w, fingerprint: secretFingerprint(Buffer.alloc(32, 8)) })],
    ['exportedAt', (w) => ({ ...w, exportedAt: '2020-01-01T00:00:00.000Z' })],
    ['kdf.r', (w) => ({ ...w, kdf: { ...w.kdf, r: 9 } })],
  ];
  it.each(tampered)('refuses a file whose %s was changed', (_field, change) => {
    expect(() => unwrapSecret(reparse(change(wrapped)), PASS)).toThrow(expect.objectContaining({ code: 'FACILITY_SECRET_UNWRAP_FAILED' }));
  });
});

describe('parseWrappedSecret', () => {
  const invalid: [string, unknown, RegExp][] = [
    ['another format', { ...wrapped, format: 'something-else' }, /format/],
    ['a future version', { ...wrapped, version: 2 }, /version/],
    ['an scrypt N that would take gigabytes', { ...wrapped, kdf: { ...wrapped.kdf, N: 2 ** 24 } }, /kdf\.N/],
    ['an N that is not a power of two', { ...wrapped, kdf: { ...wrapped.kdf, N: 20000 } }, /kdf\.N must be a power of two/],
    ['a short ciphertext', { ...wrapped, ciphertext: Buffer.alloc(16).toString('base64') }, /ciphertext must be 32 bytes/],
    ['an unknown field', { ...wrapped, secret: 'aa' }, /Unrecognized key/],
    ['a missing tag', { ...wrapped, cipher: { name: 'aes-256-gcm', iv: wrapped.cipher.iv } }, /cipher\.tag/],
  ];
  it.each(invalid)('names the field of %s', (_what, file, message) => {
    expect(() => reparse(file)).toThrow(expect.objectContaining({ code: 'FACILITY_SECRET_FILE_INVALID', message: expect.stringMatching(message) }));
  });

  it('refuses text that is not JSON, naming the file', () => {
    expect(() => parseWrappedSecret('{nope', 'usb/secret.json')).toThrow(/usb\/secret\.json is not a facility-secret file/);
  });
});

describe('secretFingerprint', () => {
  it('is stable per secret, differs between secrets, and holds nothing of the secret', () => {
    const fp = secretFingerprint(secret);
    expect(fp).toMatch(/^([0-9a-f]{4}-){7}[0-9a-f]{4}$/);
    expect(secretFingerprint(Buffer.from(secret))).toBe(fp);
    expect(secretFingerprint(crypto.randomBytes(32))).not.toBe(fp);
    const hex = fp.replace(/-/g, '');
    expect(secret.toString('hex')).not.toContain(hex.slice(0, 8));
    expect(crypto.createHmac('sha256', secret).update('custodian facility-secret fingerprint v1').digest('hex').startsWith(hex)).toBe(true);
  });

  it('is in the file, and is not the secret', () => {
    expect(wrapped.fingerprint).toBe(secretFingerprint(secret));
    expect(JSON.stringify(wrapped)).not.toContain(secret.toString('hex'));
    expect(JSON.stringify(wrapped)).not.toContain(secret.toString('base64'));
  });
});
