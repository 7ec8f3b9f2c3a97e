// The single entry for every API call, whatever the transport (Electron IPC, browser-mode HTTP, CLI):
// known channel -> who is calling (session) -> permission -> zod validation -> domain handler -> ApiResult.
import { z } from 'zod';
import { api, isChannelName, type Api, type ChannelName } from '../api';
import type { HandlersFor } from '../api/channel';
import { AppError, type ApiErrorShape, type ApiResult } from '../api/errors';
import { PASSWORD_CHANGE_CHANNELS } from '../api/auth';
import { ANONYMOUS, type ChannelAccess, type Principal } from '../api/permissions';
import { roleAllows } from '../api/role-check';
import type { Logger } from './log';
import { identityRefusal, shapeAnswer } from './minimum-necessary';

/** Facts a handler adds to the audit entry main writes for its call (ids and codes only, never PHI). */
export interface AuditFacts {
  patientId?: number | null;
  subject?: string | null;
  details?: Record<string, unknown>;
  /** Overrides the outcome ('success'/'failure'), e.g. 'deny' or 'break-glass' for an access decision. */
  outcome?: 'permit' | 'deny' | 'break-glass' | 'failure';
  /** Overrides the principal recorded, e.g. the staff member who just signed in. */
  actor?: Principal;
}

/**
 * Where a transport keeps the caller's session token: an HttpOnly cookie in browser mode, a per-window map in
 * Electron, memory in the CLI. The renderer never sees the token.
 */
export interface SessionHolder {
  get(): string | undefined;
  set(token: string | undefined): void;
}

export type Transport = 'electron' | 'browser' | 'cli';

/** What a transport passes in: its name and the caller's session (or, for trusted in-process callers, a principal). */
export interface CallerContext {
  transport: Transport;
  /**
   * Where the call comes from, for sign-in throttling: browser mode's client address, an Electron window, the CLI
   * process. Defaults to the transport's name.
   */
  source?: string;
  session?: SessionHolder;
  principal?: Principal;
  /**
   * For a command-line caller that signed in with a password: signs the same account in again (a new auth.login,
   * audited) after its session locked for inactivity while the command waited on its own work (a long import). The
   * dispatcher never renews a session itself; typedCall uses this once per refused call.
   */
  reauthenticate?: () => Promise<void>;
}

export interface RequestContext {
  principal: Principal;
  transport: Transport;
  /** The caller's source (see CallerContext.source), `transport:…`. */
  source: string;
  session: SessionHolder;
  /** Adds facts to this call's audit entry; may be called more than once (later facts win). */
  audit: (facts: AuditFacts) => void;
  /**
   * Whether the caller's role grants `access`: for the few handlers whose permission depends on the row asked for
   * (a job's kind). The dispatcher is the one place that asks the permission table; handlers ask it through this.
   */
  allows: (access: ChannelAccess) => boolean;
  /**
   * Adds one more entry, written with this call's own entry (just before it, in the same transaction) and only if
   * the call succeeds: a bulk action's entry per item it changed, under that item's action name.
   */
  auditEach: (action: string, facts: AuditFacts) => void;
  /**
   * For async handlers: runs `write` (synchronous) and this call's audit entry in one SQLite transaction, so the
   * change takes effect only with its entry. Call it once, last, with every fact added. Synchronous handlers need
   * not: the dispatcher runs them in that transaction already.
   */
  commit: <T>(write: () => T) => T;
}

export interface AuditRecord {
  principal: Principal;
  transport: Transport;
  channel: string;
  outcome: 'success' | 'failure' | 'denied' | 'permit' | 'deny' | 'break-glass';
  facts: AuditFacts;
  errorCode?: string;
}

/** Writes one audit entry per audited call; provided by the composition root once the audit table exists. */
export type AuditSink = (record: AuditRecord) => void;

export type SessionResolution =
  | { state: 'active'; principal: Principal }
  /** Signed in with a password an IT admin set: only PASSWORD_CHANGE_CHANNELS (and public ones) until it changes. */
  | { state: 'password-change-required'; principal: Principal }
  | { state: 'locked'; principal: Principal }
  | { state: 'none' };
/**
 * Turns a session token into its staff member; 'locked' once when a session ends for inactivity. `activity` is
 * false for background polling (unaudited channels), which must not keep an unattended session alive.
 */
export type SessionResolver = (token: string | undefined, activity: boolean) => SessionResolution;

