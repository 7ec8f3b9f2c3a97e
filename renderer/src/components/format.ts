// Formatting for people: unambiguous dates (records staff compare them with paper), sizes and counts.
import type { Role } from '../../../main/api/permissions';

// One wording for ages on screen and in main's reasons.
export { formatAge } from '../../../main/api/age';

/**
 * The person's locale as the operating system gives it to the browser or Electron (navigator.languages); en-US
 * where there is none (unit tests in Node).
 */
export function displayLocale(): string {
  const nav = (globalThis as { navigator?: { languages?: readonly string[]; language?: string } }).navigator;
  return nav?.languages?.[0] ?? nav?.language ?? 'en-US';
}

const dateTimeFormats = new Map<string, Intl.DateTimeFormat>();
function dateTimeFormat(locale: string): Intl.DateTimeFormat {
  let f = dateTimeFormats.get(locale);
  if (!f) {
    // The month as a word (never 03/04 read two ways), seconds (records staff match events to the second), and the
    // time zone, so that times from different screens and workstations can be compared.
    f = new Intl.DateTimeFormat(locale, { year: 'numeric', month: 'short', day: 'numeric', hour: '2-digit', minute: '2-digit', second: '2-digit', timeZoneName: 'short' });
    dateTimeFormats.set(locale, f);
  }
  return f;
}

/** "Jan 2, 2025, 03:04:05 AM UTC" in the OS locale and local time zone; "—" when absent or unreadable. */
export function formatDateTime(value: string | number | Date | null | undefined, locale: string = displayLocale()): string {
  if (value === null || value === undefined || value === '') return '—';
  const d = value instanceof Date ? value : new Date(value);
  if (Number.isNaN(d.getTime())) return String(value);
  return dateTimeFormat(locale).format(d);
}

const dateFormats = new Map<string, Intl.DateTimeFormat>();

/**
 * "Jan 2, 2025" in the OS locale and local time zone (the month as a word, as formatDateTime); "—" when absent or
 * unreadable. For a day where a full time would not fit: never a slice of formatDateTime, whose length depends on the
 * locale (a slice cut "Dec 7, 2026" to "Dec 7, 202").
 */
export function formatDate(value: string | number | Date | null | undefined, locale: string = displayLocale()): string {
  if (value === null || value === undefined || value === '') return '—';
  const d = value instanceof Date ? value : new Date(value);
  if (Number.isNaN(d.getTime())) return String(value);
  let f = dateFormats.get(locale);
  if (!f) {
    f = new Intl.DateTimeFormat(locale, { year: 'numeric', month: 'short', day: 'numeric' });
    dateFormats.set(locale, f);
  }
  return f.format(d);
}

/** "12 s ago", "4 min ago", "3 h ago", else the date. */
export function formatAgo(value: string | number | Date, now: number = Date.now()): string {
  const t = value instanceof Date ? value.getTime() : new Date(value).getTime();
  if (Number.isNaN(t)) return String(value);
  const s = Math.max(0, Math.round((now - t) / 1000));
  if (s < 60) return `${s} s ago`;
  if (s < 3600) return `${Math.floor(s / 60)} min ago`;
  if (s < 86_400) return `${Math.floor(s / 3600)} h ago`;
  return formatDateTime(t);
}

const numberFormats = new Map<string, Intl.NumberFormat>();

/** A count with the OS locale's grouping ("1,234", "1.234", "1 234"). */
export function formatCount(n: number, locale: string = displayLocale()): string {
  let f = numberFormats.get(locale);
  if (!f) {
    f = new Intl.NumberFormat(locale);
    numberFormats.set(locale, f);
  }
  return f.format(n);
}

export function formatBytes(bytes: number): string {
  if (!Number.isFinite(bytes) || bytes < 0) return '—';
  const units = ['B', 'KB', 'MB', 'GB', 'TB'];
  let v = bytes;
  let i = 0;
  while (v >= 1024 && i < units.length - 1) {
    v /= 1024;
    i += 1;
  }
  return `${i === 0 ? v : v.toFixed(v < 10 ? 1 : 0)} ${units[i]}`;
}

/** "3 min 20 s", for an ETA. */
export function formatDuration(seconds: number): string {
  if (!Number.isFinite(seconds) || seconds < 0) return '—';
  const s = Math.round(seconds);
  if (s < 60) return `${s} s`;
  if (s < 3600) return `${Math.floor(s / 60)} min ${s % 60} s`;
  return `${Math.floor(s / 3600)} h ${Math.floor((s % 3600) / 60)} min`;
}

const ACRONYMS = new Set(['csv', 'fhir', 'npi', 'rpc', 'id', 'eip712']);

/** Kinds are machine names: "import.csv" → "Import · CSV", "credentials.bulk-verify" → "Credentials · Bulk verify". */
export function humanizeKind(kind: string): string {
  return kind
    .split('.')
    .filter(Boolean)
    .map((part) => {
      const words = part.split(/[-_\s]+/).map((w) => (ACRONYMS.has(w.toLowerCase()) ? w.toUpperCase() : w));
      const text = words.join(' ');
      return text.charAt(0).toUpperCase() + text.slice(1);
    })
    .join(' · ');
}

const ROLE_LABELS: Record<Role, string> = {
  records_clerk: 'Records clerk',
  records_manager: 'Records manager',
  it_admin: 'IT administrator',
  auditor: 'Auditor',
};

/** "it_admin" → "IT administrator"; an unknown role is shown readably rather than hidden. */
export function humanizeRole(role: string): string {
  const known = (ROLE_LABELS as Record<string, string | undefined>)[role];
  if (known) return known;
  const words = role.replace(/[-_]+/g, ' ').trim();
  return words.charAt(0).toUpperCase() + words.slice(1);
}
