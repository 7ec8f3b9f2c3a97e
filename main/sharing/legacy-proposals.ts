// Sharing proposals queued before proposals were sealed (outbox payload v1: the terms in clear, signed under the
// "Custodian Sharing" domain version 1) fail today's payload check and must never reach the chain as they are. At
// start-up each one is converted when that loses nothing (the same terms, a fresh salt, sealed to the partner's public
// key when this folder knows it, re-signed by the organisation key) and the old event replaced by the new one (a state
// the database keeps final: migration 0025), else held back by name (SHARING_PROPOSAL_LEGACY: the Sync page counts
// it, the event names what to do) and its agreement marked not sent.
import { SigningKey, type Wallet } from 'ethers';
import { z } from 'zod';
import { systemAudit } from '../audit/system-audit';
import type { Db } from '../db/connection';
import { holdEvent, replaceEvent, waitingEventsOfKind } from '../sync/outbox';
import { structOf, type SharingChain } from './agreements';
import { agreementDigest, sharingDomain, signAgreement } from './eip712';
import { AGREEMENT_PROPOSE, agreementProposePayload } from './outbox-events';
import { addressOfPublicKey, newSalt, sealTerms, termsCommitment, type SealedTerms } from './sealed-terms';
import { agreementById, rejectQueued, replaceOurProposal, type AgreementRow } from './store';

const bytes32 = z.string().regex(/^0x[0-9a-fA-F]{64}$/);
const address = z.string().regex(/^0x[0-9a-fA-F]{40}$/);
const uint = z.number().int().nonnegative().max(Number.MAX_SAFE_INTEGER);

/** The v1 proposal payload (before 2233831): every term in clear. */
export const legacyProposePayload = z
  .object({
    agreementId: bytes32,
    partyA: address,
    partyB: address,
    termsHash: bytes32,
    validFrom: uint,
    validUntil: uint,
    documentHash: bytes32,
    direction: z.number().int().min(1).max(3),
    purposesMask: z.number().int().nonnegative().max(0xffffffff),
    categoriesMask: z.number().int().nonnegative().max(0xffffffff),
    orgA: bytes32,
    orgB: bytes32,
    signatureA: z.string().regex(/^0x[0-9a-fA-F]{130}$/),
  })
  .strict();
type LegacyProposal = z.infer<typeof legacyProposePayload>;

export interface LegacyProposalDeps {
  db: Db;
  /** The organisation key (partyA of our proposals): re-signs a converted proposal. */
  wallet: Wallet;
  chain: () => SharingChain;
}

export interface LegacyOutcome {
  converted: number[];
  held: number[];
}

const LEGACY = 'SHARING_PROPOSAL_LEGACY';
/**
 * How versions before migration 0025 marked a converted event (in its error text). 0025 made each one 'replaced'
 * where the text named a later proposal event that exists; one it could not is held here and stays held.
 */
const CONVERTED_BEFORE_0025 = 'SHARING_PROPOSAL_CONVERTED';

/**
 * Converts or holds back every waiting v1 proposal (pending, or already refused by the engine's payload check);
 * idempotent, and a held one is converted at a later start once the partner's key is known. Nothing while the chain
 * is not connected.
 */