export type ApiHandlers = HandlersFor<Api, RequestContext>;

export type Dispatch = (channel: string, input: unknown, caller: CallerContext) => Promise<ApiResult<unknown>>;

export function memorySession(initial?: string): SessionHolder {
  let token = initial;
  return { get: () => token, set: (t) => (token = t) };
}

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

export interface DispatcherOptions {
  audit?: AuditSink;
  resolveSession?: SessionResolver;
  /** Runs `fn` in one SQLite transaction (db.transaction): a call's change and its audit entry commit together. */
  /**
   * Runs `fn` in one SQLite transaction. `write` says the transaction will write (an audited call's entry): it must
   * then take the write lock at its start (BEGIN IMMEDIATE), because a read transaction that writes later fails at once
   * (SQLITE_BUSY_SNAPSHOT) when another connection, e.g. an import worker, committed in between; no busy wait helps.
   */
  transaction?: <T>(fn: () => T, write: boolean) => T;
}

const AUDIT_WRITE_FAILED = (channel: string): ApiErrorShape => ({
  code: 'AUDIT_WRITE_FAILED',
  message: `${channel} was not done: its audit entry could not be written (nothing was changed or shown). See the main process log.`,
});

function isThenable(v: unknown): v is PromiseLike<unknown> {
  return typeof (v as { then?: unknown } | null)?.then === 'function';
}

/** Marks an error thrown by the audit sink, so a failed write is told apart from a failed handler. */
class AuditWriteError extends Error {}

