// Text that every channel accepts: well-formed Unicode without control characters other than tab and line breaks.
// channel() applies it to every channel's input, so whatever main audits can always be written (canonical JSON
// throws on a lone UTF-16 surrogate) and no NUL reaches SQLite, logs or a CSV export. Pure zod: the renderer may use it.
import type { z } from 'zod';

/** A high surrogate not followed by a low one, or a low one not preceded by a high one. */
const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;
/** C0 controls but tab, line feed and carriage return (which documents and notes may hold). */
// eslint-disable-next-line no-control-regex
const CONTROL = /[\u0000-\u0008\u000B\u000C\u000E-\u001F]/;

/** Why a string cannot be taken as text, or null when it can. */
export function textProblem(text: string): string | null {
  if (LONE_SURROGATE.test(text)) return 'contains a lone UTF-16 surrogate (text that cannot be encoded)';
  if (CONTROL.test(text)) return 'contains a control character (NUL or another C0 control other than tab or a line break)';
  return null;
}

/** Every string in a parsed value (object keys included) with its path and problem. */
export function unencodableText(value: unknown, at: (string | number)[] = []): { path: (string | number)[]; message: string }[] {
  if (typeof value === 'string') {
    const problem = textProblem(value);
    return problem ? [{ path: at, message: problem }] : [];
  }
  if (Array.isArray(value)) return value.flatMap((v, i) => unencodableText(v, [...at, i]));
  if (value && typeof value === 'object') {
    return Object.entries(value).flatMap(([k, v]) => {
      const problem = textProblem(k);
      return [...(problem ? [{ path: [...at, k], message: `has a key that ${problem}` }] : []), ...unencodableText(v, [...at, k])];
    });
  }
  return [];
}

const checked = new WeakSet<z.ZodType>();

/** The schema, refusing any string in its input that textProblem() rejects, naming the field. */
export function wellFormedText<T extends z.ZodType>(schema: T): T {
  const refined = schema.superRefine((value, ctx) => {
    for (const issue of unencodableText(value)) ctx.addIssue({ code: 'custom', path: issue.path, message: issue.message });
  }) as unknown as T;
  checked.add(refined);
  return refined;
}

/** Whether a schema came from wellFormedText() (the channel-table test checks every channel). */
export function refusesUnencodableText(schema: z.ZodType): boolean {
  return checked.has(schema);
}
