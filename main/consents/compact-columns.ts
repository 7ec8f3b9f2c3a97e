// How a consent row stores its times and order stamp (migration 0026): a canonical value as an integer, anything else
// as the text it was given, so the generated columns created_at, updated_at and hlc read back exactly what was written.
// Pure; used by every consent writer (store.ts and the fixtures that INSERT consents).

const CANONICAL_TIME = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/;
const CANONICAL_HLC = /^[0-9a-f]{16}$/;

/** A time as its two columns (created_ms/created_text, updated_ms/updated_text): exactly one is not null. */
export type TimeColumns = readonly [ms: number | null, text: string | null];
/** An hlc stamp as its two columns (hlc_int/hlc_text): exactly one is not null. */
export type HlcColumns = readonly [int: bigint | null, text: string | null];

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

/** The 16 lowercase hex digits as a signed 64-bit integer (printf('%016x') gives them back); any other text as itself. */
export function hlcColumns(hlc: string): HlcColumns {
  if (CANONICAL_HLC.test(hlc)) return [BigInt.asIntN(64, BigInt(`0x${hlc}`)), null];
  return [null, hlc];
}

/** The six stored columns of a new row's times and stamp, in the order of CONSENT_STAMP_COLUMNS. */
export function consentStampValues(createdAt: string, updatedAt: string, hlc: string): unknown[] {
  return [...timeColumns(createdAt), ...timeColumns(updatedAt), ...hlcColumns(hlc)];
}

/** The column list consentStampValues fills, for an INSERT INTO consents. */
export const CONSENT_STAMP_COLUMNS = 'created_ms, created_text, updated_ms, updated_text, hlc_int, hlc_text';
