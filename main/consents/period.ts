// Consent periods as the ConsentLedger stores them: unix seconds, start inclusive, end exclusive. Dates are UTC
// days and an end date includes its whole day; a date-time end includes its second (FHIR Period semantics).

const DATE = /^(\d{4})-(\d{2})-(\d{2})$/;
const DATE_TIME = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2})(?::(\d{2})(?:\.\d{1,9})?)?(Z|[+-]\d{2}:\d{2})?$/;
const DAY = 86_400;

export type Parsed<T> = { ok: true; value: T } | { ok: false; reason: string };
/** Why a date was refused, without its value (a birth date is PHI): the form, the year range, or no such day. */
export type DateProblem = 'FORM' | 'YEAR_RANGE' | 'NO_SUCH_DAY';
/** Years Custodian accepts in dates (birth dates and consent periods). */
export const YEAR_RANGE = { min: 1900, max: 2999 } as const;

/** A sentence for a refused date that does not repeat the value. */
export function describeDateProblem(problem: DateProblem): string {
  if (problem === 'YEAR_RANGE') return `has a year outside ${YEAR_RANGE.min}-${YEAR_RANGE.max}, the range of years Custodian accepts`;
  if (problem === 'NO_SUCH_DAY') return 'is not a real calendar date (no such month or day)';
  return 'is not a date in the form YYYY-MM-DD';
}

function daysInMonth(year: number, month: number): number {
  if (month === 2) return (year % 4 === 0 && year % 100 !== 0) || year % 400 === 0 ? 29 : 28;
  return month === 4 || month === 6 || month === 9 || month === 11 ? 30 : 31;
}

function dayProblem(y: number, m: number, d: number): DateProblem | null {
  if (y < YEAR_RANGE.min || y > YEAR_RANGE.max) return 'YEAR_RANGE';
  if (m < 1 || m > 12 || d < 1 || d > daysInMonth(y, m)) return 'NO_SUCH_DAY';
  return null;
}

function checkDay(y: number, m: number, d: number, text: string): string | null {
  if (y < YEAR_RANGE.min || y > YEAR_RANGE.max) return `year out of range in ${text} (${YEAR_RANGE.min}-${YEAR_RANGE.max})`;
  if (m < 1 || m > 12) return `no such month in ${text}`;
  if (d < 1 || d > daysInMonth(y, m)) return `no such date: ${text}`;
  return null;
}

/** A calendar date YYYY-MM-DD (birth dates): checked for impossible days, returned as given; a refusal names why. */
export function parseCalendarDate(text: string): { ok: true; value: string } | { ok: false; problem: DateProblem } {
  const m = DATE.exec(text);
  if (!m) return { ok: false, problem: 'FORM' };
  const problem = dayProblem(Number(m[1]), Number(m[2]), Number(m[3]));
  return problem ? { ok: false, problem } : { ok: true, value: text };
}

/**
 * A period bound as unix seconds. 'start' gives the first second covered; 'end' the first second no longer
 * covered (the day after an end date, the second after an end date-time). Date-times need a time zone.
 */
export function parseBound(text: string, edge: 'start' | 'end'): Parsed<number> {
  let m = DATE.exec(text);
  if (m) {
    const [y, mo, d] = [Number(m[1]), Number(m[2]), Number(m[3])];
    const problem = checkDay(y, mo, d, text);
    if (problem) return { ok: false, reason: problem };
    const midnight = Date.UTC(y, mo - 1, d) / 1000;
    return { ok: true, value: edge === 'start' ? midnight : midnight + DAY };
  }
  m = DATE_TIME.exec(text);
  if (!m) return { ok: false, reason: `expected YYYY-MM-DD or an ISO 8601 date-time with a time zone, got ${JSON.stringify(text.slice(0, 40))}` };
  const [y, mo, d, h, mi, s] = [Number(m[1]), Number(m[2]), Number(m[3]), Number(m[4]), Number(m[5]), Number(m[6] ?? 0)];
  const problem = checkDay(y, mo, d, text);
  if (problem) return { ok: false, reason: problem };
  if (h > 23 || mi > 59 || s > 59) return { ok: false, reason: `no such time of day in ${text}` };
  const zone = m[7];
  if (!zone) return { ok: false, reason: `a date-time needs a time zone (Z or +hh:mm): ${text}` };
  let offset = 0;
  if (zone !== 'Z') {
    const sign = zone[0] === '-' ? -1 : 1;
    const oh = Number(zone.slice(1, 3));
    const om = Number(zone.slice(4, 6));
    if (oh > 14 || om > 59) return { ok: false, reason: `no such time zone offset in ${text}` };
    offset = sign * (oh * 3600 + om * 60);
  }
  const seconds = Date.UTC(y, mo - 1, d, h, mi, s) / 1000 - offset;
  return { ok: true, value: edge === 'start' ? seconds : seconds + 1 };
}

function iso(seconds: number): string {
  return new Date(seconds * 1000).toISOString().replace('.000Z', 'Z');
}

/** The text a start bound imports from: a date when it is a UTC midnight, else a UTC date-time. */
export function formatStart(seconds: number): string {
  return seconds % DAY === 0 ? iso(seconds).slice(0, 10) : iso(seconds);
}

/** The inclusive text of an exclusive end bound: parseBound(formatEnd(x), 'end') === x. */
export function formatEnd(exclusive: number): string {
  return exclusive % DAY === 0 ? iso(exclusive - DAY).slice(0, 10) : iso(exclusive - 1);
}

export function unixSeconds(at: Date | number): number {
  return typeof at === 'number' ? Math.floor(at) : Math.floor(at.getTime() / 1000);
}

/** Whether two [start, end) periods (end null = open) share at least one second. */
export function periodsOverlap(aStart: number, aEnd: number | null, bStart: number, bEnd: number | null): boolean {
  return (aEnd === null || bStart < aEnd) && (bEnd === null || aStart < bEnd);
}
