// Applies SharingAgreements events pulled from the chain to the local agreements table: a partner's proposal
// naming us becomes a row to sign (after its sealed terms are opened with our key and checked against the signed
// commitment), the partner's
// signature is stored, activation and termination change the status. Called inside the pull's transaction.
import { getAddress } from 'ethers';
import { systemAudit } from '../audit/system-audit';
import type { Db } from '../db/connection';
import type { ChainSharingEvent } from './sync-plugin';
import { agreementSigner, sharingDomain } from './eip712';
import { structOf } from './agreements';
import { agreementById, insertAgreement, markActive, markTerminated, replaceRejectedTerms, restoreChainDerived, setChainState, setPartnerSignature } from './store';
import { termsCommitment, type SealedTerms } from './sealed-terms';
import { flipDirection, termsFromChain } from './terms';

/** Opens terms sealed to this organisation's key (sealed-terms.ts openTerms with the org key), null when they do not open. */
export type TermsOpener = (sealedTerms: string, agreementId: string) => SealedTerms | null;

export type SharingSinkOutcome = 'inserted' | 'rejected-terms' | 'updated' | 'same' | 'not-ours' | 'bad-signature';

export class SqlSharingSink {
  readonly outcomes: Record<SharingSinkOutcome, number> = { inserted: 0, 'rejected-terms': 0, updated: 0, same: 0, 'not-ours': 0, 'bad-signature': 0 };

  constructor(
    private readonly db: Db,
    private readonly open: TermsOpener,
    private readonly now: () => Date = () => new Date(),
  ) {}

  sharingEvent(e: ChainSharingEvent): void {
    this.outcomes[this.apply(e)]++;
  }

  /**
   * A reorg took pulled events of these agreements away: their chain-derived state (partner signature, activation,
   * the partner's termination, whether the proposal is on chain) is rebuilt from the events the mirror still holds.
   * Our own local acts stay: our signature (its outbox event is re-sent if needed) and our termination.
   */
  sharingRolledBack(agreementIds: readonly string[]): void {
    const at = this.now().toISOString();
    const events = this.db.prepare(`SELECT name, data FROM sync_chain_events WHERE contract = 'SharingAgreements' AND subject = ? ORDER BY block_number, log_index`);
    for (const id of agreementIds) {
      const row = agreementById(this.db, id);
      if (!row) continue;
      const left = (events.all(id) as { name: string; data: string }[]).map((e) => ({ name: e.name, data: JSON.parse(e.data) as Record<string, string> }));
      const partner = row.partner_address.toLowerCase();
      const partnerSig = left.filter((e) => e.name === 'AgreementSigned' && e.data.party?.toLowerCase() === partner).at(-1)?.data.signature ?? null;
      const partnerEnded = left.find((e) => e.name === 'AgreementTerminated' && e.data.party?.toLowerCase() === partner);
      const weEnded = row.status === 'terminated' && row.terminated_by?.toLowerCase() === row.our_address.toLowerCase();
      const status = weEnded || partnerEnded ? 'terminated' : left.some((e) => e.name === 'AgreementActivated') ? 'active' : 'proposed';
      const chainState = row.chain_state === 'rejected' ? 'rejected' : left.some((e) => e.name === 'AgreementProposed') ? 'on-chain' : 'queued';
      restoreChainDerived(this.db, id, { partnerSignature: partnerSig, status, chainState }, at);
      systemAudit(this.db, { action: 'sharing.agreement.reorg', subject: `agreement:${id}`, details: { status, partnerSigned: partnerSig !== null } });
    }
  }

  private ourAddress(): string | null {
    const row = this.db.prepare(`SELECT address FROM sharing_identity WHERE id = 1`).get() as { address: string } | undefined;
    return row ? row.address.toLowerCase() : null;
  }