export async function reconcileLegacyProposals(deps: LegacyProposalDeps): Promise<LegacyOutcome> {
  const { db } = deps;
  const out: LegacyOutcome = { converted: [], held: [] };
  // Not connected: a proposal is signed for a chain id and contract, so wait (without a chain nothing is sent).
  const chain = deps.chain();
  if ('notConfigured' in chain) return out;
  for (const event of waitingEventsOfKind(db, AGREEMENT_PROPOSE.kind)) {
    if (event.lastError?.startsWith(`${CONVERTED_BEFORE_0025}:`)) continue; // converted by an earlier version: never again
    let raw: unknown;
    try {
      raw = JSON.parse(event.payload);
    } catch {
      continue; // the engine's payload check names it
    }
    if (agreementProposePayload.safeParse(raw).success) continue;
    const legacy = legacyProposePayload.safeParse(raw);
    if (!legacy.success) continue;
    const p = legacy.data;
    const row = agreementById(db, p.agreementId.toLowerCase()) ?? agreementById(db, p.agreementId);
    const publicKey = row ? partnerPublicKey(db, row.partner_address) : null;
    if (row && row.our_role === 'A' && publicKey && row.our_address.toLowerCase() === deps.wallet.address.toLowerCase()) {
      out.converted.push(await convert(deps, event.id, p, row, publicKey, chain));
      continue;
    }
    const why = !row || row.our_role !== 'A'
      ? 'its agreement is not one this organisation proposed here'
      : !publicKey
          ? "the partner's public key is not known here (the terms can only be sealed to it)"
          : 'it was signed by another organisation key';
    const reason = `${LEGACY}: agreement ${p.agreementId.slice(0, 10)}… was queued before proposals were sealed; it is NOT sent (its terms would be on chain in clear) and was not converted: ${why}. Propose it again on the Sharing page with the partner's public key.`;
    const alreadyHeld = event.state === 'failed' && event.lastError?.startsWith(`${LEGACY}:`) === true;
    if (alreadyHeld) continue;
    db.transaction(() => {
      holdEvent(db, event.id, reason);
      if (row) rejectQueued(db, row.id, new Date().toISOString());
      systemAudit(db, { action: 'sharing.agreement.legacy-held', outcome: 'failure', subject: `agreement:${p.agreementId.toLowerCase()}`, details: { code: LEGACY, outboxId: event.id } });
    })();
    out.held.push(event.id);
  }
  return out;
}

/**
 * The same terms the v1 payload carried (scope, organisations, period, document), under a fresh salt, sealed to the
 * partner and signed by our organisation key under today's domain: nothing of the agreement changes but its proof.
 */
async function convert(deps: LegacyProposalDeps, outboxId: number, p: LegacyProposal, row: AgreementRow, publicKey: string, chain: { chainId: number; contract: string }): Promise<number> {
  const { db } = deps;
  const terms: SealedTerms = {
    salt: newSalt(),
    scope: BigInt(p.direction) | (BigInt(p.purposesMask) << 8n) | (BigInt(p.categoriesMask) << 40n),
    orgA: p.orgA,
    orgB: p.orgB,
    validFrom: p.validFrom,
    validUntil: p.validUntil,
    documentHash: p.documentHash.toLowerCase(),
  };
  const commitment = termsCommitment(terms);
  const domain = sharingDomain(chain.chainId, chain.contract);
  const struct = { agreementId: row.id, commitment, partyA: row.our_address, partyB: row.partner_address };
  const signature = await signAgreement(deps.wallet, domain, struct);
  const payload = { agreementId: row.id, partyA: row.our_address, partyB: row.partner_address, commitment, sealedTerms: sealTerms(terms, row.id, publicKey), signatureA: signature };
  return db.transaction(() => {
    const id = replaceEvent(db, outboxId, AGREEMENT_PROPOSE, payload);
    replaceOurProposal(db, row.id, { termsHash: commitment, signature, chainId: chain.chainId, contract: chain.contract }, new Date().toISOString());
    systemAudit(db, { action: 'sharing.agreement.convert', subject: `agreement:${row.id}`, details: { outboxId, resentAs: id } });
    return id;
  })();
}

/**
 * The partner's public key, recovered from a signature it made on an agreement with us under today's domain (a
 * signature names its key); null when it never signed one here. Checked against its address.
 */
export function partnerPublicKey(db: Db, partnerAddress: string): string | null {
  const rows = db.prepare(`SELECT * FROM sharing_agreements WHERE lower(partner_address) = lower(?) AND partner_signature IS NOT NULL`).all(partnerAddress) as AgreementRow[];
  for (const row of rows) {
    try {
      const digest = agreementDigest(sharingDomain(row.chain_id, row.contract), structOf(row));
      const key = SigningKey.recoverPublicKey(digest, row.partner_signature!);
      if (addressOfPublicKey(key).toLowerCase() === partnerAddress.toLowerCase()) return SigningKey.computePublicKey(key, true);
    } catch {
      // a signature from before today's domain, or not a signature: try the next
    }
  }
  return null;
}
