// The embedded devnet's own keys: a GOVERNANCE key (deploys, administers every contract, registers facility
// signers, issuers and payers) and an OPERATING key (the workstation's sync signer), both random per data folder.
// Created at the first start in <data folder>/chain/devnet-keys.json (0600 in the 0700 chain folder); never logged,
// never returned to a page. anvil's public dev accounts only pay for gas at the start and hold no role.
import fs from 'node:fs';
import path from 'node:path';
import { Wallet } from 'ethers';
import { z } from 'zod';
import { AppError } from '../api/errors';
import { createFileOnce } from '../host/file-modes';

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

const FORMAT = 'custodian-devnet-keys/1';
const privateKey = z.string().regex(/^0x[0-9a-f]{64}$/);
const fileSchema = z.object({ format: z.literal(FORMAT), governance: privateKey, operating: privateKey }).strict();

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
 * An unreadable file fails closed (DEVNET_KEYS_UNREADABLE) rather than making new keys that own nothing.
 */
export function loadOrCreateDevnetKeys(dataDir: string): DevnetKeys {
  const file = devnetKeysFile(dataDir);
  // The keys' folder is private even when an older version made it (the console also tightens the data folder).
  fs.mkdirSync(path.dirname(file), { recursive: true, mode: 0o700 });
  if (process.platform !== 'win32') fs.chmodSync(path.dirname(file), 0o700);
  createFileOnce(file, () => {
    const record = { format: FORMAT, governance: Wallet.createRandom().privateKey, operating: Wallet.createRandom().privateKey };
    return `${JSON.stringify(record)}\n`;
  });
  return readDevnetKeys(file);
}

/** The keys in `file`; errors name the file and what to do, never its content. */
export function readDevnetKeys(file: string): DevnetKeys {
  let parsed: z.infer<typeof fileSchema>;
  try {
    parsed = fileSchema.parse(JSON.parse(fs.readFileSync(file, 'utf8')));
  } catch {
    throw new AppError(
      'DEVNET_KEYS_UNREADABLE',
      `${file} is not this data folder's devnet key file. Restore it, or remove it (and chain/deployment.json) to start a new embedded chain with new keys.`,
    );
  }
  const keys = { governance: new Wallet(parsed.governance), operating: new Wallet(parsed.operating) };
  if (keys.governance.address === keys.operating.address || isAnvilDevAccount(keys.governance.address) || isAnvilDevAccount(keys.operating.address)) {
    throw new AppError('DEVNET_KEYS_UNREADABLE', `${file} names a public dev account or the same key twice; remove it to make new keys.`);
  }
  return keys;
}
