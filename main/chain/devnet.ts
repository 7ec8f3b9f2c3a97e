// The embedded default chain: an anvil node whose state lives in the data folder, with our contracts deployed once.
// Started by the app (or CLI) when no external chain is configured; sync and pull then talk to its rpcUrl.
import { existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { Wallet, getAddress, keccak256, type JsonRpcProvider } from 'ethers';
import { z } from 'zod';
import { AppError } from '../api/errors';
import { CONTRACT_NAMES, loadArtifact, type ContractName } from './artifacts';
import { startAnvil, type AnvilNode } from './anvil';
import { removeAnvilPid, stopStaleAnvil, writeAnvilPid } from './anvil-pidfile';
import { constructorArgs, deployContract, deployContracts, ensureFacilitySigner, type DeployedContracts } from './deploy';
import { createProvider, TxSender } from './provider';

export const DEVNET_CHAIN_ID = 31337;

/**
 * Anvil's well-known dev account #0. This key is PUBLIC (anvil prints it at every start, as do the Foundry docs)
 * and holds value only on this local devnet. Never use it, or accept it, on any real network.
 */
export const DEVNET_SIGNER_KEY = '0xac0974bec39a17e36ba4a6b4d238ff944bacb478cbed5efcae784d7bf4f2ff80';

/** 'contract-added': the recorded deployment predates a contract this version adds; only that one is deployed. */
export type DeployReason = 'no-record' | 'chain-mismatch' | 'code-missing' | 'code-changed' | 'contract-added';

export interface DeploymentRecord {
  chainId: number;
  /** SharingAgreements and ClaimsLedger are missing from records written before they existed (completed on start). */
  contracts: RecordedContracts;
  deployedAt: string;
  /** keccak256 of each contract's runtime code as found on chain after deployment. */
  codeHashes: Partial<Record<ContractName, string>>;
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
  signerPrivateKey: string;
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
});

export function chainPaths(dataDir: string): { dir: string; stateFile: string; deploymentFile: string; pidFile: string } {
  const dir = path.join(dataDir, 'chain');
  return { dir, stateFile: path.join(dir, 'anvil-state.json'), deploymentFile: path.join(dir, 'deployment.json'), pidFile: path.join(dir, 'anvil.pid') };
}

/** Starts (or resumes) the embedded chain in `dataDir` and makes sure the contracts are deployed on it. */
export async function startEmbeddedChain(dataDir: string, consentFacilityId?: string): Promise<EmbeddedChain> {
  const paths = chainPaths(dataDir);
  mkdirSync(paths.dir, { recursive: true });
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
    const wallet = new Wallet(DEVNET_SIGNER_KEY, provider);
    const record = readDeploymentRecord(paths.deploymentFile);
    const deployReason = await checkDeployment(provider, record);
    const deployment =
      deployReason === null && record !== null
        ? record
        : deployReason === 'contract-added' && record !== null
          ? await deployMissingAndRecord(wallet, provider, record, paths.deploymentFile)
          : await deployAndRecord(wallet, provider, paths.deploymentFile);
    // The workstation's signer writes consents for its facility: governance (here the deployer) registers it.
    if (consentFacilityId) await ensureFacilitySigner(new TxSender(wallet), provider, deployment.contracts.ConsentLedger, wallet.address, consentFacilityId);
    return {
      rpcUrl: node.rpcUrl,
      chainId: DEVNET_CHAIN_ID,
      // Both deploy paths complete the set, and a reused record is complete (else 'contract-added').
      contracts: deployment.contracts as DeployedContracts,
      deployedAt: deployment.deployedAt,
      deployReason,
      signerPrivateKey: DEVNET_SIGNER_KEY,
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

async function deployAndRecord(
  wallet: Wallet,
  provider: JsonRpcProvider,
  deploymentFile: string,
): Promise<DeploymentRecord> {
  const contracts = await deployContracts(wallet);
  const codeHashes = await codeHashesOf(provider, contracts);
  const record = { chainId: DEVNET_CHAIN_ID, contracts, deployedAt: new Date().toISOString(), codeHashes };
  writeDeploymentRecord(deploymentFile, record);
  return record;
}

/** Deploys the contracts a recorded deployment lacks (added by a newer version), keeping the others and their state. */
async function deployMissingAndRecord(wallet: Wallet, provider: JsonRpcProvider, record: DeploymentRecord, deploymentFile: string): Promise<DeploymentRecord> {
  const sender = new TxSender(wallet);
  const admin = await wallet.getAddress();
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
async function checkDeployment(
  provider: JsonRpcProvider,
  record: DeploymentRecord | null,
): Promise<DeployReason | null> {
  if (record === null) return 'no-record';
  if (record.chainId !== DEVNET_CHAIN_ID) return 'chain-mismatch';
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
    return { ...r, contracts };
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
