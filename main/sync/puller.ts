// The puller: reads the contracts' events from the last synced block (the cursor keeps that block's hash; a
// changed hash means a reorg, so it steps back to the fork point) and applies them to the mirror and, through a
// ChainChangeSink, to the consents domain, in chain order, so workstations sharing one chain converge.
import { AbiCoder, keccak256, zeroPadValue, type JsonRpcProvider, type Log } from 'ethers';
import type { Db } from '../db/connection';
import type { ContractName } from '../chain/artifacts';
import { contractInterface, type ContractAddresses } from './contracts';
import type { ConsentSealer } from '../consents/ledger-seal';
import { granteeHashOf } from '../consents/outbox-events';
import { categoryHashOfCode, orderText, purposeHashOfCode, unpackState } from './consent-state';
import { ChainMirror, type PulledEvent } from './mirror';
import { verifiedStatusKeys } from './pulled-status';
import { FacilityWriterCheck } from './pulled-writers';
import { blockHashAt, nodeBlockNumber } from './rpc';
import { forkPoint } from './rules';

/** One consent change as the chain holds it, opened with the facility key; pseudonyms, grantee ids and codes, never PHI. */
export interface ChainConsentChange {
  chainId: number;
  /** The op key (a keyed commitment; the facility namespace is ours). */
  consentKey: string;
  patientPseudonym: string;
  granteeKind: 'npi' | 'org';
  grantee: string;
  granteeHash: string;
  purposeHash: string;
  categoryHash: string;
  documentHash: string;
  decision: 'permit' | 'deny';
  revoked: boolean;
  validFrom: number;
  validUntil: number;
  /** The order key: hlc stamp and writer (the rank follows from decision and revoked). */
  hlc: bigint;
  writer: string;
  /** The highest stamp the writer had seen for the key when writing (0: none); see ledger-seal.ts. */
  prevHlc: bigint;
  blockNumber: number;
  blockHash: string;
  logIndex: number;
  txHash: string;
  batchId: string | null;
}

/**
 * A change in this facility's namespace the puller will not apply, reported instead: UNOPENABLE (altered, or sealed
 * under another secret; the default) or UNREGISTERED_WRITER (its writer was not a registered signer of this
 * facility at its block: `writerFacility` is what the ledger answered, null when it did not).
 */
export interface UnopenableConsentChange {
  chainId: number;
  consentKey: string;
  blockNumber: number;
  blockHash: string;
  logIndex: number;
  txHash: string;
  reason?: 'UNOPENABLE' | 'UNREGISTERED_WRITER';
  writer?: string;
  writerFacility?: string | null;
}

/** One SharingAgreements event: ids, addresses, hashes and numbers only (the sharing domain applies it). */
export type ChainSharingEvent = { chainId: number; contract: string; agreementId: string; blockNumber: number; txHash: string } & (
  | { name: 'AgreementProposed'; partyA: string; partyB: string; termsHash: string; validFrom: number; validUntil: number; documentHash: string; scope: string; orgA: string; orgB: string }
  | { name: 'AgreementSigned'; party: string; signature: string }
  | { name: 'AgreementActivated' }
  | { name: 'AgreementTerminated'; party: string }
);

/** Where pulled consent changes go besides the mirror (the consents tables). Called inside the pull's transaction. */
export interface ChainChangeSink {
  /** This workstation's signer address (set by the engine), so its own changes echoed by the chain are known as its own. */
  me?: string | null;
  /** Called at the start of each pulled block range, inside its transaction (refresh caches here). */
  begin?(): void;
  consentChanged(change: ChainConsentChange): void;
  /** A change in this facility's namespace that did not open or whose writer is not ours: kept as a problem, never applied. */
  consentUnopenable?(change: UnopenableConsentChange): void;
  /** SharingAgreements events, in chain order (the sharing domain's agreements table). */
  sharingEvent?(event: ChainSharingEvent): void;
  /** After a reorg removed pulled events of these agreements: rebuild their state from the events that remain. */
  sharingRolledBack?(agreementIds: readonly string[]): void;
  /** Undoes what it applied from blocks above `forkBlock` (a reorg removed them). Called inside the rollback's transaction. */
  rollBackAbove?(chainId: number, forkBlock: number): { undone: number; kept: number };
  /** Forgets undo records below `belowBlock`: those blocks are past the rollback window. */
  prune?(chainId: number, belowBlock: number): void;
}

