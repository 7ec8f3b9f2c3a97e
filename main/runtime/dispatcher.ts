// The single entry for every API call, whatever the transport (Electron IPC, browser-mode HTTP, CLI):
// known channel -> permission of the caller -> zod validation -> domain handler -> ApiResult.
import { z } from 'zod';
import { api, isChannelName, type Api, type ChannelName } from '../api';
import type { HandlersFor } from '../api/channel';
import { AppError, type ApiErrorShape, type ApiResult } from '../api/errors';
import { roleAllows, type Principal } from '../api/permissions';
import type { Logger } from './log';

/** Facts a handler adds to the audit entry main writes for its call (ids and codes only, never PHI). */
export interface AuditFacts {
  patientId?: number | null;
  subject?: string | null;
  details?: Record<string, unknown>;
  /** Overrides the outcome ('success'/'failure'), e.g. 'deny' or 'break-glass' for an access decision. */
  outcome?: 'permit' | 'deny' | 'break-glass' | 'failure';
}

export interface RequestContext {
  principal: Principal;
  transport: 'electron' | 'browser' | 'cli';
  /** Adds facts to this call's audit entry; may be called more than once (later facts win). */
  audit?: (facts: AuditFacts) => void;
}

export interface AuditRecord {
  principal: Principal;
  transport: RequestContext['transport'];
  channel: string;
  outcome: 'success' | 'failure' | 'denied' | 'permit' | 'deny' | 'break-glass';
  facts: AuditFacts;
  errorCode?: string;
}

/** Writes one audit entry per audited call; provided by the composition root once the audit table exists. */
export type AuditSink = (record: AuditRecord) => void;

export type ApiHandlers = HandlersFor<Api, RequestContext>;

export type Dispatch = (channel: string, input: unknown, ctx: RequestContext) => Promise<ApiResult<unknown>>;

export function validationError(channel: string, error: z.ZodError): AppError {
  const issues = error.issues.map((issue) => ({ field: issue.path.map(String).join('.') || '(input)', message: issue.message }));
  const summary = issues.map((i) => `${i.field}: ${i.message}`).join('; ');
  return new AppError('VALIDATION_FAILED', `Invalid input for ${channel}: ${summary}`, { issues });
}

function toErrorShape(err: unknown, channel: string, log: Logger): ApiErrorShape {
  if (err instanceof AppError) return err.toJSON();
  // Unexpected errors are logged in main (message only: no input values, which may hold PHI) and reach the
  // renderer as a generic message, never as a stack trace.
  log.error(`handler ${channel} failed: ${err instanceof Error ? err.message : String(err)}`);
  return { code: 'INTERNAL', message: `${channel} failed unexpectedly; see the main process log.` };
}

export function createDispatcher(handlers: ApiHandlers, log: Logger, auditSink?: AuditSink): Dispatch {
  const record = (r: AuditRecord) => {
    if (!auditSink) return;
    try {
      auditSink(r);
    } catch (err) {
      // Losing an audit entry is serious but must not turn a done change into a reported failure.
      log.error(`audit entry for ${r.channel} could not be written: ${(err as Error).message}`);
    }
  };
  return async (channel, input, ctx) => {
    if (!isChannelName(channel)) {
      return { ok: false, error: { code: 'UNKNOWN_CHANNEL', message: `There is no API channel named ${JSON.stringify(channel.slice(0, 80))}.` } };
    }
    const def = api[channel as ChannelName];
    if (!roleAllows(ctx.principal.role, def.permission)) {
      record({ principal: ctx.principal, transport: ctx.transport, channel, outcome: 'denied', facts: {}, errorCode: 'PERMISSION_DENIED' });
      return {
        ok: false,
        error: { code: 'PERMISSION_DENIED', message: `Your role (${ctx.principal.role}) may not ${def.permission} (${channel}).`, details: { permission: def.permission } },
      };
    }
    const parsed = (def.input as z.ZodType).safeParse(input ?? {});
    if (!parsed.success) return { ok: false, error: validationError(channel, parsed.error).toJSON() };
    let facts: AuditFacts = {};
    const handlerCtx: RequestContext = { ...ctx, audit: (more) => (facts = { ...facts, ...more, details: { ...facts.details, ...more.details } }) };
    try {
      const handler = handlers[channel as ChannelName] as (input: unknown, ctx: RequestContext) => unknown;
      const value = await handler(parsed.data, handlerCtx);
      if (def.audited) record({ principal: ctx.principal, transport: ctx.transport, channel, outcome: facts.outcome ?? 'success', facts });
      return { ok: true, value };
    } catch (err) {
      const error = toErrorShape(err, channel, log);
      if (def.audited) record({ principal: ctx.principal, transport: ctx.transport, channel, outcome: 'failure', facts, errorCode: String(error.code) });
      return { ok: false, error };
    }
  };
}
