// This data folder's organisation identity: a secp256k1 signing key kept in <data dir>/secrets/org-key (0600, sealed
// under the folder's database key by db/secret-files.ts; never in the database, the renderer or a log) and the organisation id partners know it by (sharing_identity).
// Two data folders on one chain therefore sign agreements with different addresses.
import path from 'node:path';
import { Wallet } from 'ethers';
import { AppError } from '../api/errors';
import type { Db } from '../db/connection';
import { loadOrCreateSecretFile, type SecretFileKind } from '../db/secret-files';
import { ORG_ID_PATTERN } from './terms';

export interface OrgIdentity {
  orgId: string;
  address: string;
  /** Compressed public key: partners seal agreement terms to it (it names an organisation's key, not a person). */
  publicKey: string;
}

export function orgKeyPath(dataDir: string): string {
  return path.join(dataDir, 'secrets', 'org-key');
}

/** The organisation key's file: ORG_KEY_TAMPERED / _WRONG_SECRET / _UNREADABLE, SHARING_KEY_INVALID when malformed. */
export const ORG_KEY_FILE: SecretFileKind = {
  purpose: 'organisation key',
  codePrefix: 'ORG_KEY',
  invalidCode: 'SHARING_KEY_INVALID',
  title: 'The organisation key',
  parsePlain: (text) => (/^0x[0-9a-f]{64}$/.test(text.trim()) ? Buffer.from(text.trim().slice(2), 'hex') : null),
  formatPlain: (key) => `0x${key.toString('hex')}\n`,
};

/** The organisation's signing key, created on first use (written whole, then linked into place); sealed at rest. */
export function loadOrCreateOrgWallet(dataDir: string): Wallet {
  const key = loadOrCreateSecretFile(ORG_KEY_FILE, dataDir, orgKeyPath(dataDir), () => Buffer.from(Wallet.createRandom().privateKey.slice(2), 'hex'));
  return new Wallet(`0x${key.toString('hex')}`);
}

/** The identity row, created with a default id (ORG-<address prefix>) the first time; the address follows the key. */
export function ensureIdentity(db: Db, wallet: Wallet, now: Date = new Date()): OrgIdentity {
  const row = db.prepare(`SELECT org_id, address FROM sharing_identity WHERE id = 1`).get() as { org_id: string; address: string } | undefined;
  const at = now.toISOString();
  if (!row) {
    const orgId = `ORG-${wallet.address.slice(2, 8).toUpperCase()}`;
    db.prepare(`INSERT INTO sharing_identity (id, org_id, address, created_at, updated_at) VALUES (1, ?, ?, ?, ?)`).run(orgId, wallet.address, at, at);
    return { orgId, address: wallet.address, publicKey: wallet.signingKey.compressedPublicKey };
  }
  if (row.address !== wallet.address) {
    db.prepare(`UPDATE sharing_identity SET address = ?, updated_at = ? WHERE id = 1`).run(wallet.address, at);
  }
  return { orgId: row.org_id, address: wallet.address, publicKey: wallet.signingKey.compressedPublicKey };
}

export function setOrgId(db: Db, orgId: string, now: Date = new Date()): void {
  if (!ORG_ID_PATTERN.test(orgId)) {
    throw new AppError('VALIDATION_FAILED', `orgId: "${orgId}" must be 2-31 letters, digits, dot, dash or underscore, starting with a letter or digit.`, { issues: [{ field: 'orgId', message: 'invalid organisation id' }] });
  }
  const changed = db.prepare(`UPDATE sharing_identity SET org_id = ?, updated_at = ? WHERE id = 1`).run(orgId, now.toISOString()).changes;
  if (changed !== 1) throw new AppError('NOT_FOUND', 'The organisation identity is not set up yet.');
}