/** A ClaimsLedger event as pulled: hashes, a day number, a status and reason code; never PHI. */
export interface ChainClaimEvent {
  claimHash: string;
  blockNumber: number;
  txHash: string;
}

/** Where pulled ClaimsLedger events go (the claims table). Called inside the pull's transaction. */
export interface ClaimChainSink {
  claimRecorded(e: ChainClaimEvent & { payerHash: string; serviceDay: number }): void;
  claimStatusChanged(e: ChainClaimEvent & { status: 'accepted' | 'denied'; reasonCode: string | null; payer: string }): void;
  /** After a reorg dropped every pulled event above `forkBlock` (the remaining events are in sync_chain_events). */
  rolledBack(forkBlock: number): void;
}

export interface PullReport {
  fromBlock: number;
  toBlock: number;
  events: number;
  consentChanges: number;
  rolledBackTo: number | null;
  /** Consent changes pulled from the removed blocks and undone in the consents tables (0 without a rollback). */
  consentRowsRolledBack: number;
  /** Consent changes from the removed blocks left in place because rows were changed here since. */
  consentRowsKept: number;
  /** Credential statuses in the logs without their issuer's signature in the carrying transaction: not applied. */
  statusesRejected?: number;
}

const CURSOR = 'all';
const CHUNK_BLOCKS = 2_000;
const KEEP_SEEN_BLOCKS = 512;

export class ChainPuller {
  readonly mirror: ChainMirror;
  private readonly byAddress = new Map<string, ContractName>();
  private readonly registry: string | undefined;
  private readonly writers: FacilityWriterCheck;

  constructor(
    private readonly db: Db,
    private readonly provider: JsonRpcProvider,
    private readonly chainId: number,
    contracts: ContractAddresses,
    private readonly sink: ChainChangeSink | null = null,
    private readonly startBlock = 0,
    private readonly claimSink: ClaimChainSink | null = null,
    /** Opens this facility's consent changes; without it they are recorded as unopenable, never applied. */
    private readonly consentSealer: ConsentSealer | null = null,
  ) {
    this.mirror = new ChainMirror(db, chainId);
    this.registry = contracts.CredentialRegistry;
    this.writers = new FacilityWriterCheck(provider, contracts.ConsentLedger, consentSealer?.facilityId ?? null);
    // A contract without a configured address (SharingAgreements on an older config) is simply not read.
    for (const [name, address] of Object.entries(contracts) as [ContractName, string | undefined][]) if (address) this.byAddress.set(address.toLowerCase(), name);
  }

  /** Pulls up to the head; safe to call at any time and after any crash (events are recorded once). */
  async pull(): Promise<PullReport> {
    const head = await nodeBlockNumber(this.provider);
    let rolledBackTo: number | null = null;
    let consentRowsRolledBack = 0;
    let consentRowsKept = 0;
    let cursor = this.mirror.cursor(CURSOR);
    if (cursor && (await blockHashAt(this.provider, cursor.block_number)) !== cursor.block_hash) {
      ({ fork: rolledBackTo, undone: consentRowsRolledBack, kept: consentRowsKept } = await this.rollBack());
      cursor = this.mirror.cursor(CURSOR);
    }
    const start = cursor ? cursor.block_number + 1 : this.startBlock;
    // Every pull, even one with no new block: the sink applies kept changes whose patient has appeared since.
    if (this.sink?.begin) this.db.transaction(() => this.sink!.begin!())();
    let events = 0;
    let consentChanges = 0;
    let statusesRejected = 0;
    for (let from = start; from <= head; from += CHUNK_BLOCKS) {
      const to = Math.min(head, from + CHUNK_BLOCKS - 1);
      const toHash = await blockHashAt(this.provider, to);
      const logs = await this.provider.getLogs({ address: [...this.byAddress.keys()], fromBlock: from, toBlock: to });
      // A reorg between the two reads would mix chains: check the range end again and retry next time.
      if (toHash === null || (await blockHashAt(this.provider, to)) !== toHash) break;
      const verified = await verifiedStatusKeys(this.provider, this.chainId, this.registry, logs);
      await this.writers.prefetch(logs);
      const counts = this.db.transaction(() => this.applyLogs(logs, to, toHash, verified))();
      events += counts.events;
      consentChanges += counts.consentChanges;
      statusesRejected += counts.statusesRejected;
    }
    return { fromBlock: start, toBlock: head, events, consentChanges, rolledBackTo, consentRowsRolledBack, consentRowsKept, ...(statusesRejected ? { statusesRejected } : {}) };
  }

