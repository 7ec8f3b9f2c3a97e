// The typed way to call the dispatcher from in-process code (the CLI and its domain commands): a channel name from
// the API table, its input, and its result type, with ONE unwrap that turns a refusal into its AppError (code kept).
import type { ChannelInput, ChannelName, ChannelResult } from '../api';
import { AppError, type ApiResult } from '../api/errors';
import type { CallerContext, Dispatch } from './dispatcher';

/** What a channel answers. */
export type Output<K extends ChannelName> = ChannelResult<K>;

/** A value as typed at a terminal: a choice among words is any text until the dispatcher's zod checks it. */
type AsTyped<V> = V extends string ? string : V extends readonly (infer E)[] ? AsTyped<E>[] : V;

/**
 * A channel's input as a command line gives it: only fields the channel knows (a typo'd field does not compile),
 * each possibly missing or any text where the channel takes a choice of words, because what the person typed is
 * the dispatcher's zod to judge, naming the field. Numbers, booleans and nested objects keep their types.
 */
export type CommandInput<T> = T extends object ? { [P in keyof T]?: AsTyped<T[P]> | undefined } : T;

/** The one unwrap: the value of a call, or its refusal thrown as an AppError with the same code, message and details. */
export function unwrap<T>(result: ApiResult<T>): T {
  if (!result.ok) throw new AppError(result.error.code, result.error.message, result.error.details);
  return result.value;
}

export interface CallOptions {
  /**
   * How a command names what it needed when the dispatcher refuses the caller (PERMISSION_DENIED, or nobody signed
   * in): "<refusal>; <name> is <role>". The dispatcher decides; this only words the refusal for a person at a terminal.
   */
  refusal?: string;
}

export type TypedCall = <K extends ChannelName>(channel: K, input: CommandInput<ChannelInput<K>>, options?: CallOptions) => Promise<Output<K>>;

/**
 * Binds a caller (a transport and its session, or a trusted principal) to the dispatcher. The result type is the
 * channel table's: the dispatcher ran the handler typed by that table (HandlersFor), so the one cast here is safe.
 */
export function typedCall(dispatch: Dispatch, caller: CallerContext): TypedCall {
  const raw = async <K extends ChannelName>(channel: K, input: unknown) => (await dispatch(channel, input, caller)) as ApiResult<Output<K>>;
  return async (channel, input, options = {}) => {
    let result = await raw(channel, input);
    // The lock stands (the dispatcher ended the session and audited it); a caller that can sign in again does so,
    // once, and asks again. Without the password there is no second sign-in and nothing more is read.
    if (!result.ok && result.error.code === 'SESSION_LOCKED' && caller.reauthenticate) {
      await caller.reauthenticate();
      result = await raw(channel, input);
    }
    if (!result.ok && options.refusal && (result.error.code === 'PERMISSION_DENIED' || result.error.code === 'NOT_AUTHENTICATED')) {
      const status = await raw('auth.status', {});
      const principal = status.ok ? status.value.principal : null;
      throw new AppError('PERMISSION_DENIED', `${options.refusal}; ${principal ? `${principal.name} is ${principal.role}` : 'nobody is signed in'}.`, result.error.details);
    }
    return unwrap(result);
  };
}
