// Tunables of credential verification, read from the settings table (so an IT admin can change them without a
// release), and the last registry this workstation verified against (its domain, used while the chain is offline).
import type { Db } from '../db/connection';
import { credentialDomain, type CredentialDomain } from './eip712';

export interface CredentialSettings {
  /** A credential whose last check is older than this is re-checked by the schedule. */
  recheckMinutes: number;
  /** valid_until within this many days flags a credential as about to expire. */
  expiringDays: number;
  /** The consent gate accepts a verification (or an offline re-check after one) at most this old. */
  gateMaxAgeHours: number;
}

export const DEFAULT_CREDENTIAL_SETTINGS: CredentialSettings = { recheckMinutes: 360, expiringDays: 30, gateMaxAgeHours: 24 };

export const SETTING_KEYS = {
  recheckMinutes: 'credentials.recheck_minutes',
  expiringDays: 'credentials.expiring_days',
  gateMaxAgeHours: 'credentials.gate_max_age_hours',
  registry: 'credentials.registry',
} as const;

function readSetting(db: Db, key: string): string | undefined {
  return (db.prepare('SELECT value FROM settings WHERE key = ?').get(key) as { value: string } | undefined)?.value;
}

function positive(value: string | undefined, fallback: number, max: number): number {
  const n = value === undefined ? NaN : Number(value);
  return Number.isFinite(n) && n > 0 && n <= max ? n : fallback;
}

/** Settings with defaults; an unreadable or out-of-range value falls back to its default. */
export function credentialSettings(db: Db): CredentialSettings {
  const d = DEFAULT_CREDENTIAL_SETTINGS;
  return {
    recheckMinutes: positive(readSetting(db, SETTING_KEYS.recheckMinutes), d.recheckMinutes, 60 * 24 * 30),
    expiringDays: positive(readSetting(db, SETTING_KEYS.expiringDays), d.expiringDays, 366),
    gateMaxAgeHours: positive(readSetting(db, SETTING_KEYS.gateMaxAgeHours), d.gateMaxAgeHours, 24 * 90),
  };
}

export function writeSetting(db: Db, key: string, value: string): void {
  db.prepare(
    `INSERT INTO settings (key, value, updated_at) VALUES (?, ?, strftime('%Y-%m-%dT%H:%M:%fZ', 'now'))
     ON CONFLICT (key) DO UPDATE SET value = excluded.value, updated_at = excluded.updated_at`,
  ).run(key, value);
}

/** Remembers the registry a successful verification read, so offline checks still refuse another domain. */
export function rememberRegistry(db: Db, domain: CredentialDomain): void {
  const value = JSON.stringify({ chainId: domain.chainId, registry: domain.verifyingContract });
  if (readSetting(db, SETTING_KEYS.registry) !== value) writeSetting(db, SETTING_KEYS.registry, value);
}

export function lastKnownRegistry(db: Db): CredentialDomain | null {
  const raw = readSetting(db, SETTING_KEYS.registry);
  if (!raw) return null;
  try {
    const v = JSON.parse(raw) as { chainId?: unknown; registry?: unknown };
    return typeof v.chainId === 'number' && typeof v.registry === 'string' ? credentialDomain(v.chainId, v.registry) : null;
  } catch {
    return null;
  }
}