  /**
   * Finds the newest seen block still on the chain, forgets what came after it (the mirror, and through the sink
   * the consent changes applied from it), and moves the cursor there.
   */
  private async rollBack(): Promise<{ fork: number; undone: number; kept: number }> {
    const seen = this.mirror.seenBlocks();
    const canonical = new Map<number, string | null>();
    for (const b of seen) {
      const hash = await blockHashAt(this.provider, b.number);
      canonical.set(b.number, hash);
      if (hash === b.hash) break;
    }
    const fork = forkPoint(seen, (n) => canonical.get(n) ?? null);
    let undo = { undone: 0, kept: 0 };
    this.db.transaction(() => {
      const agreements = this.sink?.sharingRolledBack
        ? (this.db.prepare(`SELECT DISTINCT subject FROM sync_chain_events WHERE chain_id = ? AND block_number > ? AND contract = 'SharingAgreements'`).pluck().all(this.chainId, fork ?? -1) as string[])
        : [];
      this.mirror.rollbackAbove(fork ?? -1);
      if (agreements.length) this.sink?.sharingRolledBack?.(agreements);
      undo = this.sink?.rollBackAbove?.(this.chainId, fork ?? -1) ?? undo;
      this.claimSink?.rolledBack(fork ?? -1);
      if (fork === null) this.mirror.clearCursor(CURSOR);
      else this.mirror.setCursor(CURSOR, fork, seen.find((b) => b.number === fork)!.hash);
    })();
    return { fork: fork ?? 0, ...undo };
  }

