// Deploys the Custodian contracts from their artifacts, one transaction at a time.
// Called by devnet.ts on a fresh embedded chain and by tests; roles go to `admin` (the deployer by default).
import { ContractFactory, getAddress, Interface, type Provider, type Signer } from 'ethers';
import { AppError } from '../api/errors';
import { CONTRACT_NAMES, loadArtifact, type ContractName } from './artifacts';
import { TxSender } from './provider';

export type DeployedContracts = Record<ContractName, string>;

/** Contracts whose constructor takes no admin: SharingAgreements is authorised by the parties' signatures alone. */
const NO_ADMIN: ReadonlySet<ContractName> = new Set<ContractName>(['SharingAgreements']);

/** The constructor arguments of `name` when `owner` administers the deployment. */
export function constructorArgs(name: ContractName, owner: string): unknown[] {
  return NO_ADMIN.has(name) ? [] : [owner];
}

/** Deploys one contract whose constructor takes `args`; resolves with its address once code is there. */
export async function deployContract(sender: TxSender, name: ContractName, args: unknown[]): Promise<string> {
  const artifact = loadArtifact(name);
  const factory = new ContractFactory(artifact.abi, artifact.bytecode);
  const tx = await factory.getDeployTransaction(...args);
  const receipt = await sender.send({ data: tx.data }, { decodeErrorsWith: factory.interface });
  if (!receipt.contractAddress) {
    throw new AppError('CHAIN_DEPLOY_FAILED', `Deploying ${name} produced no contract address (tx ${receipt.hash}).`);
  }
  return getAddress(receipt.contractAddress);
}

/**
 * Deploys ConsentLedger, AuditAnchor, CredentialRegistry, SharingAgreements and ClaimsLedger in that order, each
 * constructed with `admin` where it takes one.
 * Pass the caller's `sender` when it has already sent from this wallet, so nonces stay in one place.
 */
export async function deployContracts(wallet: Signer, admin?: string, sender?: TxSender): Promise<DeployedContracts> {
  const txSender = sender ?? new TxSender(wallet);
  const owner = getAddress(admin ?? (await wallet.getAddress()));
  const deployed: Partial<DeployedContracts> = {};
  for (const name of CONTRACT_NAMES) deployed[name] = await deployContract(txSender, name, constructorArgs(name, owner));
  return deployed as DeployedContracts;
}

/**
 * Registers `signer` as a ConsentLedger facility signer of `facilityId` unless it already is. `governance` is the
 * ledger's default admin (the devnet's deployer); the signer is the workstation's operating key.
 */
export async function ensureFacilitySigner(governance: TxSender, provider: Provider, ledger: string, signer: string, facilityId: string): Promise<boolean> {
  const iface = new Interface(loadArtifact('ConsentLedger').abi);
  const current = iface.decodeFunctionResult('facilityOf', await provider.call({ to: ledger, data: iface.encodeFunctionData('facilityOf', [signer]) }))[0] as string;
  if (current.toLowerCase() === facilityId.toLowerCase()) return false;
  await governance.send({ to: ledger, data: iface.encodeFunctionData('setFacilitySigner', [signer, facilityId]) }, { decodeErrorsWith: iface });
  return true;
}
