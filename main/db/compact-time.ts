// A time as two columns (migrations 0026, 0027): a canonical ISO-8601 UTC time (what toISOString writes) as its
// milliseconds, anything else as the text it was given, so a generated column rebuilds exactly what was written.
// Pure; the consent and outbox writers use it.

const CANONICAL_TIME = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/;

/** A time as its two columns (e.g. created_ms/created_text): exactly one is not null. */
export type TimeColumns = readonly [ms: number | null, text: string | null];

/**
 * Milliseconds when the text is what toISOString writes for them (and the generated column's strftime rebuilds it:
 * years 1970-9999); the text itself otherwise (another offset, no milliseconds, an impossible date, junk).
 */
export function timeColumns(text: string): TimeColumns {
  if (CANONICAL_TIME.test(text)) {
    const ms = Date.parse(text);
    if (Number.isSafeInteger(ms) && ms >= 0 && new Date(ms).toISOString() === text) return [ms, null];
  }
  return [null, text];
}