  private applyLogs(logs: readonly Log[], to: number, toHash: string, verifiedStatuses: ReadonlySet<string>): { events: number; consentChanges: number; statusesRejected: number } {
    if (logs.length) this.sink?.begin?.();
    const batchOfTx = new Map<string, string>();
    const parsed = logs.flatMap((log) => {
      const contract = this.byAddress.get(log.address.toLowerCase());
      if (!contract) return [];
      const desc = contractInterface(contract).parseLog({ topics: [...log.topics], data: log.data });
      if (!desc) return [];
      if (desc.name === 'BatchApplied' || desc.name === 'StatusBatchApplied' || desc.name === 'SharingBatchApplied') batchOfTx.set(log.transactionHash, String(desc.args.batchId).toLowerCase());
      return [{ log, contract, desc }];
    });
    let events = 0;
    let consentChanges = 0;
    let statusesRejected = 0;
    for (const { log, contract, desc } of parsed) {
      const base = { blockNumber: log.blockNumber, logIndex: log.index, blockHash: log.blockHash.toLowerCase(), txHash: log.transactionHash.toLowerCase(), contract, name: desc.name };
      const a = desc.args;
      let event: PulledEvent | null = null;
      if (desc.name === 'ConsentChanged') {
        if (this.consentChanged(log, base, a, batchOfTx.get(log.transactionHash) ?? null)) {
          consentChanges++;
          events++;
        }
        continue;
      }
      if (desc.name === 'ConsentOpSkipped') {
        event = { ...base, batchId: hex(a.boundBatchId), subject: hex(a.opKey), data: { opIndex: Number(a.opIndex), reason: Number(a.reason), storedState: String(a.storedState) } };
      } else if (desc.name === 'CredentialStatusChanged') {
        if (!verifiedStatuses.has(`${base.txHash}:${hex(a.credentialHash)}:${Number(a.status)}`)) {
          // Logged without the issuer's signature in its transaction: reported (in the pull report), never applied.
          statusesRejected++;
          continue;
        }
        event = { ...base, batchId: hex(a.batchId), subject: hex(a.credentialHash), data: { status: Number(a.status), expiresAt: Number(a.expiresAt), issuer: String(a.issuer) } };
        if (this.mirror.record(event)) {
          this.mirror.applyCredential(event.subject, Number(a.status), Number(a.expiresAt), String(a.issuer), base.blockNumber, base.txHash);
          events++;
        }
        continue;
      } else if (desc.name === 'ClaimRecorded') {
        const claim = { claimHash: hex(a.claimHash), payerHash: hex(a.payerHash), serviceDay: Number(a.serviceDay) };
        event = { ...base, batchId: batchOfTx.get(log.transactionHash) ?? null, subject: claim.claimHash, data: claim };
        if (this.mirror.record(event)) {
          this.claimSink?.claimRecorded({ ...claim, blockNumber: base.blockNumber, txHash: base.txHash });
          events++;
        }
        continue;
      } else if (desc.name === 'ClaimRecordSkipped') {
        event = { ...base, batchId: batchOfTx.get(log.transactionHash) ?? null, subject: hex(a.claimHash), data: {} };
      } else if (desc.name === 'ClaimStatusChanged') {
        const status = Number(a.status) === 2 ? 'accepted' : 'denied';
        const reasonCode = reasonCodeText(String(a.reasonCode));
        const change = { status, reasonCode: reasonCode ?? '', payer: String(a.payer) };
        event = { ...base, batchId: null, subject: hex(a.claimHash), data: change };
        if (this.mirror.record(event)) {
          this.claimSink?.claimStatusChanged({ claimHash: event.subject, status, reasonCode, payer: change.payer, blockNumber: base.blockNumber, txHash: base.txHash });
          events++;
        }
        continue;
      } else if (desc.name === 'HeadAnchored') {
        // Mirrored in the audit-roots table: the trail is the anchoring account, a head's id is (trail, size).
        const trail = String(a.trail).toLowerCase();
        const treeSize = Number(a.treeSize);
        const headId = keccak256(AbiCoder.defaultAbiCoder().encode(['address', 'uint64'], [trail, treeSize]));
        const root = { trailId: zeroPadValue(trail, 32), batchId: headId, merkleRoot: hex(a.rootHash), leafCount: treeSize, previousRoot: `0x${'00'.repeat(32)}`, index: Number(a.index) };
        event = { ...base, batchId: root.batchId, subject: root.merkleRoot, data: root };
        if (this.mirror.record(event)) {
          this.mirror.applyRoot({ ...root, blockNumber: base.blockNumber, blockHash: base.blockHash, txHash: base.txHash });
          events++;
        }
        continue;
      } else if (contract === 'SharingAgreements' && desc.name !== 'SharingBatchApplied') {
        const sharing = sharingEventOf(desc.name, a, { chainId: this.chainId, contract: log.address, agreementId: hex(a.agreementId), blockNumber: base.blockNumber, txHash: base.txHash });
        event = { ...base, batchId: batchOfTx.get(log.transactionHash) ?? null, subject: hex(a.agreementId), data: sharing ? flatData(sharing) : {} };
        if (this.mirror.record(event)) {
          if (sharing) this.sink?.sharingEvent?.(sharing);
          events++;
        }
        continue;
      } else {
        event = { ...base, batchId: desc.name.endsWith('BatchApplied') ? hex(a.batchId) : null, subject: desc.name.endsWith('BatchApplied') ? hex(a.batchId) : contract, data: {} };
      }
      if (this.mirror.record(event)) events++;
    }
    for (const { log } of parsed) this.mirror.seeBlock(log.blockNumber, log.blockHash.toLowerCase());
    this.mirror.seeBlock(to, toHash);
    this.mirror.pruneSeen(to - KEEP_SEEN_BLOCKS);
    this.sink?.prune?.(this.chainId, to - KEEP_SEEN_BLOCKS);
    this.mirror.setCursor(CURSOR, to, toHash);
    return { events, consentChanges, statusesRejected };
  }

