// The audit.root sync plug-in: one AuditAnchor.anchorHead per signed tree head (log.ts queues it), recognised on
// chain by the sender's own trail holding exactly that root at that size, and pulled HeadAnchored events mirrored
// per trail (every workstation's heads), so verify can compare the log with what the chain holds.
import { AbiCoder, keccak256, toBeHex, zeroPadValue } from 'ethers';
import { z } from 'zod';
import { contractInterface } from '../sync/contracts';
import type { OutboxKind, SyncPlugin } from '../sync/plugin';
import { reanchorTornHead, type HeadSealNow } from './reanchor';

export const AUDIT_ROOT_KIND = 'audit.root' as const;

const bytes32 = z.string().regex(/^0x[0-9a-fA-F]{64}$/, 'must be 0x + 64 hex digits');

/**
 * 'audit.root': one AuditAnchor.anchorHead call, a signed tree head of the audit log. The trail on chain is the
 * sending account itself, so the payload names none.
 */
export const auditRootPayload = z
  .object({
    /** Entries the head covers; larger than the trail's last anchored head. */
    treeSize: z.number().int().positive().max(Number.MAX_SAFE_INTEGER),
    /** RFC 6962 root of the first treeSize entries. */
    rootHash: bytes32.refine((v) => !/^0x0{64}$/.test(v), 'must not be zero'),
  })
  .strict();
export type AuditRootPayload = z.infer<typeof auditRootPayload>;

export const AUDIT_ROOT: OutboxKind<AuditRootPayload, typeof AUDIT_ROOT_KIND> = { kind: AUDIT_ROOT_KIND, payload: auditRootPayload };

const hex = (v: unknown): string => String(v).toLowerCase();

export interface AuditRootSyncDeps {
  /** Signs and queues a head over the whole log now (the head sealer's path); absent: its next tick does it. */
  sealHead?: HeadSealNow | null;
}

export function auditRootSync(deps: AuditRootSyncDeps = {}): SyncPlugin<AuditRootPayload, typeof AUDIT_ROOT_KIND> {
  const iface = () => contractInterface('AuditAnchor');
  return {
    ...AUDIT_ROOT,
    contract: 'AuditAnchor',
    method: 'anchorHead',
    // AuditAnchor v2 head: ~94,000 gas for a trail's first head, ~79,000 after (contracts/test prints it).
    gas: { base: 180_000, perItem: 0, maxItems: 1 },
    appliedEvent: 'HeadAnchored',
    // The event indexes the anchoring account (the contract's msg.sender): a log under our topics is ours.
    appliedTopicsBindSender: true,
    encode(_batchId, payloads) {
      if (payloads.length !== 1) throw new RangeError(`an audit.root batch holds exactly one root, got ${payloads.length}`);
      const p = payloads[0]!;
      return iface().encodeFunctionData('anchorHead', [p.treeSize, p.rootHash]);
    },
    // Heads are kept per sending account: a head is applied only when the sender's own trail holds exactly this root
    // at this size (another account's head, or another root, is not ours). Its identity is the head itself, so a new
    // sync batch id does not escape a taken one.
    appliedCheck(_batchId, payloads, sender) {
      const p = payloads[0]!;
      if (!sender) return { data: iface().encodeFunctionData('headCount', [`0x${'00'.repeat(20)}`]), decode: () => false, bySyncId: false, senderBound: false };
      return {
        data: iface().encodeFunctionData('rootOf', [sender, p.treeSize]),
        decode: (ret) => (iface().decodeFunctionResult('rootOf', ret).getValue('rootHash') as string).toLowerCase() === p.rootHash.toLowerCase(),
        bySyncId: false,
        // Our own trail holds this very root at this size: only our key anchored it, and the root is the content.
        senderBound: true,
      };
    },
    // HeadAnchored is indexed by the sending account, the tree size and the root: the sender's own trail with this very head.
    appliedTopics(_batchId, payloads, sender) {
      const topic0 = iface().getEvent('HeadAnchored')!.topicHash;
      if (!sender) return [topic0, `0x${'ff'.repeat(32)}`]; // no sender known: matches nothing
      const p = payloads[0]!;
      return [topic0, zeroPadValue(sender.toLowerCase(), 32), zeroPadValue(toBeHex(p.treeSize), 32), p.rootHash.toLowerCase()];
    },
    // Our trail holds the head, no HeadAnchored of it is in any block (a torn node state): the contract refuses the same
    // head again, so a later head, anchored with its event, carries it on (reanchor.ts: audited, through the outbox).
    async onAppliedWithoutLog(ctx) {
      const torn = auditRootPayload.parse(JSON.parse(ctx.events[0]!.payload));
      return reanchorTornHead(ctx.db, torn, ctx.batchId, deps.sealHead ?? null);
    },
    reader: {
      contract: 'AuditAnchor',
      read({ desc, base }, ctx) {
        if (desc.name !== 'HeadAnchored') return undefined;
        const a = desc.args;
        // Mirrored in the audit-roots table: the trail is the anchoring account, a head's id is (trail, size).
        const trail = String(a.trail).toLowerCase();
        const treeSize = Number(a.treeSize);
        const headId = keccak256(AbiCoder.defaultAbiCoder().encode(['address', 'uint64'], [trail, treeSize]));
        const root = { trailId: zeroPadValue(trail, 32), batchId: headId, merkleRoot: hex(a.rootHash), leafCount: treeSize, previousRoot: `0x${'00'.repeat(32)}`, index: Number(a.index) };
        if (!ctx.mirror.record({ ...base, batchId: root.batchId, subject: root.merkleRoot, data: root })) return { events: 0 };
        ctx.mirror.applyRoot({ ...root, blockNumber: base.blockNumber, blockHash: base.blockHash, txHash: base.txHash });
        return { events: 1 };
      },
    },
  };
}
