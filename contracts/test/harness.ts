// Shared setup for the contract tests: one real node per test file (anvil, or EDR with CUSTODIAN_TEST_NODE=edr),
// funded signers, deploy and revert helpers.
// Not a test itself; each *.test.ts beside it starts its own chain in beforeAll and stops it in afterAll.
import {
  Contract,
  Wallet,
  hexlify,
  randomBytes,
  type Interface,
  type JsonRpcProvider,
  type LogDescription,
  type Result,
  type TransactionReceipt,
} from 'ethers';
import { compileContracts } from '../build';
import { loadArtifact, type ContractName } from '../../main/chain/artifacts';
import { deployContract } from '../../main/chain/deploy';
import { DEVNET_SIGNER_KEY } from '../../main/chain/devnet';
import { TxSender, createProvider, revertDataOf } from '../../main/chain/provider';
import { NodeControl, startTestNode, type TestNode } from '../../main/chain/test-node';

export interface Actor {
  wallet: Wallet;
  sender: TxSender;
  address: string;
}

export interface TestChain {
  node: TestNode;
  provider: JsonRpcProvider;
  /** Node-specific controls (balance, time, snapshots) through the capability table. */
  control: NodeControl;
  admin: Actor;
  /** A funded account holding no role. */
  stranger: Actor;
  /** Deploys `name` with the admin as constructor argument and returns a read-only binding. */
  deploy(name: ContractName): Promise<Contract>;
  stop(): Promise<void>;
}

export async function startTestChain(): Promise<TestChain> {
  compileContracts();
  const node = await startTestNode({ chainId: 31337 });
  const provider = createProvider(node.rpcUrl, node.chainId);
  const actor = (key: string): Actor => {
    const wallet = new Wallet(key, provider);
    return { wallet, sender: new TxSender(wallet), address: wallet.address };
  };
  const admin = actor(DEVNET_SIGNER_KEY);
  const stranger = actor(hexlify(randomBytes(32)));
  const control = new NodeControl(provider, node.caps);
  await control.setBalance(stranger.address, 100n * 10n ** 18n);
  return {
    node,
    provider,
    control,
    admin,
    stranger,
    async deploy(name) {
      const addr = await deployContract(admin.sender, name, [admin.address]);
      return new Contract(addr, loadArtifact(name).abi, provider);
    },
    async stop() {
      provider.destroy();
      await node.stop();
    },
  };
}

/** Sends `method(args)` on `contract` from `actor` and returns the receipt. */
export function call(actor: Actor, contract: Contract, method: string, args: unknown[]): Promise<TransactionReceipt> {
  return actor.sender.send(
    { to: contract.target as string, data: contract.interface.encodeFunctionData(method, args) },
    { decodeErrorsWith: contract.interface },
  );
}

/** Awaits `action`, requires it to revert with the custom error `errorName`, and returns the error's arguments. */
export async function expectRevert(action: Promise<unknown>, iface: Interface, errorName: string): Promise<Result> {
  let outcome: unknown;
  try {
    outcome = await action;
  } catch (err) {
    const data = revertDataOf(err);
    if (data === null) throw new Error(`expected revert ${errorName}, got an error without revert data: ${String(err)}`);
    const parsed = iface.parseError(data);
    if (parsed?.name !== errorName) {
      throw new Error(`expected revert ${errorName}, got ${parsed?.name ?? `unknown error ${data.slice(0, 10)}`}`);
    }
    return parsed.args;
  }
  throw new Error(`expected revert ${errorName}, but the call succeeded (${String(outcome)})`);
}

/** Decoded logs named `eventName` emitted by `contract` in `receipt`. */
export function eventsOf(receipt: TransactionReceipt, contract: Contract, eventName: string): LogDescription[] {
  const target = (contract.target as string).toLowerCase();
  return receipt.logs
    .filter((log) => log.address.toLowerCase() === target)
    .map((log) => contract.interface.parseLog(log))
    .filter((parsed): parsed is LogDescription => parsed !== null && parsed.name === eventName);
}

export function randomBytes32(): string {
  return hexlify(randomBytes(32));
}
