// SharingAgreements against a real anvil: EIP-712 signatures of both parties over a salted commitment checked on chain
// (wrong chain, wrong contract, wrong signer, other terms rejected with named errors), replay, activation,
// termination, events carrying only the commitment and the sealed terms, gas.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Contract, Wallet, type TransactionReceipt } from 'ethers';
import { loadArtifact } from '../../main/chain/artifacts';
import { deployContract } from '../../main/chain/deploy';
import { sharingDomain, signAgreement, signTermination, type AgreementStruct } from '../../main/sharing/eip712';
import { newSalt, openTerms, sealTerms, termsCommitment, type SealedTerms } from '../../main/sharing/sealed-terms';
import { orgIdBytes, packScope, scopePartsOf } from '../../main/sharing/terms';
import { call, eventsOf, expectRevert, randomBytes32, startTestChain, type TestChain } from './harness';

let chain: TestChain;
let sharing: Contract;
let other: Contract;
const orgA = new Wallet(Wallet.createRandom().privateKey);
const orgB = new Wallet(Wallet.createRandom().privateKey);
const outsider = new Wallet(Wallet.createRandom().privateKey);
const TERMS = { direction: 'outbound' as const, purposes: ['TREAT' as const], categories: ['general' as const], orgA: 'GENHOSP', orgB: 'STMARY' };

beforeAll(async () => {
  chain = await startTestChain();
  const deploy = async () => new Contract(await deployContract(chain.admin.sender, 'SharingAgreements', []), loadArtifact('SharingAgreements').abi, chain.provider);
  sharing = await deploy();
  other = await deploy();
});

afterAll(async () => {
  await chain?.stop();
});

async function now(): Promise<number> {
  return (await chain.provider.getBlock('latest'))!.timestamp;
}

const sealed = new Map<string, SealedTerms>();

async function agreement(overrides: Partial<AgreementStruct> = {}): Promise<AgreementStruct> {
  const t = await now();
  const terms: SealedTerms = { salt: newSalt(), scope: packScope(scopePartsOf(TERMS)), orgA: orgIdBytes(TERMS.orgA), orgB: orgIdBytes(TERMS.orgB), validFrom: t - 60, validUntil: t + 86_400, documentHash: randomBytes32() };
  const a = { agreementId: randomBytes32(), commitment: termsCommitment(terms), partyA: orgA.address, partyB: orgB.address, ...overrides };
  sealed.set(a.agreementId, terms);
  return a;
}

const domainOf = (c: Contract, chainId = chain.node.chainId) => sharingDomain(chainId, c.target as string);

function proposal(a: AgreementStruct, signatureA: string) {
  return {
    agreementId: a.agreementId,
    partyA: a.partyA,
    partyB: a.partyB,
    commitment: a.commitment,
    sealedTerms: sealTerms(sealed.get(a.agreementId)!, a.agreementId, orgB.signingKey.publicKey),
    signatureA,
  };
}

async function propose(a: AgreementStruct, signer: Wallet = orgA, contract = sharing): Promise<TransactionReceipt> {
  return call(chain.stranger, contract, 'proposeBatch', [randomBytes32(), [proposal(a, await signAgreement(signer, domainOf(contract), a))]]);
}

async function signB(a: AgreementStruct, signature?: string): Promise<TransactionReceipt> {
  const sig = signature ?? (await signAgreement(orgB, domainOf(sharing), a));
  return call(chain.stranger, sharing, 'signBatch', [randomBytes32(), [{ agreementId: a.agreementId, party: orgB.address, signature: sig }]]);
}

