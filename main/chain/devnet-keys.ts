// The embedded devnet's own keys: a GOVERNANCE key (deploys, administers every contract, registers facility
// signers, issuers and payers) and an OPERATING key (the workstation's sync signer), both random per data folder.
// Created at the first start in <data folder>/chain/devnet-keys.json (0600 in the 0700 chain folder), SEALED under the
// data folder's secret (its database key, which the OS keychain or the passphrase unlocks and which is never written
// in clear): AES-256-GCM under an HKDF subkey. Never logged, never returned to a page. anvil's public dev accounts
// only pay for gas at the start and hold no role.
import fs from 'node:fs';
import path from 'node:path';
import { Wallet } from 'ethers';
import { z } from 'zod';
import { AppError } from '../api/errors';
import { createFileOnce } from '../host/file-modes';
import { openEnvelope, replaceFileAtomically, sealEnvelope, type SealContext } from '../host/sealed-file';

/**
 * anvil's well-known dev accounts #0 and #1 (mnemonic "test test … junk"). PUBLIC: anvil prints them at every
 * start. On the embedded devnet they only fund this data folder's keys; they hold no role on any contract.
 * Test chains a fixture starts itself may still use them.
 */
export const ANVIL_DEV_KEYS = [
  '0xac0974bec39a17e36ba4a6b4d238ff944bacb478cbed5efcae784d7bf4f2ff80',
  '0x59c6995e998f97a5a0044966f0945389dc9e86dae88c7a8412f4603b6b78690d',
] as const;

/**
 * The address (never the key) of dev key #0, which signed this devnet's audit heads before each data folder had
 * its own operating key: retired by the 'dev-key' migration (devnet.ts), rotated from by audit/key-rotation.ts.
 */
export const RETIRED_DEVNET_HEAD_SIGNER = new Wallet(ANVIL_DEV_KEYS[0]).address;

const PLAIN_FORMAT = 'custodian-devnet-keys/1';
const FORMAT = 'custodian-devnet-keys/2';
const privateKey = z.string().regex(/^0x[0-9a-f]{64}$/);
const plainSchema = z.object({ format: z.literal(PLAIN_FORMAT), governance: privateKey, operating: privateKey }).strict();
const address = z.string().regex(/^0x[0-9a-fA-F]{40}$/);
const b64 = z.string().regex(/^[A-Za-z0-9+/]+={0,2}$/);
const sealedSchema = z
  .object({
    format: z.literal(FORMAT),
    /** The keys' addresses (public on chain anyway): bound into the seal, so they cannot be swapped. */
    governance: address,
    operating: address,
    /** Names the folder secret without revealing it (HMAC under the subkey): a wrong secret is told from tampering. */
    keyId: z.string().regex(/^[0-9a-f]{16}$/),
    salt: b64,
    iv: b64,
    sealed: b64,
    tag: b64,
  })
  .strict();

/** The data folder's secret the keys are sealed under: its 32-byte database key (never written in clear). */
export type FolderSecret = Buffer;

export interface DevnetKeys {
  /** Deploys and administers the contracts; registers facility signers, issuers and payers. Never sends a batch. */
  governance: Wallet;
  /** The workstation's sync signer: registered as its facility's signer, anchors its audit trail, records claims. */
  operating: Wallet;
}

export function devnetKeysFile(dataDir: string): string {
  return path.join(dataDir, 'chain', 'devnet-keys.json');
}

/** Whether `address` is one of anvil's public dev accounts. */
export function isAnvilDevAccount(address: string): boolean {
  return ANVIL_DEV_KEYS.some((k) => new Wallet(k).address.toLowerCase() === address.toLowerCase());
}

/**
 * This data folder's devnet keys, made on the first call. Two processes starting at once (console and CLI) agree:
 * the file is written whole under a temporary name and linked into place, so the first link wins and both read it.
 * A plain file of an older version is sealed in place (no plain copy is kept). An unreadable, tampered or foreign
 * file fails closed (DEVNET_KEYS_*) rather than making new keys that own nothing.
 */
export function loadOrCreateDevnetKeys(dataDir: string, secret: FolderSecret): DevnetKeys {
  const file = devnetKeysFile(dataDir);
  // The keys' folder is private even when an older version made it (the console also tightens the data folder).
  fs.mkdirSync(path.dirname(file), { recursive: true, mode: 0o700 });
  if (process.platform !== 'win32') fs.chmodSync(path.dirname(file), 0o700);
  createFileOnce(file, () => sealedText({ governance: Wallet.createRandom().privateKey, operating: Wallet.createRandom().privateKey }, secret));
  sealPlainFile(file, secret);
  return readDevnetKeys(file, secret);
}

