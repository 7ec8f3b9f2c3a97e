// Where Custodian keeps its data and which chain it talks to: the embedded local anvil by default, or a real
// EVM network from <data dir>/config.json or CUSTODIAN_* environment variables. Validated with zod at load.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { z } from 'zod';
import { AppError } from '../api/errors';

export const APP_NAME = 'Custodian';

/** The platform's user-data folder, the same one Electron's app.getPath('userData') gives for this app name. */
export function platformUserDataDir(platform: NodeJS.Platform = process.platform, env: NodeJS.ProcessEnv = process.env): string {
  const home = os.homedir();
  if (platform === 'win32') return path.join(env.APPDATA ?? path.join(home, 'AppData', 'Roaming'), APP_NAME);
  if (platform === 'darwin') return path.join(home, 'Library', 'Application Support', APP_NAME);
  return path.join(env.XDG_CONFIG_HOME ?? path.join(home, '.config'), APP_NAME);
}

/** --data-dir beats CUSTODIAN_HOME beats the platform's user-data folder. */
export function resolveDataDir(flag: string | undefined, env: NodeJS.ProcessEnv = process.env): string {
  const chosen = flag ?? env.CUSTODIAN_HOME ?? platformUserDataDir(process.platform, env);
  return path.resolve(chosen);
}

const address = z.string().regex(/^0x[0-9a-fA-F]{40}$/, 'must be a 0x-prefixed 20-byte hex address');

const externalChain = z
  .object({
    mode: z.literal('external'),
    rpcUrl: z.string().url(),
    chainId: z.number().int().positive(),
    contracts: z
      // SharingAgreements and ClaimsLedger are optional: without them their events stay queued ("not configured").
      .object({ ConsentLedger: address, AuditAnchor: address, CredentialRegistry: address, SharingAgreements: address.optional(), ClaimsLedger: address.optional() })
      .strict(),
    /** Encrypted JSON keystore (ethers) holding the signing key; unlocked with CUSTODIAN_KEYSTORE_PASSPHRASE. */
    keystorePath: z.string().min(1).optional(),
    confirmations: z.number().int().min(0).max(64).default(2),
    /**
     * 'finalized-if-supported': a batch is final once the node's 'finalized' block reaches it, when the node answers
     * that tag (else `confirmations` deep, and sync status says so); 'confirmations': always `confirmations` deep.
     */
    finality: z.enum(['finalized-if-supported', 'confirmations']).default('finalized-if-supported'),
    /** The most a transaction may bid per gas, in gwei: re-pricing a stuck one stops there (SYNC_FEE_CEILING). */
    maxFeePerGasGwei: z.number().positive().max(1_000_000).optional(),
    /** Block the contracts were deployed at: the puller starts there instead of reading the chain from genesis. */
    startBlock: z.number().int().min(0).default(0),
  })
  .strict();

const embeddedChain = z.object({ mode: z.literal('embedded') }).strict();
const noChain = z.object({ mode: z.literal('none') }).strict();

export const configSchema = z
  .object({
    chain: z.discriminatedUnion('mode', [embeddedChain, externalChain, noChain]).default({ mode: 'embedded' }),
    workstationId: z.string().min(1).max(64).optional(),
  })
  .strict();

export type CustodianConfig = z.output<typeof configSchema>;
export type ChainConfig = CustodianConfig['chain'];

export function configPath(dataDir: string): string {
  return path.join(dataDir, 'config.json');
}

/** Reads config.json (if any) and applies CUSTODIAN_RPC_URL, CUSTODIAN_CHAIN_ID, CUSTODIAN_CONTRACTS, CUSTODIAN_KEYSTORE over it. */
export function loadConfig(dataDir: string, env: NodeJS.ProcessEnv = process.env): CustodianConfig {
  const file = configPath(dataDir);
  let raw: Record<string, unknown> = {};
  if (fs.existsSync(file)) {
    try {
      raw = JSON.parse(fs.readFileSync(file, 'utf8')) as Record<string, unknown>;
    } catch (err) {
      throw new AppError('CONFIG_INVALID', `${file} is not valid JSON: ${(err as Error).message}`);
    }
  }
  if (env.CUSTODIAN_RPC_URL) {
    let contracts: unknown = undefined;
    if (env.CUSTODIAN_CONTRACTS) {
      try {
        contracts = JSON.parse(env.CUSTODIAN_CONTRACTS);
      } catch {
        throw new AppError('CONFIG_INVALID', 'CUSTODIAN_CONTRACTS must be JSON: {"ConsentLedger":"0x…","AuditAnchor":"0x…","CredentialRegistry":"0x…"}');
      }
    }
    raw = {
      ...raw,
      chain: {
        mode: 'external',
        rpcUrl: env.CUSTODIAN_RPC_URL,
        chainId: env.CUSTODIAN_CHAIN_ID ? Number(env.CUSTODIAN_CHAIN_ID) : undefined,
        contracts,
        ...(env.CUSTODIAN_KEYSTORE ? { keystorePath: env.CUSTODIAN_KEYSTORE } : {}),
      },
    };
  } else if (env.CUSTODIAN_CHAIN === 'none') {
    raw = { ...raw, chain: { mode: 'none' } };
  }
  const parsed = configSchema.safeParse(raw);
  if (!parsed.success) {
    const issues = parsed.error.issues.map((i) => `${i.path.join('.') || '(root)'}: ${i.message}`);
    throw new AppError('CONFIG_INVALID', `Configuration is invalid (${file} or CUSTODIAN_* variables): ${issues.join('; ')}`, { issues });
  }
  return parsed.data;
}
