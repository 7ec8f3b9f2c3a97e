// Agreement writes of this organisation: propose (terms committed with a salt, sealed to the partner's public key,
// the commitment signed as partyA), sign a pulled proposal (as partyB) and
// terminate, each as one transaction of row + outbox event + audit entry. Signing happens first, in main, with
// the organisation key; nothing is written when a check fails. The sync engine then carries the outbox to chain.
// The API passes its commit (ctx.commit) so the caller's own audit entry is in that transaction too: an entry that
// cannot be written leaves no row and no outbox event, so nothing reaches the chain.
import crypto from 'node:crypto';
import type { Wallet } from 'ethers';
import type { ProposeAgreementInput } from '../api/sharing';
import { AppError } from '../api/errors';
import type { AuditActor } from '../audit/trail';
import { systemAudit } from '../audit/system-audit';
import type { Db } from '../db/connection';
import { enqueueOutbox } from '../sync/outbox';
import { AGREEMENT_PROPOSE, AGREEMENT_SIGN, AGREEMENT_TERMINATE } from './outbox-events';
import { agreementSigner, sharingDomain, signAgreement, signTermination, type AgreementStruct, type SharingDomain } from './eip712';
import { ensureIdentity, type OrgIdentity } from './identity';
import { agreementById, effectiveStatus, insertAgreement, markTerminated, setOurSignature, type AgreementRow } from './store';
import { addressOfPublicKey, newSalt, publicKeyBytes, sealTerms, termsCommitment, type SealedTerms } from './sealed-terms';
import { orgIdBytes, packScope, scopePartsOf, type ChainTerms, type SharingPurpose } from './terms';

/** The chain agreements are signed for, or why there is none. */
export type SharingChain = { chainId: number; contract: string } | { notConfigured: string };

export interface AgreementDeps {
  db: Db;
  wallet: Wallet;
  chain: () => SharingChain;
  now?: () => Date;
}

const DAY = 86_400;
const daySeconds = (d: string, field: string): number => {
  const ms = Date.parse(`${d}T00:00:00Z`);
  if (Number.isNaN(ms) || new Date(ms).toISOString().slice(0, 10) !== d) {
    throw new AppError('VALIDATION_FAILED', `${field}: ${d} is not a real date.`, { issues: [{ field, message: 'not a real date' }] });
  }
  return ms / 1000;
};

/** The signed struct of a row: its terms_hash column holds the salted commitment (the period and document are inside it). */
export function structOf(row: Pick<AgreementRow, 'id' | 'terms_hash' | 'our_role' | 'our_address' | 'partner_address'>): AgreementStruct {
  const [partyA, partyB] = row.our_role === 'A' ? [row.our_address, row.partner_address] : [row.partner_address, row.our_address];
  return { agreementId: row.id, commitment: row.terms_hash, partyA, partyB };
}

export class AgreementService {
  private readonly clock: () => Date;
  constructor(private readonly deps: AgreementDeps) {
    this.clock = deps.now ?? (() => new Date());
  }

  private readonly ownTransaction: AgreementCommit = (write) => this.deps.db.transaction(write)();

  identity(): OrgIdentity {
    return ensureIdentity(this.deps.db, this.deps.wallet, this.clock());
  }

  /** The domain of the current chain; throws SHARING_NOT_CONFIGURED while there is none. */
  domain(): SharingDomain {
    const c = this.deps.chain();
    if ('notConfigured' in c) throw new AppError('SHARING_NOT_CONFIGURED', `Agreements cannot be signed now: ${c.notConfigured}`);
    return sharingDomain(c.chainId, c.contract);
  }

  async propose(input: ProposeAgreementInput, actor: AuditActor, commit: AgreementCommit = this.ownTransaction): Promise<AgreementRow> {
    const { db } = this.deps;
    const domain = this.domain();
    const me = this.identity();
    const nowSec = Math.floor(this.clock().getTime() / 1000);
    const field = (f: string, message: string, code = 'VALIDATION_FAILED') => new AppError(code, `${f}: ${message}`, { issues: [{ field: f, message }] });
    if (!publicKeyBytes(input.partnerPublicKey)) throw field('partnerPublicKey', 'is not a secp256k1 public key; copy it from the partner\'s `custodian sharing identity`.');
    const partnerAddress = addressOfPublicKey(input.partnerPublicKey);
    if (partnerAddress.toLowerCase() === me.address.toLowerCase()) throw field('partnerPublicKey', 'is this organisation\'s own key; an agreement needs another organisation.', 'SHARING_PARTNER_IS_SELF');
    if (input.partnerOrgId === me.orgId) throw field('partnerOrgId', `is this organisation's own id (${me.orgId}).`, 'SHARING_PARTNER_IS_SELF');
    const validFrom = daySeconds(input.validFrom, 'validFrom');
    const validUntil = daySeconds(input.validUntil, 'validUntil') + DAY;
    if (validUntil <= validFrom) throw field('validUntil', `${input.validUntil} is before validFrom ${input.validFrom}.`);
    if (validUntil <= nowSec) throw field('validUntil', `${input.validUntil} is in the past: an expired agreement cannot be proposed.`, 'SHARING_AGREEMENT_EXPIRED');
    const terms: ChainTerms = { direction: input.direction, purposes: input.purposes as SharingPurpose[], categories: input.categories, orgA: me.orgId, orgB: input.partnerOrgId };
    const documentHash = `0x${input.documentHash.replace(/^0x/, '').toLowerCase()}`;
    const sealed: SealedTerms = { salt: newSalt(), scope: packScope(scopePartsOf(terms)), orgA: orgIdBytes(me.orgId), orgB: orgIdBytes(input.partnerOrgId), validFrom, validUntil, documentHash };
    const agreementId = `0x${crypto.randomBytes(32).toString('hex')}`;
    const struct: AgreementStruct = { agreementId, commitment: termsCommitment(sealed), partyA: me.address, partyB: partnerAddress };
    const sealedTerms = sealTerms(sealed, agreementId, input.partnerPublicKey);
    const signature = await signAgreement(this.deps.wallet, domain, struct);
    const at = this.clock().toISOString();
    commit(() => {
      insertAgreement(db, {
        id: struct.agreementId,
        our_role: 'A',
        partner_org_id: input.partnerOrgId,
        partner_address: partnerAddress,
        our_address: me.address,
        direction: input.direction,
        categories: JSON.stringify(input.categories),
        purposes: JSON.stringify(input.purposes),
        valid_from: validFrom,
        valid_until: validUntil,
        document_hash: documentHash,
        terms_hash: struct.commitment,
        chain_id: domain.chainId,
        contract: domain.verifyingContract,
        our_signature: signature,
        partner_signature: null,
        status: 'proposed',
        chain_state: 'queued',
        created_at: at,
      });
      enqueueOutbox(db, AGREEMENT_PROPOSE, { agreementId, partyA: me.address, partyB: partnerAddress, commitment: struct.commitment, sealedTerms, signatureA: signature });
      systemAudit(db, { actor, action: 'sharing.agreement.propose', subject: `agreement:${struct.agreementId}`, details: { partnerOrgId: input.partnerOrgId, direction: input.direction, categories: input.categories, purposes: input.purposes, documentHash } });
    }, struct.agreementId);
    return agreementById(db, struct.agreementId)!;
  }

