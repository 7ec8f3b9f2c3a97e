// Forged pulled consent changes, as a local process on a devnet could make them: events from a contract at another
// address, and events from code swapped in at the ledger's own address (anvil_setCode through the capability
// table) that replay our sealed terms under a writer of ANOTHER facility. The puller reads only the ledger's address
// and applies a change only when its writer was a registered signer of our facility at that block.
import { createRequire } from 'node:module';
import path from 'node:path';
import { ContractFactory, Interface, Wallet, id, type Log } from 'ethers';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadArtifact } from '../chain/artifacts';
import { DEVNET_SIGNER_KEY } from '../chain/devnet';
import { TxSender } from '../chain/provider';
import { statusFixture } from './fixtures/status';
import { SqlConsentSink } from '../consents/consent-sink';
import { patientValues, PATIENT_STORED_COLUMNS } from '../consents/patient-columns';
import { consentPayload, enqueue, openTestDb, pseudonymOf, registerConsentSigner, startTestChain, tempDir, testEngine, TEST_PATIENTS, TEST_SEALER, testRegistry, workstationKey, type TestChain } from './fixtures/chain';
import { heldPulledChanges } from './handlers';
import { ChainPuller } from './puller';
import { formatSyncStatus } from './report-text';

const FORGER = `// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;
contract Forger {
    event ConsentChanged(bytes32 indexed opKey, bytes32 facilityId, uint256 state, bytes sealedTerms);
    mapping(address => bytes32) private facilities;
    function setFacility(address signer, bytes32 facilityId) external { facilities[signer] = facilityId; }
    function facilityOf(address signer) external view returns (bytes32) { return facilities[signer]; }
    function forge(bytes32 opKey, bytes32 facilityId, uint256 state, bytes calldata sealedTerms) external { emit ConsentChanged(opKey, facilityId, state, sealedTerms); }
}`;

function compileForger(): { abi: Interface; bytecode: string; runtime: string } {
  const solc = createRequire(import.meta.url)('solc') as { compile(input: string): string };
  const out = JSON.parse(
    solc.compile(JSON.stringify({ language: 'Solidity', sources: { 'Forger.sol': { content: FORGER } }, settings: { outputSelection: { '*': { '*': ['abi', 'evm.bytecode.object', 'evm.deployedBytecode.object'] } } } })),
  ) as { contracts: Record<string, Record<string, { abi: unknown[]; evm: { bytecode: { object: string }; deployedBytecode: { object: string } } }>> };
  const c = out.contracts['Forger.sol']!.Forger!;
  return { abi: new Interface(c.abi as never), bytecode: `0x${c.evm.bytecode.object}`, runtime: `0x${c.evm.deployedBytecode.object}` };
}

const OTHER_FACILITY = id('another facility');
let chain: TestChain;
let dir: string;

beforeAll(async () => {
  chain = await startTestChain();
  dir = tempDir('forged-pull');
});
afterAll(async () => {
  await chain?.stop();
});

