// The shape of one API channel: its zod input schema, the permission main checks, and its result type.
// Domain files (system.ts, consents.ts, …) declare their channels with `channel<Result>()(schema, permission)`.
import type { z } from 'zod';
import type { ChannelAccess } from './permissions';
import { wellFormedText } from './text';

export interface ChannelDef<I extends z.ZodType, R> {
  readonly input: I;
  readonly permission: ChannelAccess;
  /** Whether main writes an audit entry for each call. Off only for status polling that shows no patient data. */
  readonly audited: boolean;
  /** Phantom: carries the result type; never set at run time. */
  readonly __result?: R;
}

export function channel<R>() {
  // Every channel refuses unencodable text (lone surrogates, control characters) naming the field, so that what
  // main audits can always be written.
  return <I extends z.ZodType>(input: I, permission: ChannelAccess, options: { audited?: boolean } = {}): ChannelDef<I, R> => ({
    input: wellFormedText(input),
    permission,
    audited: options.audited ?? true,
  });
}

// eslint-style alias kept loose on purpose: any channel map.
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type AnyChannelMap = Record<string, ChannelDef<any, any>>;

export type InputOf<D> = D extends ChannelDef<infer I, unknown> ? z.input<I> : never;
export type ParsedInputOf<D> = D extends ChannelDef<infer I, unknown> ? z.output<I> : never;
export type ResultOf<D> = D extends ChannelDef<z.ZodType, infer R> ? R : never;

/** What a domain implements for its channel map: one handler per channel, given parsed input and the caller. */
export type HandlersFor<M extends AnyChannelMap, Ctx> = {
  [K in keyof M]: (input: ParsedInputOf<M[K]>, ctx: Ctx) => Promise<ResultOf<M[K]>> | ResultOf<M[K]>;
};
