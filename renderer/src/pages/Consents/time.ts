// Times as records staff type them (YYYY-MM-DD HH:MM, local), turned into the ISO instants the API takes.

/**
 * "2025-11-24" (start of that day) or "2025-11-24 09:30[:15]" in this computer's time zone, as an ISO instant;
 * null when it is not a real date and time. Typed rather than picked: the browser's picker shows the locale's
 * month/day order, and records staff compare with YYYY-MM-DD everywhere else.
 */
export function localToIso(value: string): string | null {
  const m = /^(\d{4})-(\d{2})-(\d{2})(?:[ T](\d{2}):(\d{2})(?::(\d{2}))?)?$/.exec(value.trim());
  if (!m) return null;
  const [y, mo, d, h = '0', mi = '0', sec = '0'] = m.slice(1).map((x) => x ?? undefined) as string[];
  const date = new Date(Number(y), Number(mo) - 1, Number(d), Number(h), Number(mi), Number(sec));
  const same =
    date.getFullYear() === Number(y) && date.getMonth() === Number(mo) - 1 && date.getDate() === Number(d) && date.getHours() === Number(h) && date.getMinutes() === Number(mi);
  return same ? date.toISOString() : null;
}
