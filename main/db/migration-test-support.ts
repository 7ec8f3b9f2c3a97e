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
