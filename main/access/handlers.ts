// The access.check channel: "may this grantee see this patient's records for this purpose now?", answered by the one
// access policy (policy.ts) over the facts it reads (facts.ts), and audited with the decision (ids and codes only).
import type { HandlersFor } from '../api/channel';
import type { consentsChannels } from '../api/consents';
import { AppError } from '../api/errors';
import type { Db } from '../db/connection';
import type { RequestContext } from '../runtime/dispatcher';
import { checkAccess } from './answers';
import { patientExists } from './facts';

export interface AccessDeps {
  db: Db;
  /** The clock (tests pin it). */
  now?: () => Date;
}

type AccessChannels = Pick<typeof consentsChannels, 'access.check'>;

export function createAccessHandlers(deps: AccessDeps): HandlersFor<AccessChannels, RequestContext> {
  const { db } = deps;
  const clock = deps.now ?? (() => new Date());
  return {
    'access.check': (input, ctx) => {
      if (!patientExists(db, input.patientId)) throw new AppError('NOT_FOUND', `There is no patient ${input.patientId}.`);
      const at = input.at ? new Date(input.at) : clock();
      // The one access policy (main/access/policy.ts): consents, break-glass and the grantee's credential gate.
      const { answer: result, grantee, consent: decided, gate } = checkAccess(db, {
        grantee: input.grantee,
        patientId: input.patientId,
        purpose: input.purpose,
        category: input.category,
        at,
        // An empty reason reaches the policy, which refuses it (BREAK_GLASS_REASON_REQUIRED), rather than being dropped.
        ...(input.breakGlassReason !== undefined ? { breakGlassReason: input.breakGlassReason } : {}),
      });
      // The audit entry of this call records the decision (ids and codes; the break-glass reason for review).
      ctx.audit({
        patientId: input.patientId,
        subject: `grantee:${input.grantee}`,
        outcome: result.breakGlass ? 'break-glass' : result.decision,
        details: {
          code: input.purpose,
          category: input.category,
          consentIds: result.decidedBy.filter((d) => d.counts).map((d) => d.consentId),
          ...(result.breakGlass ? { reason: input.breakGlassReason } : {}),
          ...(decided.breakGlass && !result.breakGlass ? { breakGlassRefused: grantee.code, reason: input.breakGlassReason } : {}),
          ...(!gate.ok && decided.decision === 'permit' ? { credentialGate: 'denied', gateCode: gate.code } : {}),
          ...(gate.ok && gate.cached ? { credentialVerdictAgeSeconds: gate.cached.ageSeconds } : {}),
        },
      });
      return { ...result, grantee, at: at.toISOString() };
    },
  };
}
