// For migration tests (Signal's way: seed a database at N-1, migrate to N, assert): a folder holding the real
// migration files up to `version`, so a test can stop the schema at any point of its history.
import fs from 'node:fs';
import path from 'node:path';
import type { Db } from './connection';
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

/**
 * Lays the rows of the database at `sourcePath` (written by today's writers) out in `old`, a database migrated to an
 * older schema: every table with rows (but the FTS shadow tables, which old's triggers fill, and tables old's
 * migrations seeded), its columns that both have, generated ones in the source read by name, in rowid order, foreign
 * keys checked at the commit. What a later migration stopped storing is read as the older layouts stored it
 * (storedBeforeImpliedUpdate).
 */
export function layOutRowsAsBefore(old: Db, sourcePath: string): void {
  old.exec(`ATTACH DATABASE '${sourcePath.replaceAll("'", "''")}' AS src`);
  const tables = old
    .prepare(`SELECT name FROM src.sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' AND name NOT LIKE 'patients_fts%' AND name <> 'schema_migrations' ORDER BY rowid`)
    .pluck()
    .all() as string[];
  old.pragma('defer_foreign_keys = ON');
  old.transaction(() => {
    for (const table of tables) {
      if (old.prepare(`SELECT count(*) FROM src.${table}`).pluck().get() === 0 || old.prepare(`SELECT count(*) FROM main.${table}`).pluck().get() !== 0) continue;
      const srcCols = new Set((old.pragma(`src.table_xinfo(${table})`) as { name: string }[]).map((c) => c.name));
      const cols = (old.pragma(`main.table_info(${table})`) as { name: string }[]).map((c) => c.name).filter((c) => srcCols.has(c));
      old.exec(`INSERT INTO main.${table} (${cols.join(', ')}) SELECT ${cols.map((c) => storedBeforeImpliedUpdate(table, c)).join(', ')} FROM src.${table} ORDER BY rowid`);
    }
  })();
  old.exec('DETACH DATABASE src');
}
