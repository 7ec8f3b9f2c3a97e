// The embedded default chain: an anvil node whose state lives in the data folder, with our contracts deployed once
// by this data folder's own governance key (devnet-keys.ts). Started by the app (or CLI) when no external chain is
// configured; sync and pull then talk to its rpcUrl with the folder's operating key.
import { existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { Wallet, getAddress, keccak256, parseEther, type JsonRpcProvider } from 'ethers';
import { z } from 'zod';
import { AppError } from '../api/errors';
import { CONTRACT_NAMES, loadArtifact, type ContractName } from './artifacts';
import { startAnvil, type AnvilNode } from './anvil';
import { removeAnvilPid, stopStaleAnvil, writeAnvilPid } from './anvil-pidfile';
import { constructorArgs, deployContract, deployContracts, ensureOperatingRoles, type DeployedContracts } from './deploy';
import { ANVIL_DEV_KEYS, isAnvilDevAccount, loadOrCreateDevnetKeys, type DevnetKeys, type FolderSecret } from './devnet-keys';
import { createProvider, TxSender } from './provider';

export const DEVNET_CHAIN_ID = 31337;

/**
 * Anvil's well-known dev account #0. This key is PUBLIC (anvil prints it at every start, as do the Foundry docs).
 * For test chains a fixture starts itself; the embedded devnet never signs with it beyond funding its own keys
 * (main/chain/devnet-keys.ts), and it holds no role there. Never use it, or accept it, on any real network.
 */
export const DEVNET_SIGNER_KEY = ANVIL_DEV_KEYS[0];

/**
 * 'contract-added': the recorded deployment predates a contract this version adds; only that one is deployed.
 * 'dev-key': the recorded deployment was made (and is administered) by anvil's public dev key #0, as before the
 * devnet had keys of its own: every contract is deployed again under the folder's governance key.
 * 'governance-changed': the recorded deployment's admin is not this folder's governance key (the key file was
 * replaced): deployed again, as a deployment nobody here administers is of no use.
 */
export type DeployReason = 'no-record' | 'chain-mismatch' | 'code-missing' | 'code-changed' | 'contract-added' | 'dev-key' | 'governance-changed';

/** What each of this folder's keys is topped up to from dev account #0 when it runs low (devnet ETH only). */
const FUND_BELOW = parseEther('10');
const FUND_AMOUNT = parseEther('1000');

export interface DeploymentRecord {
  chainId: number;
  /** SharingAgreements and ClaimsLedger are missing from records written before they existed (completed on start). */
  contracts: RecordedContracts;
  deployedAt: string;
  /** keccak256 of each contract's runtime code as found on chain after deployment. */
  codeHashes: Partial<Record<ContractName, string>>;
  /** The governance address that deployed and administers the contracts; absent in records made by dev key #0. */
  governance?: string;
}

type AddedLater = 'SharingAgreements' | 'ClaimsLedger';
type RecordedContracts = Omit<DeployedContracts, AddedLater> & Partial<Pick<DeployedContracts, AddedLater>>;

export interface EmbeddedChain {
  rpcUrl: string;
  chainId: typeof DEVNET_CHAIN_ID;
  contracts: DeployedContracts;
  deployedAt: string;
  /** Why the contracts were deployed at this start, or null when the recorded deployment was reused. */
  deployReason: DeployReason | null;
  /** The folder's OPERATING key (the sync signer); the governance key stays in devnet-keys.json. Never logged. */
  signerPrivateKey: string;
  /** The addresses of the folder's keys (for status and tests). */
  governance: string;
  operator: string;
  node: AnvilNode;
  stop(): Promise<void>;
}

const address = z.string().regex(/^0x[0-9a-fA-F]{40}$/);
const hash = z.string().regex(/^0x[0-9a-fA-F]{64}$/);
// SharingAgreements and ClaimsLedger came later: a record written before them is still valid, and the next start
// deploys just them.
const contractMap = <T extends z.ZodType>(value: T) =>
  z.object({ ConsentLedger: value, AuditAnchor: value, CredentialRegistry: value, SharingAgreements: value.optional(), ClaimsLedger: value.optional() });
const recordSchema = z.object({
  chainId: z.number().int(),
  contracts: contractMap(address),
  deployedAt: z.string(),
  codeHashes: contractMap(hash),
  governance: address.optional(),
});

export function chainPaths(dataDir: string): { dir: string; stateFile: string; deploymentFile: string; pidFile: string } {
  const dir = path.join(dataDir, 'chain');
  return { dir, stateFile: path.join(dir, 'anvil-state.json'), deploymentFile: path.join(dir, 'deployment.json'), pidFile: path.join(dir, 'anvil.pid') };
}

/**
 * Starts (or resumes) the embedded chain in `dataDir` and makes sure the contracts are deployed on it. Its keys are
 * sealed under `secret`, the data folder's secret (its database key: devnet-keys.ts).
 */
export async function startEmbeddedChain(dataDir: string, secret: FolderSecret, consentFacilityId?: string): Promise<EmbeddedChain> {
  const paths = chainPaths(dataDir);
  mkdirSync(paths.dir, { recursive: true, mode: 0o700 });
  // An anvil left by a console that was killed (SIGKILL runs no exit handler) is stopped first.
  await stopStaleAnvil(paths.pidFile);
  const started = await startWithState(paths.stateFile);
  writeAnvilPid(paths.pidFile, started.pid, paths.stateFile);
  const node: AnvilNode = {
    ...started,
    stop: async () => {
      await started.stop();
      removeAnvilPid(paths.pidFile, started.pid);
    },
  };
  const provider = createProvider(node.rpcUrl, DEVNET_CHAIN_ID);
  try {
    const keys = loadOrCreateDevnetKeys(dataDir, secret);
    await fundFromDevAccount(provider, keys);
    const wallet = keys.governance.connect(provider);
    const governance = new TxSender(wallet);
    const record = readDeploymentRecord(paths.deploymentFile);
    const deployReason = await checkDeployment(provider, record, wallet.address);
    const deployment =
      deployReason === null && record !== null
        ? record
        : deployReason === 'contract-added' && record !== null
          ? await deployMissingAndRecord(governance, provider, record, paths.deploymentFile)
          : await deployAndRecord(wallet, governance, provider, paths.deploymentFile);
    // Governance hands the operating key what a workstation sends with (its facility's signer, its audit trail,
    // claims) and keeps only administration; idempotent, so every start checks it.
    const contracts = deployment.contracts as DeployedContracts;
    await ensureOperatingRoles(governance, provider, contracts, keys.operating.address, consentFacilityId);
    return {
      rpcUrl: node.rpcUrl,
      chainId: DEVNET_CHAIN_ID,
      // Both deploy paths complete the set, and a reused record is complete (else 'contract-added').
      contracts: deployment.contracts as DeployedContracts,
      deployedAt: deployment.deployedAt,
      deployReason,
      signerPrivateKey: keys.operating.privateKey,
      governance: keys.governance.address,
      operator: keys.operating.address,
      node,
      stop: async () => {
        provider.destroy();
        await node.stop();
      },
    };
  } catch (err) {
    provider.destroy();
    await node.stop();
    throw err;
  }
}

/**
 * Tops this folder's keys up from anvil's dev account #0 when they run low: the only thing a public dev account
 * does on the embedded devnet. Plain value transfers; the dev account gets no role anywhere.
 */
async function fundFromDevAccount(provider: JsonRpcProvider, keys: DevnetKeys): Promise<void> {
  const funder = new TxSender(new Wallet(ANVIL_DEV_KEYS[0], provider));
  for (const account of [keys.governance.address, keys.operating.address]) {
    if ((await provider.getBalance(account)) < FUND_BELOW) await funder.send({ to: account, value: FUND_AMOUNT });
  }
}

async function deployAndRecord(wallet: Wallet, governance: TxSender, provider: JsonRpcProvider, deploymentFile: string): Promise<DeploymentRecord> {
  const admin = wallet.address;
  const contracts = await deployContracts(wallet, admin, governance);
  const codeHashes = await codeHashesOf(provider, contracts);
  const record = { chainId: DEVNET_CHAIN_ID, contracts, deployedAt: new Date().toISOString(), codeHashes, governance: admin };
  writeDeploymentRecord(deploymentFile, record);
  return record;
}

/** Deploys the contracts a recorded deployment lacks (added by a newer version), keeping the others and their state. */
async function deployMissingAndRecord(sender: TxSender, provider: JsonRpcProvider, record: DeploymentRecord, deploymentFile: string): Promise<DeploymentRecord> {
  const admin = await sender.address();
  const contracts = { ...record.contracts };
  for (const name of CONTRACT_NAMES) {
    if (!record.contracts[name]) contracts[name] = await deployContract(sender, name, constructorArgs(name, admin));
  }
  const next = { ...record, contracts, codeHashes: await codeHashesOf(provider, contracts) };
  writeDeploymentRecord(deploymentFile, next);
  return next;
}

/** Starts anvil on the state file; an unreadable one (torn write, hand edit) is set aside and the chain starts empty. */
async function startWithState(stateFile: string): Promise<AnvilNode> {
  try {
    return await startAnvil({ stateFile, chainId: DEVNET_CHAIN_ID });
  } catch (err) {
    if (!(err instanceof AppError && err.code === 'ANVIL_STATE_UNREADABLE') || !existsSync(stateFile)) throw err;
    const aside = stateFile.replace(/\.json$/, `.unreadable-${Date.now()}.json`);
    renameSync(stateFile, aside);
    return startAnvil({ stateFile, chainId: DEVNET_CHAIN_ID });
  }
}

/** null when the recorded contracts are on chain with the code of the current artifacts; else why to deploy. */
async function checkDeployment(provider: JsonRpcProvider, record: DeploymentRecord | null, governance: string): Promise<DeployReason | null> {
  if (record === null) return 'no-record';
  if (record.chainId !== DEVNET_CHAIN_ID) return 'chain-mismatch';
  // Administered by a public key, or by a key this folder no longer holds: a deployment anyone (or no one) governs.
  if (record.governance === undefined || isAnvilDevAccount(record.governance)) return 'dev-key';
  if (record.governance.toLowerCase() !== governance.toLowerCase()) return 'governance-changed';
  const recorded = CONTRACT_NAMES.filter((name) => record.contracts[name] !== undefined);
  const onChain = await codeHashesOf(provider, record.contracts);
  for (const name of recorded) {
    if (onChain[name] !== record.codeHashes[name]) return 'code-missing';
  }
  // Our contracts have no immutables, so runtime code on chain equals the artifact's deployedBytecode.
  for (const name of recorded) {
    if (onChain[name] !== keccak256(loadArtifact(name).deployedBytecode)) return 'code-changed';
  }
  return recorded.length < CONTRACT_NAMES.length ? 'contract-added' : null;
}

async function codeHashesOf(
  provider: JsonRpcProvider,
  contracts: RecordedContracts,
): Promise<Partial<Record<ContractName, string>>> {
  const hashes: Partial<Record<ContractName, string>> = {};
  for (const name of CONTRACT_NAMES) {
    const address = contracts[name];
    if (address) hashes[name] = keccak256(await provider.getCode(address));
  }
  return hashes;
}

export function readDeploymentRecord(file: string): DeploymentRecord | null {
  if (!existsSync(file)) return null;
  try {
    const parsed = recordSchema.safeParse(JSON.parse(readFileSync(file, 'utf8')));
    if (!parsed.success) return null;
    const r = parsed.data;
    const contracts: RecordedContracts = {
      ConsentLedger: getAddress(r.contracts.ConsentLedger),
      AuditAnchor: getAddress(r.contracts.AuditAnchor),
      CredentialRegistry: getAddress(r.contracts.CredentialRegistry),
      ...(r.contracts.SharingAgreements ? { SharingAgreements: getAddress(r.contracts.SharingAgreements) } : {}),
      ...(r.contracts.ClaimsLedger ? { ClaimsLedger: getAddress(r.contracts.ClaimsLedger) } : {}),
    };
    const { governance, ...rest } = r;
    return { ...rest, contracts, ...(governance ? { governance: getAddress(governance) } : {}) };
  } catch {
    return null; // unreadable record: treated as missing, which redeploys
  }
}

/** Write-then-rename, so a crash leaves either the old record or the new one, never half of one. */
function writeDeploymentRecord(file: string, record: DeploymentRecord): void {
  const tmp = `${file}.${process.pid}.tmp`;
  writeFileSync(tmp, `${JSON.stringify(record, null, 2)}\n`);
  renameSync(tmp, file);
}
