// The single entry for every API call, whatever the transport (Electron IPC, browser-mode HTTP, CLI):
// known channel -> permission of the caller -> zod validation -> domain handler -> ApiResult.
import { z } from 'zod';
import { api, isChannelName, type Api, type ChannelName } from '../api';
import type { HandlersFor } from '../api/channel';
import { AppError, type ApiErrorShape, type ApiResult } from '../api/errors';
import { roleAllows, type Principal } from '../api/permissions';
import type { Logger } from './log';

export interface RequestContext {
  principal: Principal;
  transport: 'electron' | 'browser' | 'cli';
}

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

export function createDispatcher(handlers: ApiHandlers, log: Logger): Dispatch {
  return async (channel, input, ctx) => {
    if (!isChannelName(channel)) {
      return { ok: false, error: { code: 'UNKNOWN_CHANNEL', message: `There is no API channel named ${JSON.stringify(channel.slice(0, 80))}.` } };
    }
    const def = api[channel as ChannelName];
    if (!roleAllows(ctx.principal.role, def.permission)) {
      return {
        ok: false,
        error: { code: 'PERMISSION_DENIED', message: `Your role (${ctx.principal.role}) may not ${def.permission} (${channel}).`, details: { permission: def.permission } },
      };
    }
    const parsed = (def.input as z.ZodType).safeParse(input ?? {});
    if (!parsed.success) return { ok: false, error: validationError(channel, parsed.error).toJSON() };
    try {
      const handler = handlers[channel as ChannelName] as (input: unknown, ctx: RequestContext) => unknown;
      const value = await handler(parsed.data, ctx);
      return { ok: true, value };
    } catch (err) {
      return { ok: false, error: toErrorShape(err, channel, log) };
    }
  };
}