export function createDispatcher(handlers: ApiHandlers, log: Logger, options: DispatcherOptions = {}): Dispatch {
  const inTransaction = options.transaction ?? (<T>(fn: () => T, _write: boolean) => fn());
  /** Writes an entry where a lost one changes nothing (denied, locked, failed calls): logged, not fatal. */
  const recordBestEffort = (r: AuditRecord) => {
    if (!options.audit) return;
    try {
      options.audit(r);
    } catch (err) {
      log.error(`audit entry for ${r.channel} could not be written: ${(err as Error).message}`);
    }
  };
  /** Writes the entry of a call that takes effect or shows data: a failure aborts the surrounding transaction. */
  const recordOrThrow = (r: AuditRecord) => {
    if (!options.audit) return;
    try {
      options.audit(r);
    } catch (err) {
      log.error(`audit entry for ${r.channel} could not be written; the call is refused: ${(err as Error).message}`);
      throw new AuditWriteError((err as Error).message);
    }
  };

  return async (channel, input, caller) => {
    if (!isChannelName(channel)) {
      return { ok: false, error: { code: 'UNKNOWN_CHANNEL', message: `There is no API channel named ${JSON.stringify(channel.slice(0, 80))}.` } };
    }
    const session = caller.session ?? memorySession();
    const def = api[channel as ChannelName];
    let principal = caller.principal;
    let justLocked = false;
    let mustChangePassword = false;
    if (!principal) {
      const resolved = options.resolveSession?.(session.get(), def.audited) ?? { state: 'none' as const };
      if (resolved.state === 'locked') {
        justLocked = true;
        session.set(undefined);
        recordBestEffort({ principal: resolved.principal, transport: caller.transport, channel: 'auth.lock', outcome: 'success', facts: { details: { reason: 'inactivity' } } });
      }
      mustChangePassword = resolved.state === 'password-change-required';
      principal = resolved.state === 'active' || resolved.state === 'password-change-required' ? resolved.principal : ANONYMOUS;
    }
    // Enforced here, for every transport, not by the UI: a temporary password opens nothing but its own change.
    if (mustChangePassword && def.permission !== 'public' && !PASSWORD_CHANGE_CHANNELS.has(channel)) {
      recordBestEffort({ principal, transport: caller.transport, channel, outcome: 'denied', facts: {}, errorCode: 'PASSWORD_CHANGE_REQUIRED' });
      return { ok: false, error: { code: 'PASSWORD_CHANGE_REQUIRED', message: 'Choose a new password first: this account still has the password an IT administrator set.' } };
    }

    if (!roleAllows(principal.role, def.permission)) {
      if (principal.role === 'anonymous') {
        return {
          ok: false,
          error: justLocked
            ? { code: 'SESSION_LOCKED', message: 'The console locked after a period of inactivity. Sign in again to continue.' }
            : { code: 'NOT_AUTHENTICATED', message: 'Sign in to continue.' },
        };
      }
      recordBestEffort({ principal, transport: caller.transport, channel, outcome: 'denied', facts: {}, errorCode: 'PERMISSION_DENIED' });
      return {
        ok: false,
        error: { code: 'PERMISSION_DENIED', message: `Your role (${principal.role}) may not ${def.permission} (${channel}).`, details: { permission: def.permission } },
      };
    }
    const parsed = (def.input as z.ZodType).safeParse(input ?? {});
    if (!parsed.success) return { ok: false, error: validationError(channel, parsed.error).toJSON() };
    // Searching by name or MRN, or a file of rows as read, is itself a use of patient identity (minimum-necessary.ts).
    const refusal = identityRefusal(channel as ChannelName, parsed.data, principal);
    if (refusal) {
      recordBestEffort({ principal, transport: caller.transport, channel, outcome: 'denied', facts: { details: { fields: refusal.fields } }, errorCode: 'PERMISSION_DENIED' });
      return { ok: false, error: { code: 'PERMISSION_DENIED', message: refusal.message, details: { permission: 'patients.view', fields: refusal.fields } } };
    }

    let facts: AuditFacts = {};
    const actor = () => facts.actor ?? principal!;
    const success = (): AuditRecord => ({ principal: actor(), transport: caller.transport, channel, outcome: facts.outcome ?? 'success', facts });
    // Whether this call's success entry is written (by the dispatcher's transaction or the handler's commit()).
    let written = !def.audited;
    const items: AuditRecord[] = [];
    // The item entries, then the call's own: one write of all, or none (the caller's transaction rolls back).
    const recordSuccess = () => {
      for (const item of items) recordOrThrow(item);
      recordOrThrow(success());
    };
    const ctx: RequestContext = {
      principal,
      transport: caller.transport,
      source: `${caller.transport}:${caller.source ?? 'local'}`,
      session,
      audit: (more) => (facts = { ...facts, ...more, details: { ...facts.details, ...more.details } }),
      allows: (access) => roleAllows(principal.role, access),
      auditEach: (action, itemFacts) => items.push({ principal: itemFacts.actor ?? principal!, transport: caller.transport, channel: action, outcome: itemFacts.outcome ?? 'success', facts: itemFacts }),
      commit: (write) =>
        inTransaction(() => {
          const value = write();
          if (!written) recordSuccess();
          written = true;
          return value;
        }, true),
    };
    const handler = handlers[channel as ChannelName] as (input: unknown, ctx: RequestContext) => unknown;
    try {
      // Identity withheld by role, and the patients the answer shows named in its audit entry (ids, never names):
      // done before the entry is written, so the entry says what left.
      const shape = (raw: unknown): unknown => {
        const shaped = shapeAnswer(channel as ChannelName, raw, principal);
        if (shaped.phiRead) {
          // With the ids a handler named itself (e.g. an import preview's patients on file).
          const named = Array.isArray(facts.details?.patientIds) ? (facts.details.patientIds as unknown[]).filter((v): v is number => typeof v === 'number') : [];
          const ids = [...new Set([...named, ...shaped.patientIds])].sort((a, b) => a - b);
          const single = ids.length === 1 && facts.patientId == null ? { patientId: ids[0]! } : {};
          ctx.audit({ ...single, details: { patientIds: ids } });
        }
        return shaped.value;
      };
      // A synchronous handler runs in one transaction with its audit entry: if the entry cannot be written, its
      // change is rolled back and no data leaves. An async handler commits through ctx.commit(), or else its entry
      // is written after it and a failed write returns an error instead of the value.
      // (Boxed: a transaction function may not return a promise.)
      let { value } = inTransaction(() => {
        const v = handler(parsed.data, ctx);
        if (isThenable(v)) return { value: v };
        const shapedValue = shape(v);
        if (!written) {
          recordSuccess();
          written = true;
        }
        return { value: shapedValue };
      }, !written);
      if (isThenable(value)) {
        value = shape(await value);
        if (!written) {
          inTransaction(() => recordSuccess(), true);
          written = true;
        }
      }
      return { ok: true, value };
    } catch (err) {
      if (err instanceof AuditWriteError) return { ok: false, error: AUDIT_WRITE_FAILED(channel) };
      const error = toErrorShape(err, channel, log);
      if (def.audited) recordBestEffort({ principal: actor(), transport: caller.transport, channel, outcome: 'failure', facts, errorCode: String(error.code) });
      return { ok: false, error };
    }
  };
}
