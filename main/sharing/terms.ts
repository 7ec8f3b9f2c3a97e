// The terms of a sharing agreement: direction, purposes, categories and the two organisation ids, packed into one
// scope word that sealed-terms.ts commits (salted) and seals for the partner. Pure; used by agreements and sink.
import { decodeBytes32String, encodeBytes32String } from 'ethers';
import { CATEGORIES, PURPOSES, type CategoryCode, type PurposeCode } from '../api/consents';

export const DIRECTIONS = ['outbound', 'inbound', 'both'] as const;
/** Seen from the organisation that holds the row: 'outbound' = we share with the partner, 'inbound' = they share with us. */
export type Direction = (typeof DIRECTIONS)[number];

/** Purposes an agreement may name: every consent purpose but break-glass (ETREAT is never a release purpose). */
export const SHARING_PURPOSES = PURPOSES.filter((p) => p !== 'ETREAT') as Exclude<PurposeCode, 'ETREAT'>[];
export type SharingPurpose = (typeof SHARING_PURPOSES)[number];

export const ORG_ID_PATTERN = /^[A-Za-z0-9][A-Za-z0-9._-]{1,30}$/;

/** Terms seen from partyA (the proposer), as they are sealed for partyB. */
export interface ChainTerms {
  /** From partyA's side. */
  direction: Direction;
  purposes: readonly SharingPurpose[];
  categories: readonly CategoryCode[];
  orgA: string;
  orgB: string;
}

const DIRECTION_CODE: Record<Direction, number> = { outbound: 1, inbound: 2, both: 3 };

export function maskOf<T extends string>(all: readonly T[], chosen: readonly T[]): number {
  return chosen.reduce((m, c) => m | (1 << all.indexOf(c)), 0);
}

export function codesOf<T extends string>(all: readonly T[], mask: number): T[] {
  return all.filter((_, i) => (mask & (1 << i)) !== 0);
}

export interface ScopeParts {
  direction: number;
  purposesMask: number;
  categoriesMask: number;
}

export function scopePartsOf(t: Pick<ChainTerms, 'direction' | 'purposes' | 'categories'>): ScopeParts {
  return { direction: DIRECTION_CODE[t.direction], purposesMask: maskOf(SHARING_PURPOSES, t.purposes), categoriesMask: maskOf(CATEGORIES, t.categories) };
}

/** The packed scope word: bits 0-7 direction, 8-39 purposes mask, 40-71 categories mask. */
export function packScope(p: ScopeParts): bigint {
  return BigInt(p.direction) | (BigInt(p.purposesMask) << 8n) | (BigInt(p.categoriesMask) << 40n);
}

export function unpackScope(word: bigint): ScopeParts {
  return { direction: Number(word & 0xffn), purposesMask: Number((word >> 8n) & 0xffffffffn), categoriesMask: Number((word >> 40n) & 0xffffffffn) };
}

export function directionOfCode(code: number): Direction | null {
  return (Object.entries(DIRECTION_CODE).find(([, c]) => c === code)?.[0] as Direction | undefined) ?? null;
}

/** The same direction seen from the other party. */
export function flipDirection(d: Direction): Direction {
  return d === 'both' ? 'both' : d === 'outbound' ? 'inbound' : 'outbound';
}

export function orgIdBytes(orgId: string): string {
  return encodeBytes32String(orgId);
}

export function orgIdOfBytes(b: string): string | null {
  try {
    const s = decodeBytes32String(b);
    return ORG_ID_PATTERN.test(s) ? s : null;
  } catch {
    return null;
  }
}

/** Terms rebuilt from opened sealed terms (sealed-terms.ts); null when the scope or an org id is malformed. */
export function termsFromChain(scope: bigint, orgA: string, orgB: string): ChainTerms | null {
  const parts = unpackScope(scope);
  const direction = directionOfCode(parts.direction);
  const a = orgIdOfBytes(orgA);
  const b = orgIdOfBytes(orgB);
  if (!direction || !a || !b || scope >> 72n !== 0n) return null;
  const purposes = codesOf(SHARING_PURPOSES, parts.purposesMask);
  const categories = codesOf(CATEGORIES, parts.categoriesMask);
  if (purposes.length === 0 || categories.length === 0) return null;
  return { direction, purposes, categories, orgA: a, orgB: b };
}
