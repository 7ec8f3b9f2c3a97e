// How a consent row stores its times and order stamp (migration 0026): a canonical value as an integer, anything else
// as the text it was given, so the generated columns created_at, updated_at and hlc read back exactly what was written;
// and its five vocabularies (migration 0028) as small integer codes.
// Pure; used by every consent writer (store.ts and the fixtures that INSERT or UPDATE consents).
import { CATEGORIES, CONSENT_STATUSES, DECISIONS, GRANTEE_KINDS, PURPOSES } from '../api/consents';
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

/**
 * A new row's stamp columns as the store writes them (migration 0030): its update time is its creation time, stored
 * as nothing (updated_at reads created_at back).
 */
export function newConsentStampValues(at: string, hlc: string): unknown[] {
  return [...timeColumns(at), null, null, ...hlcColumns(hlc)];
}

/**
 * The stored source (migration 0030): NULL when it is exactly what the row's import run implies ('import:' and the
 * run id, the generated column source rebuilds it), the text otherwise.
 */
export function sourceText(source: string, importRunId: number | null): string | null {
  return importRunId !== null && source === `import:${importRunId}` ? null : source;
}

/** The column list consentStampValues fills, for an INSERT INTO consents. */
export const CONSENT_STAMP_COLUMNS = 'created_ms, created_text, updated_ms, updated_text, hlc_int, hlc_text';

// A consent's five vocabularies (migration 0028): stored as the position of the text in its list (the lists of
// main/api/consents.ts, in the order the old CHECKs named them), read back through the generated columns category,
// status, purpose, decision and grantee_kind. The migration's CASE expressions hold the same lists;
// compact-enums-migration.test.ts compares them.

function codesOf<T extends string>(list: readonly T[]): Readonly<Record<T, number>> {
  return Object.fromEntries(list.map((text, i) => [text, i])) as Record<T, number>;
}

/** Each text's stored code, for SQL written with a fixed value (`status_code = ${STATUS_CODE.revoked}`). */
export const CATEGORY_CODE = codesOf(CATEGORIES);
export const STATUS_CODE = codesOf(CONSENT_STATUSES);
export const PURPOSE_CODE = codesOf(PURPOSES);
export const DECISION_CODE = codesOf(DECISIONS);
export const GRANTEE_KIND_CODE = codesOf(GRANTEE_KINDS);

function lookup(codes: Readonly<Record<string, number>>, text: string): number | null {
  return Object.hasOwn(codes, text) ? codes[text]! : null;
}

/**
 * A text's code; null for a text outside the list, which the row refuses by name (consents_category_code_known and
 * its siblings), as the old CHECK refused the text.
 */
export const categoryCode = (text: string): number | null => lookup(CATEGORY_CODE, text);
export const statusCode = (text: string): number | null => lookup(STATUS_CODE, text);
export const purposeCode = (text: string): number | null => lookup(PURPOSE_CODE, text);
export const decisionCode = (text: string): number | null => lookup(DECISION_CODE, text);
export const granteeKindCode = (text: string): number | null => lookup(GRANTEE_KIND_CODE, text);
