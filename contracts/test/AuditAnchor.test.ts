// AuditAnchor v2 against a real anvil, played as a hostile workstation holding ANCHOR_ROLE too: it cannot append to
// another workstation's trail (its anchor lands in its own), cannot block that trail's next anchor, and an anchored
// (trail, size) cannot be reused with another root. Also the devnet's limit: anvil_setStorageAt forges any head.
import { Wallet, id, hexlify, randomBytes, zeroPadValue, toBeHex, keccak256, AbiCoder, type Contract } from 'ethers';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TxSender } from '../../main/chain/provider';
import { auditRootSync } from '../../main/audit/sync-plugin';
import { call, eventsOf, expectRevert, randomBytes32, startTestChain, type Actor, type TestChain } from './harness';

const ZERO = `0x${'00'.repeat(32)}`;

let chain: TestChain;
let anchor: Contract;
let hostile: Actor;

beforeAll(async () => {
  chain = await startTestChain();
  anchor = await chain.deploy('AuditAnchor');
  const wallet = new Wallet(hexlify(randomBytes(32)), chain.provider);
  hostile = { wallet, sender: new TxSender(wallet), address: wallet.address };
  await chain.control.setBalance(hostile.address, 100n * 10n ** 18n);
  await call(chain.admin, anchor, 'grantRole', [id('ANCHOR_ROLE'), hostile.address]);
});

afterAll(async () => {
  await chain?.stop();
});

const anchorHead = (actor: Actor, size: number, root: string) => call(actor, anchor, 'anchorHead', [size, root]);
const headAt = async (trail: string, index: number) => {
  const [treeSize, rootHash] = (await anchor.getFunction('headAt')(trail, index)) as [bigint, string];
  return { treeSize: Number(treeSize), rootHash };
};

describe('AuditAnchor v2', () => {
  const roots = [randomBytes32(), randomBytes32(), randomBytes32(), randomBytes32()];

  it('rejects an anchor from an account without ANCHOR_ROLE', async () => {
    const args = await expectRevert(anchorHead(chain.stranger, 1, roots[0]!), anchor.interface, 'AccessControlUnauthorizedAccount');
    expect(args.toArray()).toEqual([chain.stranger.address, id('ANCHOR_ROLE')]);
  });

  it('anchors heads in the sender\'s own trail and emits HeadAnchored with the trail and index', async () => {
    const receipt = await anchorHead(chain.admin, 10, roots[0]!);
    expect(eventsOf(receipt, anchor, 'HeadAnchored')[0]?.args.toArray()).toEqual([chain.admin.address, 10n, roots[0], 0n]);
    await anchorHead(chain.admin, 25, roots[1]!);
    expect(await anchor.getFunction('headCount')(chain.admin.address)).toBe(2n);
    expect(await headAt(chain.admin.address, 1)).toEqual({ treeSize: 25, rootHash: roots[1] });
    const [root] = (await anchor.getFunction('rootOf')(chain.admin.address, 10)) as [string, bigint];
    expect(root).toBe(roots[0]);
    expect(((await anchor.getFunction('rootOf')(chain.admin.address, 11)) as [string])[0]).toBe(ZERO);
  });

  it('refuses an empty head', async () => {
    await expectRevert(anchorHead(chain.admin, 0, roots[2]!), anchor.interface, 'EmptyHead');
    await expectRevert(anchorHead(chain.admin, 30, ZERO), anchor.interface, 'EmptyHead');
  });

  it('refuses a head that does not grow the trail, naming the latest size', async () => {
    const args = await expectRevert(anchorHead(chain.admin, 20, roots[2]!), anchor.interface, 'TreeSizeNotGrowing');
    expect(args.toArray()).toEqual([chain.admin.address, 25n, 20n]);
  });

  it('refuses an anchored (trail, size) reused with a different root, naming both roots', async () => {
    const forged = randomBytes32();
    const args = await expectRevert(anchorHead(chain.admin, 10, forged), anchor.interface, 'HeadAlreadyAnchored');
    expect(args.toArray()).toEqual([chain.admin.address, 10n, roots[0], forged]);
    await expectRevert(anchorHead(chain.admin, 25, roots[1]!), anchor.interface, 'HeadAlreadyAnchored');
  });

  it('a hostile ANCHOR_ROLE holder "appending to my trail" lands in its own trail; my next anchor still lands', async () => {
    // There is no trail argument to aim at mine: its head of 1,000 entries goes into its own trail.
    const receipt = await anchorHead(hostile, 1000, randomBytes32());
    expect(eventsOf(receipt, anchor, 'HeadAnchored')[0]?.args[0]).toBe(hostile.address);
    expect(await anchor.getFunction('headCount')(chain.admin.address)).toBe(2n);
    // Reusing my ids (sizes) is fine for it: they are its own ids, and mine are untouched.
    await anchorHead(hostile, 1001, roots[1]!);
    const next = await anchorHead(chain.admin, 26, roots[3]!);
    expect(eventsOf(next, anchor, 'HeadAnchored')[0]?.args.toArray()).toEqual([chain.admin.address, 26n, roots[3], 2n]);
    expect(await headAt(chain.admin.address, 2)).toEqual({ treeSize: 26, rootHash: roots[3] });
  });

  it('plans within the sync engine\'s gas model for audit heads', async () => {
    const wallet = new Wallet(hexlify(randomBytes(32)), chain.provider);
    const fresh = { wallet, sender: new TxSender(wallet), address: wallet.address };
    await chain.control.setBalance(fresh.address, 100n * 10n ** 18n);
    await call(chain.admin, anchor, 'grantRole', [id('ANCHOR_ROLE'), fresh.address]);
    const firstGas = (await anchorHead(fresh, 5, randomBytes32())).gasUsed;
    const nextGas = (await anchorHead(fresh, 9, randomBytes32())).gasUsed;
    console.log(`AuditAnchor.anchorHead: ${firstGas} gas for a trail's first head, ${nextGas} for a following one`);
    expect(Number(firstGas)).toBeLessThanOrEqual(auditRootSync().gas.base);
  });

  it('on a devnet, setStorageAt (anvil_/hardhat_) forges a head: the devnet is no trust anchor against local processes', async () => {
    // _heads is the first own storage slot after AccessControl's _roles (slot 0): slot 1.
    const base = BigInt(keccak256(AbiCoder.defaultAbiCoder().encode(['address', 'uint256'], [chain.admin.address, 1])));
    const element = BigInt(keccak256(zeroPadValue(toBeHex(base), 32)));
    const forged = randomBytes32();
    await chain.control.setStorageAt(String(anchor.target), toBeHex(element, 32), forged);
    expect((await headAt(chain.admin.address, 0)).rootHash).toBe(forged);
  });
});