describe('SharingAgreements', () => {
  it('computes the same EIP-712 digest as the off-chain helper (domain bound to chain id and contract)', async () => {
    const a = await agreement();
    const digest = await sharing.getFunction('agreementDigest')(a.agreementId, a.commitment, a.partyA, a.partyB);
    const { TypedDataEncoder } = await import('ethers');
    const { AGREEMENT_TYPES } = await import('../../main/sharing/eip712');
    expect(digest).toBe(TypedDataEncoder.hash(domainOf(sharing), AGREEMENT_TYPES, a));
    expect(digest).not.toBe(TypedDataEncoder.hash(domainOf(other), AGREEMENT_TYPES, a));
  });

  it('records a proposal signed by partyA, activates on partyB signature, with events, and measures gas', async () => {
    const a = await agreement();
    const proposed = await propose(a);
    const [ev] = eventsOf(proposed, sharing, 'AgreementProposed');
    expect(ev!.args.agreementId).toBe(a.agreementId);
    expect(ev!.args.commitment).toBe(a.commitment);
    // Only partyB's key opens the terms; they match the commitment both parties sign.
    const opened = openTerms(ev!.args.sealedTerms, a.agreementId, orgB.privateKey)!;
    expect(termsCommitment(opened)).toBe(a.commitment);
    expect(openTerms(ev!.args.sealedTerms, a.agreementId, orgA.privateKey)).toBeNull();
    expect(eventsOf(proposed, sharing, 'AgreementSigned').map((e) => e.args.party)).toEqual([orgA.address]);
    expect(await sharing.getFunction('isBinding')(a.agreementId)).toBe(false);

    const signed = await signB(a);
    expect(eventsOf(signed, sharing, 'AgreementSigned').map((e) => e.args.party)).toEqual([orgB.address]);
    expect(eventsOf(signed, sharing, 'AgreementActivated').map((e) => e.args.agreementId)).toEqual([a.agreementId]);
    expect(await sharing.getFunction('isBinding')(a.agreementId)).toBe(true);
    const state = await sharing.getFunction('agreementOf')(a.agreementId);
    expect([state.signedA, state.signedB, state.terminated]).toEqual([true, true, false]);
    console.log(`gas: proposeBatch(1) ${proposed.gasUsed}, signBatch(1) ${signed.gasUsed}`);
  });

  it('rejects a partner signature made for another chain id, another contract, or by another key (InvalidSigner)', async () => {
    const a = await agreement();
    await propose(a);
    const wrongChain = await signAgreement(orgB, domainOf(sharing, 1), a);
    const args = await expectRevert(signB(a, wrongChain), sharing.interface, 'InvalidSigner');
    expect(args[1]).toBe(orgB.address);
    expect(args[2]).not.toBe(orgB.address);
    await expectRevert(signB(a, await signAgreement(orgB, domainOf(other), a)), sharing.interface, 'InvalidSigner');
    await expectRevert(signB(a, await signAgreement(outsider, domainOf(sharing), a)), sharing.interface, 'InvalidSigner');
    await expectRevert(signB(a, await signAgreement(orgB, domainOf(sharing), { ...a, commitment: termsCommitment({ ...sealed.get(a.agreementId)!, salt: newSalt() }) })), sharing.interface, 'InvalidSigner');
    // A proposal not signed by its partyA is refused too.
    await expectRevert(propose(await agreement(), orgB), sharing.interface, 'InvalidSigner');
    expect(await sharing.getFunction('isBinding')(a.agreementId)).toBe(false);
  });

  it('rejects replays that would change anything: a batch id, another proposal of a taken id; the same write again only re-announces', async () => {
    const a = await agreement();
    const batchId = randomBytes32();
    const p = proposal(a, await signAgreement(orgA, domainOf(sharing), a));
    await call(chain.stranger, sharing, 'proposeBatch', [batchId, [p]]);
    expect((await expectRevert(call(chain.stranger, sharing, 'proposeBatch', [batchId, [p]]), sharing.interface, 'BatchAlreadyApplied'))[0]).toBe(batchId);
    // Another proposal under the taken id (another commitment, properly signed by partyA) is refused.
    const other = { ...a, commitment: termsCommitment({ ...sealed.get(a.agreementId)!, salt: newSalt() }) };
    await expectRevert(call(chain.stranger, sharing, 'proposeBatch', [randomBytes32(), [proposal(other, await signAgreement(orgA, domainOf(sharing), other))]]), sharing.interface, 'AgreementExists');
    // The very proposal again (a torn node state lost its events): announced again, nothing changes.
    const again = await call(chain.stranger, sharing, 'proposeBatch', [randomBytes32(), [p]]);
    expect(eventsOf(again, sharing, 'AgreementProposed').map((e) => e.args.commitment)).toEqual([a.commitment]);
    expect([...(await sharing.getFunction('agreementOf')(a.agreementId))]).toEqual([orgA.address, orgB.address, true, false, false]);
    await signB(a);
    const resigned = await signB(a);
    expect(eventsOf(resigned, sharing, 'AgreementSigned').map((e) => e.args.party)).toEqual([orgB.address]);
    expect(eventsOf(resigned, sharing, 'AgreementActivated')).toHaveLength(1);
    expect(await sharing.getFunction('isBinding')(a.agreementId)).toBe(true);
    const outsiderSig = await signAgreement(outsider, domainOf(sharing), a);
    await expectRevert(
      call(chain.stranger, sharing, 'signBatch', [randomBytes32(), [{ agreementId: a.agreementId, party: outsider.address, signature: outsiderSig }]]),
      sharing.interface,
      'NotAParty',
    );
    await expectRevert(signB({ ...a, agreementId: randomBytes32() }), sharing.interface, 'UnknownAgreement');
  });

  it('validates parties on proposal', async () => {
    await expectRevert(propose(await agreement({ partyB: orgA.address })), sharing.interface, 'InvalidParties');
  });

  it('lets either party terminate with its signature; a terminated agreement cannot be signed or proposed again', async () => {
    const a = await agreement();
    await propose(a);
    await signB(a);
    const forged = await signTermination(outsider, domainOf(sharing), a.agreementId, orgB.address);
    await expectRevert(
      call(chain.stranger, sharing, 'terminateBatch', [randomBytes32(), [{ agreementId: a.agreementId, party: orgB.address, signature: forged }]]),
      sharing.interface,
      'InvalidSigner',
    );
    const sig = await signTermination(orgB, domainOf(sharing), a.agreementId, orgB.address);
    const receipt = await call(chain.stranger, sharing, 'terminateBatch', [randomBytes32(), [{ agreementId: a.agreementId, party: orgB.address, signature: sig }]]);
    expect(eventsOf(receipt, sharing, 'AgreementTerminated').map((e) => e.args.party)).toEqual([orgB.address]);
    expect(await sharing.getFunction('isBinding')(a.agreementId)).toBe(false);
    // The same termination again only re-announces it: still terminated, never binding again.
    const again = await call(chain.stranger, sharing, 'terminateBatch', [randomBytes32(), [{ agreementId: a.agreementId, party: orgB.address, signature: sig }]]);
    expect(eventsOf(again, sharing, 'AgreementTerminated').map((e) => e.args.party)).toEqual([orgB.address]);
    expect(await sharing.getFunction('isBinding')(a.agreementId)).toBe(false);
    await expectRevert(signB(a), sharing.interface, 'AgreementIsTerminated');
    await expectRevert(propose(a), sharing.interface, 'AgreementExists');
    const b = await agreement();
    await propose(b);
    const byA = await signTermination(orgA, domainOf(sharing), b.agreementId, orgA.address);
    await call(chain.stranger, sharing, 'terminateBatch', [randomBytes32(), [{ agreementId: b.agreementId, party: orgA.address, signature: byA }]]);
    await expectRevert(signB(b), sharing.interface, 'AgreementIsTerminated');
    console.log(`gas: terminateBatch(1) ${receipt.gasUsed}`);
  });
});
