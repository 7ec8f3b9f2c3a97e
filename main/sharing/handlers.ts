// Handlers of the sharing channels: identity, agreements (propose, sign, terminate, list) and release requests.
// Wired in compose/services.ts; the organisation key stays here in main; only its address and public key reach the renderer.
import type { Wallet } from 'ethers';
import type { HandlersFor } from '../api/channel';
import type { sharingChannels, SharingIdentity } from '../api/sharing';
import type { AuditActor } from '../audit/trail';
import type { Db } from '../db/connection';
import type { RequestContext } from '../runtime/dispatcher';
import { AgreementService, type AgreementCommit, type SharingChain } from './agreements';
import { setOrgId } from './identity';
import { partnerDirectory } from './partners';
import { handleReleaseRequest, type ReleaseDecided } from './release';
import { agreementView, allAgreements, listRequests } from './store';

/** What the handlers need of the chain runtime: the connected endpoint, if any. */
export interface SharingChainAccess {
  readonly connection: { endpoint: { chainId: number; contracts: Record<string, string | undefined> } } | null;
}

export interface SharingDeps {
  db: Db;
  dataDir: string;
  wallet: Wallet;
  chain: SharingChainAccess | null;
  now?: () => Date;
}

export function sharingChainOf(chain: SharingChainAccess | null): SharingChain {
  if (!chain) return { notConfigured: 'no chain is configured (chain mode "none").' };
  const conn = chain.connection;
  if (!conn) return { notConfigured: 'the chain is not connected; agreements are signed for a chain id and contract, so try again once it is.' };
  const contract = conn.endpoint.contracts.SharingAgreements;
  if (!contract) return { notConfigured: 'no SharingAgreements address is configured (config.json chain.contracts.SharingAgreements or CUSTODIAN_CONTRACTS).' };
  return { chainId: conn.endpoint.chainId, contract };
}

const actorOf = (ctx: RequestContext): AuditActor => ({ id: ctx.principal.id, name: ctx.principal.name, role: ctx.principal.role });

/** An agreement write run through ctx.commit, with this call's facts (the agreement, and `details`) in its entry. */
const committed =
  (ctx: RequestContext, details: Record<string, unknown> = {}): AgreementCommit =>
  (write, agreementId) =>
    ctx.commit(() => {
      write();
      ctx.audit({ subject: `agreement:${agreementId}`, details });
    });

export function createSharingHandlers(deps: SharingDeps): HandlersFor<typeof sharingChannels, RequestContext> {
  const { db } = deps;
  const clock = deps.now ?? (() => new Date());
  const nowSec = () => Math.floor(clock().getTime() / 1000);
  const service = new AgreementService({ db, wallet: deps.wallet, chain: () => sharingChainOf(deps.chain), now: clock });
  const identity = (): SharingIdentity => {
    const me = service.identity();
    const chain = sharingChainOf(deps.chain);
    return 'notConfigured' in chain
      ? { ...me, chainId: null, contract: null, notConfigured: chain.notConfigured }
      : { ...me, chainId: chain.chainId, contract: chain.contract, notConfigured: null };
  };
  const view = (row: Parameters<typeof agreementView>[0]) => agreementView(row, nowSec());

  return {
    'sharing.identity': () => identity(),
    'sharing.setOrgId': ({ orgId }, ctx) => {
      service.identity();
      setOrgId(db, orgId, clock());
      ctx.audit({ subject: `org:${orgId}` });
      return identity();
    },
    'sharing.agreements': () => allAgreements(db).map(view),
    'sharing.partners': ({ search }) => partnerDirectory(allAgreements(db).map(view), search),
    // Each write commits with this call's audit entry (ctx.commit): an entry that cannot be written leaves no row
    // and no outbox event, so nothing is sent to the chain.
    'sharing.propose': async (input, ctx) => {
      const row = await service.propose(input, actorOf(ctx), committed(ctx, { partnerOrgId: input.partnerOrgId }));
      return view(row);
    },
    'sharing.sign': async ({ id }, ctx) => {
      const row = await service.sign(id, actorOf(ctx), committed(ctx));
      return view(row);
    },
    'sharing.terminate': async ({ id, reason }, ctx) => {
      const row = await service.terminate(id, reason, actorOf(ctx), committed(ctx, { reason }));
      return view(row);
    },
    'sharing.requests': ({ releasedOnly, limit }) => listRequests(db, releasedOnly, limit),
    'sharing.request': async (input, ctx) => {
      // Out of the dispatcher's own transaction first (it wraps a handler's synchronous start): the commit below must
      // be durable, entry included, before the release package is written to disk.
      await Promise.resolve();
      const decided = (write: () => ReleaseDecided): ReleaseDecided =>
        ctx.commit(() => {
          const d = write();
          ctx.audit({
            patientId: input.patientId,
            subject: `release:${d.requestId}`,
            outcome: d.decision,
            details: { partnerOrgId: input.partnerOrgId, reasons: d.reasonCodes, ...(d.sha256 ? { sha256: d.sha256 } : {}) },
          });
          return d;
        });
      return handleReleaseRequest({ db, dataDir: deps.dataDir, now: clock }, input, actorOf(ctx), decided);
    },
  };
}
