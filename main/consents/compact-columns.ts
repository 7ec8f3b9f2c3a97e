// How a consent row stores its times and order stamp (migration 0026): a canonical value as an integer, anything else
// as the text it was given, so the generated columns created_at, updated_at and hlc read back exactly what was written.
// Pure; used by every consent writer (store.ts and the fixtures that INSERT consents).
import { timeColumns } from '../db/compact-time';

export { timeColumns, type TimeColumns } from '../db/compact-time';

const CANONICAL_HLC = /^[0-9a-f]{16}$/;

/** An hlc stamp as its two columns (hlc_int/hlc_text): exactly one is not null. */
export type HlcColumns = readonly [int: bigint | null, text: string | null];

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
