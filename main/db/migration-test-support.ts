// For migration tests (Signal's way: seed a database at N-1, migrate to N, assert): a folder holding the real
// migration files up to `version`, so a test can stop the schema at any point of its history.
import fs from 'node:fs';
import path from 'node:path';
import { defaultMigrationsDir, readMigrationFiles } from './migrate';

/** Copies migrations 1..`version` into `<parent>/<name>` (default `migrations-<version>`) and returns that folder. */
export function migrationsDirUpTo(parent: string, version: number, name = `migrations-${version}`): string {
  const target = path.join(parent, name);
  fs.mkdirSync(target, { recursive: true });
  for (const f of readMigrationFiles(defaultMigrationsDir()).filter((m) => m.version <= version)) fs.writeFileSync(path.join(target, f.name), f.sql);
  return target;
}

/**
 * How a test that lays today's rows out in an older schema reads one stored column of `table` from today's: as it is,
 * except what a later migration stopped storing. Since 0030 a consent's update time equal to its creation time is
 * stored as nothing (both columns NULL); the layouts before stored it, in the creation time's form.
 */
export function storedBeforeImpliedUpdate(table: string, column: string): string {
  if (table === 'consents' && column === 'updated_ms') return 'CASE WHEN updated_ms IS NULL AND updated_text IS NULL THEN created_ms ELSE updated_ms END';
  if (table === 'consents' && column === 'updated_text') return 'CASE WHEN updated_ms IS NULL AND updated_text IS NULL THEN created_text ELSE updated_text END';
  return column;
}
