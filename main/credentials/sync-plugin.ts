// The credential.status sync plug-in: one CredentialRegistry.setStatuses item per status change the issuer signed
// (status-change.ts writes it), the registry's per-item skip reasons, and the pulled CredentialStatusChanged events,
// applied to the mirror only when their own transaction carries the issuer's signature (pulled-status.ts).
import { z } from 'zod';
import { systemAudit } from '../audit/system-audit';
import { contractInterface } from '../sync/contracts';
import type { AppliedStateContext, OutboxKind, SyncPlugin } from '../sync/plugin';
import { resendSame, type SameWrite } from '../sync/resend-same';
import { verifiedStatusKeys } from './pulled-status';
import { relinkStatusChange } from './store';

export const CREDENTIAL_STATUS_KIND = 'credential.status' as const;

const bytes32 = z.string().regex(/^0x[0-9a-fA-F]{64}$/, 'must be 0x + 64 hex digits');
const address = z.string().regex(/^0x[0-9a-fA-F]{40}$/, 'must be a 0x-prefixed 20-byte address');
const uint64 = z.number().int().nonnegative().max(Number.MAX_SAFE_INTEGER);

/**
 * 'credential.status': one CredentialRegistry.StatusUpdate, signed by the issuer (status-signature.ts). The
 * credential appears only as its hash; the issuer is an organisation's signing address.
 */
export const credentialStatusPayload = z
  .object({
    credentialHash: bytes32,
    status: z.enum(['active', 'suspended', 'revoked']),
    /** Unix seconds after which the credential is expired; 0 for none. */
    expiresAt: uint64,
    issuer: address,
    /** Above the credential's last applied nonce on chain (the issuer tool's clock in milliseconds). */
    nonce: z.number().int().positive().max(2 ** 48 - 1),
    /** Last unix second the signature may be submitted. */
    deadline: uint64,
    /** The issuer's 65-byte EIP-712 signature. */
    signature: z.string().regex(/^0x[0-9a-fA-F]{130}$/, 'must be a 65-byte signature'),
  })
  .strict();
export type CredentialStatusPayload = z.infer<typeof credentialStatusPayload>;

export const CREDENTIAL_STATUS: OutboxKind<CredentialStatusPayload, typeof CREDENTIAL_STATUS_KIND> = { kind: CREDENTIAL_STATUS_KIND, payload: credentialStatusPayload };

const STATUS_CODES: Record<CredentialStatusPayload['status'], number> = { active: 1, suspended: 2, revoked: 3 };
const hex = (v: unknown): string => String(v).toLowerCase();

export function credentialStatusSync(): SyncPlugin<CredentialStatusPayload, typeof CREDENTIAL_STATUS_KIND> {
  return {
    ...CREDENTIAL_STATUS,
    contract: 'CredentialRegistry',
    method: 'setStatuses',
    // With the issuer's signature: ~30,000 for a new credential's slot, ~3,000 ecrecover, ~2,000 for 96 more bytes
    // of calldata and the skip checks; planned at 45,000.
    gas: { base: 80_000, perItem: 45_000, maxItems: 250 },
    appliedEvent: 'StatusBatchApplied',
    encode: (batchId, payloads) =>
      contractInterface('CredentialRegistry').encodeFunctionData('setStatuses', [
        batchId,
        payloads.map((p) => ({
          credentialHash: p.credentialHash,
          status: STATUS_CODES[p.status],
          expiresAt: p.expiresAt,
          issuer: p.issuer,
          nonce: p.nonce,
          deadline: p.deadline,
          signature: p.signature,
        })),
      ]),
    // Applied in storage, no event anywhere (a torn node state): a status the registry still holds exactly as signed
    // (status, expiry, issuer, nonce) is sent again unchanged and the registry announces it again with its event; one
    // the registry holds otherwise (a later nonce, a final revocation) is left to that later write.
    async onAppliedWithoutLog(ctx) {
      return resendSame(ctx.db, CREDENTIAL_STATUS, await heldAsSent(ctx), {
        resent(db, oldId, newId) {
          relinkStatusChange(db, oldId, newId);
          systemAudit(db, { action: 'credential.resend', subject: `outbox:${oldId}`, details: { reason: 'SYNC_APPLIED_WITHOUT_LOG', batchId: ctx.batchId, outboxId: oldId, resentAs: newId } });
        },
      });
    },
    skipEvent: {
      event: 'StatusUpdateSkipped',
      reasons: ['InvalidStatus', 'Expired', 'OutOfRange', 'BadSignature', 'IssuerMismatch', 'IssuerNotRegistered', 'AlreadyRevoked', 'StaleNonce'],
    },
    reader: {
      contract: 'CredentialRegistry',
      batchEvents: ['StatusBatchApplied'],
      inspect: (provider, ctx, logs) => verifiedStatusKeys(provider, ctx.chainId, ctx.address, logs),
      read({ desc, base }, ctx, verified) {
        if (desc.name !== 'CredentialStatusChanged') return undefined;
        const a = desc.args;
        if (!(verified as ReadonlySet<string>).has(`${base.txHash}:${hex(a.credentialHash)}:${Number(a.status)}`)) {
          // Logged without the issuer's signature in its transaction: reported (in the pull report), never applied.
          return { events: 0, counts: { statusesRejected: 1 } };
        }
        const event = { ...base, batchId: hex(a.batchId), subject: hex(a.credentialHash), data: { status: Number(a.status), expiresAt: Number(a.expiresAt), issuer: String(a.issuer) } };
        if (!ctx.mirror.record(event)) return { events: 0 };
        ctx.mirror.applyCredential(event.subject, Number(a.status), Number(a.expiresAt), String(a.issuer), base.blockNumber, base.txHash);
        return { events: 1 };
      },
    },
  };
}

/** Each status of the batch, and whether the registry holds exactly it at the block the applied flag was read at. */
async function heldAsSent(ctx: AppliedStateContext): Promise<SameWrite<CredentialStatusPayload>[]> {
  const registry = contractInterface('CredentialRegistry');
  const read = async (fn: string, args: unknown[]) => registry.decodeFunctionResult(fn, await ctx.provider.call({ to: ctx.contract, data: registry.encodeFunctionData(fn, args), blockTag: ctx.blockTag }));
  const out: SameWrite<CredentialStatusPayload>[] = [];
  for (const event of ctx.events) {
    const payload = credentialStatusPayload.parse(JSON.parse(event.payload));
    const [status, expiresAt, issuer] = (await read('statusOf', [payload.credentialHash])).toArray() as [bigint, bigint, string];
    const nonce = (await read('statusNonceOf', [payload.credentialHash]))[0] as bigint;
    const same = Number(status) === STATUS_CODES[payload.status] && Number(expiresAt) === payload.expiresAt && issuer.toLowerCase() === payload.issuer.toLowerCase() && Number(nonce) === payload.nonce;
    const why = Number(status) === STATUS_CODES.revoked ? 'the registry holds a final revocation of another write' : `the registry holds another status (nonce ${nonce})`;
    out.push({ event, payload, verdict: same ? { resend: true } : { resend: false, why } });
  }
  return out;
}