describe('attacker: forged pulled consent changes', () => {
  it('applies a change by a signer registered at its block (removed since), ignores a forger at another address, and keeps one written by a signer of another facility as UNREGISTERED_WRITER', async () => {
    const ledger = new Interface(loadArtifact('ConsentLedger').abi);
    const governance = new TxSender(new Wallet(DEVNET_SIGNER_KEY, chain.provider));
    const attacker = new TxSender(new Wallet(DEVNET_SIGNER_KEY, chain.provider));

    // A workstation of our facility writes a permit, then governance removes its key (a retired workstation).
    const writerKey = await workstationKey(chain);
    const writer = new Wallet(writerKey).address;
    const sender = openTestDb(path.join(dir, 'sender.sqlite'));
    enqueue(sender, 'consent.change', [consentPayload({ patient: 0, seq: 1 }, 0)]);
    const engine = testEngine(sender, chain, { signerKey: writerKey, pull: false });
    await engine.runUntilDrained();
    await engine.stop();
    const [genuine] = (await chain.provider.getLogs({ address: chain.contracts.ConsentLedger, topics: [ledger.getEvent('ConsentChanged')!.topicHash] })) as Log[];
    const g = ledger.parseLog({ topics: [...genuine!.topics], data: genuine!.data })!;
    expect(String(g.args.facilityId).toLowerCase()).toBe(TEST_SEALER.facilityId);
    await governance.send({ to: chain.contracts.ConsentLedger, data: ledger.encodeFunctionData('setFacilitySigner', [writer, `0x${'00'.repeat(32)}`]) });

    // A signer of ANOTHER facility, registered by governance: a real ledger never lets it touch our namespace.
    const foreignSigner = Wallet.createRandom().address;
    await registerConsentSigner(chain, foreignSigner, OTHER_FACILITY);

    // Forgery 1: a contract at another address logs our sealed change again, in our namespace.
    const forger = compileForger();
    const deployed = await attacker.send({ data: (await new ContractFactory(forger.abi, forger.bytecode).getDeployTransaction()).data });
    const forgerAddress = deployed.contractAddress!;
    const order = BigInt(g.args.state as bigint) & ((1n << 80n) - 1n);
    await attacker.send({ to: forgerAddress, data: forger.abi.encodeFunctionData('forge', [g.args.opKey, g.args.facilityId, order | (BigInt(writer) << 80n), g.args.sealedTerms]) });

    // Forgery 2: the ledger's own address runs the forger's code, which replays our sealed terms (they open: the
    // op key and order are unchanged) under the other facility's signer, and answers facilityOf from its own table.
    await chain.control.setCode(chain.contracts.ConsentLedger, forger.runtime);
    await attacker.send({ to: chain.contracts.ConsentLedger, data: forger.abi.encodeFunctionData('setFacility', [foreignSigner, OTHER_FACILITY]) });
    const forged = await attacker.send({ to: chain.contracts.ConsentLedger, data: forger.abi.encodeFunctionData('forge', [g.args.opKey, g.args.facilityId, order | (BigInt(foreignSigner) << 80n), g.args.sealedTerms]) });

    // Our console: knows the patient, pulls everything.
    const db = openTestDb(path.join(dir, 'console.sqlite'));
    db.prepare(`INSERT INTO patients (facility, mrn, ${PATIENT_STORED_COLUMNS}) VALUES (?, ?, ?, ?, ?)`).run(TEST_PATIENTS[0]!.facility, TEST_PATIENTS[0]!.mrn, ...patientValues(pseudonymOf(TEST_PATIENTS[0]!), '2026-01-01T00:00:00Z'));
    const sink = new SqlConsentSink(db);
    const report = await new ChainPuller(db, chain.provider, chain.chainId, chain.contracts, testRegistry({ sink, consentSealer: TEST_SEALER }), 0).pull();
    expect(report.counts.consentChanges).toBe(1);

    // The genuine change applied (its writer was registered at its block), and only it.
    const rows = db.prepare(`SELECT hlc_writer, status FROM consents`).all() as { hlc_writer: string; status: string }[];
    expect(rows).toEqual([{ hlc_writer: writer.toLowerCase(), status: 'active' }]);
    // Nothing at all from the other address.
    expect(db.prepare(`SELECT count(*) FROM sync_chain_events WHERE block_number = ?`).pluck().get(deployed.blockNumber)).toBe(0);
    const fromForger = (await chain.provider.getLogs({ address: forgerAddress })).map((l) => l.blockNumber);
    for (const b of fromForger) expect(db.prepare(`SELECT count(*) FROM sync_chain_events WHERE block_number = ?`).pluck().get(b)).toBe(0);
    // The replay under the other facility's signer: kept as a named problem, with who wrote it and for whom.
    const held = db.prepare(`SELECT reason, block_number AS block, op_key AS opKey, change_json AS detail FROM sync_pending_consent_changes`).all() as { reason: string; block: number; opKey: string; detail: string }[];
    expect(held).toEqual([{ reason: 'UNREGISTERED_WRITER', block: forged.blockNumber, opKey: String(g.args.opKey).toLowerCase(), detail: JSON.stringify({ writer: foreignSigner.toLowerCase(), writerFacility: OTHER_FACILITY }) }]);
    expect(db.prepare(`SELECT name FROM sync_chain_events WHERE block_number = ?`).pluck().all(forged.blockNumber)).toEqual(['ConsentChanged:unregistered-writer']);

    // Reported where a person looks: sync status (and its text in `custodian sync status`).
    const counts = heldPulledChanges(db);
    expect(counts).toEqual({ unknownPatient: 0, unopenable: 0, unregisteredWriter: 1 });
    expect(formatSyncStatus({ ...statusFixture(), heldPulledChanges: counts })).toContain('1 UNREGISTERED_WRITER');
    db.close();
    sender.close();
  });
});