  /**
   * One ConsentChanged: another facility's change is recorded and left alone; ours is opened with the facility key
   * and applied to the mirror and the sink; one that does not open is recorded and reported, never applied.
   * True when it was new (not pulled before).
   */
  private consentChanged(log: Log, base: Omit<PulledEvent, 'batchId' | 'subject' | 'data'>, a: Record<string, unknown>, batchId: string | null): boolean {
    const opKey = hex(a.opKey);
    const facilityId = hex(a.facilityId);
    const word = BigInt(a.state as bigint);
    const state = unpackState(word)!;
    const order = word & ((1n << 80n) - 1n);
    if (!this.consentSealer || facilityId !== this.consentSealer.facilityId) {
      return this.mirror.record({ ...base, name: 'ConsentChanged:foreign', batchId, subject: opKey, data: { facilityId } });
    }
    // Only a registered signer of this facility (at that block) writes our keys: anything else is not the ledger's.
    if (!this.writers.registered(base.blockNumber, state.writer)) {
      const writerFacility = this.writers.facilityOfWriter(base.blockNumber, state.writer);
      const fresh = this.mirror.record({ ...base, name: 'ConsentChanged:unregistered-writer', batchId, subject: opKey, data: { facilityId, writer: state.writer, writerFacility: writerFacility ?? '' } });
      if (fresh) this.sink?.consentUnopenable?.({ chainId: this.chainId, consentKey: opKey, blockNumber: base.blockNumber, blockHash: base.blockHash, logIndex: base.logIndex, txHash: base.txHash, reason: 'UNREGISTERED_WRITER', writer: state.writer, writerFacility });
      return false;
    }
    const terms = this.consentSealer.open(hex(a.sealedTerms), opKey, order);
    const purpose = terms ? purposeHashOfCode(terms.purposeCode) : undefined;
    const category = terms ? categoryHashOfCode(terms.categoryCode) : undefined;
    if (!terms || !purpose || !category) {
      const fresh = this.mirror.record({ ...base, name: 'ConsentChanged:unopenable', batchId, subject: opKey, data: { facilityId } });
      if (fresh) this.sink?.consentUnopenable?.({ chainId: this.chainId, consentKey: opKey, blockNumber: base.blockNumber, blockHash: base.blockHash, logIndex: base.logIndex, txHash: base.txHash });
      return false;
    }
    const granteeHash = granteeHashOf(terms.granteeKind, terms.grantee).toLowerCase();
    const key = orderText(state);
    const data = {
      patientPseudonym: terms.patientPseudonym,
      grantee: granteeHash,
      purpose,
      category,
      documentHash: terms.documentHash,
      decision: state.decision,
      revoked: state.revoked,
      validFrom: terms.validFrom,
      validUntil: terms.validUntil,
      orderKey: key,
    };
    if (!this.mirror.record({ ...base, batchId, subject: opKey, data })) return false;
    this.mirror.applyConsent({
      consent_key: opKey,
      patient_pseudonym: terms.patientPseudonym,
      grantee: granteeHash,
      purpose,
      category,
      decision: state.decision,
      revoked: state.revoked ? 1 : 0,
      valid_from: terms.validFrom,
      valid_until: terms.validUntil,
      seq: 0,
      order_key: key,
      document_hash: terms.documentHash,
      block_number: base.blockNumber,
      tx_hash: base.txHash,
    });
    this.sink?.consentChanged({
      chainId: this.chainId,
      consentKey: opKey,
      patientPseudonym: terms.patientPseudonym,
      granteeKind: terms.granteeKind,
      grantee: terms.grantee,
      granteeHash,
      purposeHash: purpose,
      categoryHash: category,
      documentHash: terms.documentHash,
      decision: state.decision === 1 ? 'permit' : 'deny',
      revoked: state.revoked,
      validFrom: terms.validFrom,
      validUntil: terms.validUntil,
      hlc: state.hlc,
      writer: state.writer,
      prevHlc: terms.prevHlc,
      blockNumber: base.blockNumber,
      blockHash: base.blockHash,
      logIndex: base.logIndex,
      txHash: base.txHash,
      batchId,
    });
    return true;
  }
}

/** A bytes8 reason code as text (ASCII, zero padding dropped), or null for none. */
export function reasonCodeText(bytes8: string): string | null {
  const text = Buffer.from(bytes8.slice(2), 'hex').toString('latin1').replace(/\0+$/, '');
  return text.length ? text : null;
}

function hex(v: unknown): string {
  return String(v).toLowerCase();
}

type SharingBase = { chainId: number; contract: string; agreementId: string; blockNumber: number; txHash: string };

function sharingEventOf(name: string, a: Record<string, unknown> & { terms?: Record<string, unknown> }, base: SharingBase): ChainSharingEvent | null {
  switch (name) {
    case 'AgreementProposed': {
      const t = a.terms as Record<string, unknown>;
      return {
        ...base,
        name,
        partyA: String(a.partyA),
        partyB: String(a.partyB),
        termsHash: hex(t.termsHash),
        validFrom: Number(t.validFrom),
        validUntil: Number(t.validUntil),
        documentHash: hex(t.documentHash),
        scope: String(t.scope),
        orgA: hex(t.orgA),
        orgB: hex(t.orgB),
      };
    }
    case 'AgreementSigned':
      return { ...base, name, party: String(a.party), signature: hex(a.signature) };
    case 'AgreementActivated':
      return { ...base, name };
    case 'AgreementTerminated':
      return { ...base, name, party: String(a.party) };
    default:
      return null;
  }
}

function flatData(e: ChainSharingEvent): Record<string, string | number | boolean> {
  const { chainId: _c, contract: _k, blockNumber: _b, txHash: _t, ...rest } = e;
  return rest as Record<string, string | number | boolean>;
}
