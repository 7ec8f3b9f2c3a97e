// Deploys the Custodian contracts from their artifacts, one transaction at a time.
// Called by devnet.ts on a fresh embedded chain and by tests; roles go to `admin` (the deployer by default).
import { ContractFactory, getAddress, Interface, keccak256, toUtf8Bytes, type Provider, type Signer } from 'ethers';
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

const ANCHOR_ROLE = keccak256(toUtf8Bytes('ANCHOR_ROLE'));
const CUSTODIAN_ROLE = keccak256(toUtf8Bytes('CUSTODIAN_ROLE'));

/**
 * Splits governance from operations on a deployment whose constructors gave `governance` every role: the
 * operating key gets the roles a workstation sends with (AuditAnchor ANCHOR_ROLE, ClaimsLedger CUSTODIAN_ROLE and,
 * with `facilityId`, a ConsentLedger facility signer), and governance renounces those operating roles, keeping
 * only administration. Idempotent: each step is skipped when already done.
 */
export async function ensureOperatingRoles(governance: TxSender, provider: Provider, contracts: Pick<DeployedContracts, 'AuditAnchor' | 'ClaimsLedger' | 'ConsentLedger'>, operating: string, facilityId?: string): Promise<void> {
  const admin = await governance.address();
  for (const [name, role] of [['AuditAnchor', ANCHOR_ROLE], ['ClaimsLedger', CUSTODIAN_ROLE]] as const) {
    const iface = new Interface(loadArtifact(name).abi);
    const has = async (account: string) => iface.decodeFunctionResult('hasRole', await provider.call({ to: contracts[name], data: iface.encodeFunctionData('hasRole', [role, account]) }))[0] as boolean;
    if (!(await has(operating))) await governance.send({ to: contracts[name], data: iface.encodeFunctionData('grantRole', [role, operating]) }, { decodeErrorsWith: iface });
    if (admin.toLowerCase() !== operating.toLowerCase() && (await has(admin))) {
      await governance.send({ to: contracts[name], data: iface.encodeFunctionData('renounceRole', [role, admin]) }, { decodeErrorsWith: iface });
    }
  }
  if (facilityId) await ensureFacilitySigner(governance, provider, contracts.ConsentLedger, operating, facilityId);
}