  /** Signs a proposal pulled from the chain (we are partyB). */
  async sign(id: string, actor: AuditActor, commit: AgreementCommit = this.ownTransaction): Promise<AgreementRow> {
    const { db } = this.deps;
    const row = this.existing(id);
    const domain = this.domain();
    const nowSec = Math.floor(this.clock().getTime() / 1000);
    if (row.our_role !== 'B' || row.our_signature) throw new AppError('SHARING_ALREADY_SIGNED', `Agreement ${short(id)} is already signed by this organisation.`);
    if (row.chain_state === 'rejected') throw new AppError('SHARING_TERMS_MISMATCH', `Agreement ${short(id)} cannot be signed: its terms do not match the terms hash its proposer signed.`);
    const status = effectiveStatus(row, nowSec);
    if (status === 'terminated') throw new AppError('SHARING_AGREEMENT_TERMINATED', `Agreement ${short(id)} was terminated by ${row.terminated_by ?? 'a party'}; it cannot be signed.`);
    if (status === 'expired') throw new AppError('SHARING_AGREEMENT_EXPIRED', `Agreement ${short(id)} expired on ${new Date(row.valid_until * 1000).toISOString().slice(0, 10)}; it cannot be signed.`);
    if (row.chain_id !== domain.chainId || row.contract.toLowerCase() !== domain.verifyingContract.toLowerCase()) {
      throw new AppError('SHARING_WRONG_CHAIN', `Agreement ${short(id)} was proposed on chain ${row.chain_id} (contract ${row.contract}), but this workstation signs for chain ${domain.chainId} (contract ${domain.verifyingContract}).`);
    }
    const struct = structOf(row);
    if (!row.partner_signature || agreementSigner(domain, struct, row.partner_signature)?.toLowerCase() !== row.partner_address.toLowerCase()) {
      throw new AppError('SHARING_AGREEMENT_NOT_SIGNED', `Agreement ${short(id)} has no valid signature of its proposer ${row.partner_org_id} for this chain yet; pull again before signing.`);
    }
    const signature = await signAgreement(this.deps.wallet, domain, struct);
    const at = this.clock().toISOString();
    commit(() => {
      setOurSignature(db, row.id, signature, at);
      enqueueOutbox(db, AGREEMENT_SIGN, { agreementId: row.id, party: row.our_address, signature });
      systemAudit(db, { actor, action: 'sharing.agreement.sign', subject: `agreement:${row.id}`, details: { partnerOrgId: row.partner_org_id } });
    }, row.id);
    return agreementById(db, id)!;
  }

  /** Terminates at once locally (sharing stops now) and sends the signed termination to the chain. */
  async terminate(id: string, reason: string, actor: AuditActor, commit: AgreementCommit = this.ownTransaction): Promise<AgreementRow> {
    const { db } = this.deps;
    const row = this.existing(id);
    if (row.status === 'terminated') throw new AppError('SHARING_AGREEMENT_TERMINATED', `Agreement ${short(id)} is already terminated (by ${row.terminated_by ?? 'a party'}).`);
    const domain = this.domain();
    const signature = await signTermination(this.deps.wallet, domain, row.id, row.our_address);
    const at = this.clock().toISOString();
    commit(() => {
      markTerminated(db, row.id, row.our_address, at);
      enqueueOutbox(db, AGREEMENT_TERMINATE, { agreementId: row.id, party: row.our_address, signature });
      systemAudit(db, { actor, action: 'sharing.agreement.terminate', subject: `agreement:${row.id}`, details: { partnerOrgId: row.partner_org_id, reason } });
    }, row.id);
    return agreementById(db, id)!;
  }

  private existing(id: string): AgreementRow {
    const row = agreementById(this.deps.db, id);
    if (!row) throw new AppError('NOT_FOUND', `There is no agreement ${short(id)}.`);
    return row;
  }
}

/**
 * Runs an agreement's synchronous write (row + outbox event + this module's entry) in one transaction; the API
 * passes ctx.commit, adding its own audit entry for `agreementId` to the same transaction.
 */
export type AgreementCommit = (write: () => void, agreementId: string) => void;

export const short = (id: string) => `${id.slice(0, 10)}…`;