/** The keys in `file`, unsealed with the folder's secret; errors name the file and what to do, never its content. */
export function readDevnetKeys(file: string, secret: FolderSecret): DevnetKeys {
  let raw: unknown;
  try {
    raw = JSON.parse(fs.readFileSync(file, 'utf8'));
  } catch {
    throw unreadable(file);
  }
  if (plainSchema.safeParse(raw).success) {
    throw new AppError('DEVNET_KEYS_PLAIN', `${file} holds the devnet keys in clear (an older version); start the console or CLI once to seal it.`);
  }
  const parsed = sealedSchema.safeParse(raw);
  if (!parsed.success) throw unreadable(file);
  const r = parsed.data;
  const opened = openEnvelope(r, secret, sealContext(r.governance, r.operating));
  if (!opened.ok && opened.reason === 'wrong-secret') {
    throw new AppError('DEVNET_KEYS_WRONG_SECRET', `${file} is sealed under another data folder's secret (its database key): it cannot be opened here. Restore the folder's own key files (secrets/db-key.*), or remove it (and chain/deployment.json) to start a new embedded chain with new keys.`);
  }
  let plain: { governance: string; operating: string };
  try {
    if (!opened.ok) throw new Error('seal');
    plain = z.object({ governance: privateKey, operating: privateKey }).strict().parse(JSON.parse(opened.plain.toString('utf8')));
  } catch {
    throw new AppError('DEVNET_KEYS_TAMPERED', `${file} was changed after it was sealed (its seal does not verify): it was not used. Restore it from a backup of this data folder, or remove it (and chain/deployment.json) to start a new embedded chain with new keys.`);
  }
  const keys = { governance: new Wallet(plain.governance), operating: new Wallet(plain.operating) };
  if (keys.governance.address !== r.governance || keys.operating.address !== r.operating) {
    throw new AppError('DEVNET_KEYS_TAMPERED', `${file}: the sealed keys do not match the addresses beside them; it was not used.`);
  }
  if (keys.governance.address === keys.operating.address || isAnvilDevAccount(keys.governance.address) || isAnvilDevAccount(keys.operating.address)) {
    throw new AppError('DEVNET_KEYS_UNREADABLE', `${file} names a public dev account or the same key twice; remove it to make new keys.`);
  }
  return keys;
}

/** Whether `file` holds the keys in clear (an older version's file, before it is sealed). */
export function isPlainDevnetKeysFile(file: string): boolean {
  try {
    return plainSchema.safeParse(JSON.parse(fs.readFileSync(file, 'utf8'))).success;
  } catch {
    return false;
  }
}

function unreadable(file: string): AppError {
  return new AppError('DEVNET_KEYS_UNREADABLE', `${file} is not this data folder's devnet key file. Restore it, or remove it (and chain/deployment.json) to start a new embedded chain with new keys.`);
}

/** A plain (older) file becomes the sealed one in place: written whole under a temporary name, then renamed over it. */
function sealPlainFile(file: string, secret: FolderSecret): void {
  let plain: z.infer<typeof plainSchema>;
  try {
    const parsed = plainSchema.safeParse(JSON.parse(fs.readFileSync(file, 'utf8')));
    if (!parsed.success) return;
    plain = parsed.data;
  } catch {
    return; // readDevnetKeys names it
  }
  replaceFileAtomically(file, sealedText(plain, secret));
}

/** The envelope's context: the HKDF label of format 2 and the addresses beside the seal, bound into its tag. */
function sealContext(governance: string, operating: string): SealContext {
  return { label: 'custodian devnet keys/2', aad: Buffer.from(`${FORMAT}\n${governance}\n${operating}`, 'utf8') };
}

function sealedText(keys: { governance: string; operating: string }, secret: FolderSecret): string {
  if (secret.length !== 32) throw new AppError('DEVNET_KEYS_WRONG_SECRET', 'The data folder secret is 32 bytes.');
  const governance = new Wallet(keys.governance).address;
  const operating = new Wallet(keys.operating).address;
  const envelope = sealEnvelope(Buffer.from(JSON.stringify({ governance: keys.governance, operating: keys.operating }), 'utf8'), secret, sealContext(governance, operating));
  return `${JSON.stringify({ format: FORMAT, governance, operating, ...envelope })}\n`;
}