  apply(e: ChainSharingEvent): SharingSinkOutcome {
    const us = this.ourAddress();
    if (!us) return 'not-ours';
    const at = this.now().toISOString();
    const id = e.agreementId.toLowerCase();
    const row = agreementById(this.db, id);
    const chain = { txHash: e.txHash, blockNumber: e.blockNumber };
    const subject = `agreement:${id}`;

    switch (e.name) {
      case 'AgreementProposed': {
        if (e.partyA.toLowerCase() === us) {
          if (row && row.chain_state === 'queued') setChainState(this.db, id, 'on-chain', at);
          return row ? 'updated' : 'not-ours';
        }
        if (e.partyB.toLowerCase() !== us) return 'not-ours';
        // A proposal kept as rejected may be announced again with terms that open (partyA's signature does not cover
        // the sealed terms, so a relay can land the signed proposal first with terms that do not; the contract then
        // announces the very proposal again when partyA sends it): the same commitment with terms that match replaces it.
        const retry = row !== undefined && row.our_role === 'B' && row.chain_state === 'rejected' && row.terms_hash === e.commitment.toLowerCase();
        if (row && !retry) return 'same';
        // Sealed to our key and bound to this agreement id; a proposal that does not open, or whose terms are not
        // the ones partyA's signature commits to, is kept as rejected (it cannot be signed).
        const sealed = this.open(e.sealedTerms, id);
        const terms = sealed ? termsFromChain(sealed.scope, sealed.orgA, sealed.orgB) : null;
        const ok = sealed !== null && terms !== null && sealed.validUntil > sealed.validFrom && termsCommitment(sealed) === e.commitment.toLowerCase();
        if (retry) {
          if (!ok) return 'same';
          replaceRejectedTerms(
            this.db,
            id,
            {
              partnerOrgId: terms.orgA,
              direction: flipDirection(terms.direction),
              categories: terms.categories,
              purposes: terms.purposes,
              validFrom: sealed.validFrom,
              validUntil: sealed.validUntil,
              documentHash: sealed.documentHash,
            },
            at,
          );
          systemAudit(this.db, { action: 'sharing.agreement.received', subject, details: { partnerOrgId: terms.orgA, termsMatch: true, replacesRejected: true, ...chain } });
          return 'inserted';
        }
        // A rejected row keeps no unchecked period or document (placeholders that satisfy the table's checks).
        insertAgreement(this.db, {
          id,
          our_role: 'B',
          partner_org_id: terms?.orgA ?? getAddress(e.partyA),
          partner_address: getAddress(e.partyA),
          our_address: getAddress(e.partyB),
          direction: terms ? flipDirection(terms.direction) : 'inbound',
          categories: JSON.stringify(terms?.categories ?? []),
          purposes: JSON.stringify(terms?.purposes ?? []),
          valid_from: ok ? sealed.validFrom : 0,
          valid_until: ok ? sealed.validUntil : 1,
          document_hash: ok ? sealed.documentHash : `0x${'00'.repeat(32)}`,
          terms_hash: e.commitment.toLowerCase(),
          chain_id: e.chainId,
          contract: getAddress(e.contract),
          our_signature: null,
          partner_signature: null,
          status: 'proposed',
          chain_state: ok ? 'on-chain' : 'rejected',
          created_at: at,
        });
        systemAudit(this.db, { action: 'sharing.agreement.received', subject, details: { partnerOrgId: terms?.orgA ?? null, termsMatch: ok, ...chain } });
        return ok ? 'inserted' : 'rejected-terms';
      }
      case 'AgreementSigned': {
        if (!row) return 'not-ours';
        if (e.party.toLowerCase() === us) {
          if (row.chain_state === 'queued') setChainState(this.db, id, 'on-chain', at);
          return 'updated';
        }
        if (e.party.toLowerCase() !== row.partner_address.toLowerCase()) return 'not-ours';
        // The contract checked it; checked again here so a row never holds a signature for another domain.
        const signer = agreementSigner(sharingDomain(e.chainId, e.contract), structOf(row), e.signature);
        if (signer?.toLowerCase() !== row.partner_address.toLowerCase()) return 'bad-signature';
        return setPartnerSignature(this.db, id, e.signature, at) ? 'updated' : 'same';
      }
      case 'AgreementActivated': {
        if (!row) return 'not-ours';
        if (!markActive(this.db, id, at)) return 'same';
        systemAudit(this.db, { action: 'sharing.agreement.active', subject, details: { partnerOrgId: row.partner_org_id, ...chain } });
        return 'updated';
      }
      case 'AgreementTerminated': {
        if (!row) return 'not-ours';
        if (row.chain_state === 'queued' && e.party.toLowerCase() === us) setChainState(this.db, id, 'on-chain', at);
        if (!markTerminated(this.db, id, getAddress(e.party), at)) return 'same';
        systemAudit(this.db, { action: 'sharing.agreement.terminated', subject, details: { partnerOrgId: row.partner_org_id, by: e.party.toLowerCase() === us ? 'us' : 'partner', ...chain } });
        return 'updated';
      }
    }
  }
}
