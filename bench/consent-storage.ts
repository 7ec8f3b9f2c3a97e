// Where an imported consent's bytes go: SQLite's dbstat virtual table (compiled into the SQLCipher build) gives the
// pages of every b-tree (table or index); divided by the consents stored, that is bytes per consent per b-tree.
import fs from 'node:fs';
import { openDatabase, type DbKey } from '../main/db/connection';

export interface StorageSplit {
  /** The database file after a full checkpoint, divided by the consents it holds. */
  fileBytesPerConsent: number;
  consents: number;
  /** Bytes per consent of every b-tree with at least 1 byte per consent, largest first. */
  btrees: { name: string; table: string; bytesPerConsent: number }[];
}

export function storageSplit(dbPath: string, key: DbKey | null): StorageSplit {
  const db = openDatabase(dbPath, { key });
  try {
    db.pragma('wal_checkpoint(TRUNCATE)');
    const consents = (db.prepare('SELECT count(*) AS n FROM consents').get() as { n: number }).n;
    const rows = db
      .prepare(
        `SELECT d.name AS name, coalesce(s.tbl_name, d.name) AS tbl, sum(d.pgsize) AS bytes
           FROM dbstat AS d LEFT JOIN sqlite_schema AS s ON s.name = d.name
          GROUP BY d.name ORDER BY bytes DESC`,
      )
      .all() as { name: string; tbl: string; bytes: number }[];
    const btrees = rows
      .map((r) => ({ name: r.name, table: r.tbl, bytesPerConsent: r.bytes / Math.max(consents, 1) }))
      .filter((r) => r.bytesPerConsent >= 1);
    return { fileBytesPerConsent: fs.statSync(dbPath).size / Math.max(consents, 1), consents, btrees };
  } finally {
    db.close();
  }
}

/**
 * The consents row itself, column by column: the bytes each stored column takes in SQLite's record (its body:
 * an integer 0-8 bytes by size, a text or blob its length), averaged over the rows, plus one header byte per column
 * (two for a long text). Generated columns take none. Shows which column the next byte cut would come from.
 */
export function consentColumnSplit(dbPath: string, key: DbKey | null): { column: string; bytesPerConsent: number }[] {
  const db = openDatabase(dbPath, { key, readonly: true });
  try {
    const stored = (db.pragma('table_xinfo(consents)') as { name: string; hidden: number; pk: number }[]).filter((c) => c.hidden === 0 && c.pk === 0).map((c) => c.name);
    // Column names come from the schema itself (table_xinfo), never from input.
    const size = (c: string) =>
      `sum(CASE typeof("${c}") WHEN 'integer' THEN (CASE WHEN "${c}" IN (0, 1) THEN 0 WHEN "${c}" BETWEEN -128 AND 127 THEN 1 WHEN "${c}" BETWEEN -32768 AND 32767 THEN 2
         WHEN "${c}" BETWEEN -8388608 AND 8388607 THEN 3 WHEN "${c}" BETWEEN -2147483648 AND 2147483647 THEN 4 WHEN "${c}" BETWEEN -140737488355328 AND 140737488355327 THEN 6 ELSE 8 END)
         WHEN 'real' THEN 8 WHEN 'null' THEN 0 ELSE length(CAST("${c}" AS BLOB)) END + CASE WHEN length(CAST("${c}" AS BLOB)) > 57 THEN 2 ELSE 1 END) AS "${c}"`;
    const row = db.prepare(`SELECT count(*) AS n, ${stored.map(size).join(', ')} FROM consents`).get() as Record<string, number>;
    const n = Math.max(row.n ?? 0, 1);
    return stored.map((c) => ({ column: c, bytesPerConsent: (row[c] ?? 0) / n })).sort((a, b) => b.bytesPerConsent - a.bytesPerConsent);
  } finally {
    db.close();
  }
}

export function formatColumnSplit(split: { column: string; bytesPerConsent: number }[]): string {
  const total = split.reduce((s, c) => s + c.bytesPerConsent, 0);
  return `consents row ${total.toFixed(0)} B of record (${split.map((c) => `${c.column} ${c.bytesPerConsent.toFixed(1)}`).join(', ')})`;
}

/** One line: per table, its own rows and then each of its indexes, in bytes per consent. */
export function formatStorageSplit(split: StorageSplit): string {
  const byTable = new Map<string, { name: string; bytesPerConsent: number }[]>();
  for (const b of split.btrees) byTable.set(b.table, [...(byTable.get(b.table) ?? []), b]);
  return [...byTable.entries()]
    .map(([table, parts]) => {
      const total = parts.reduce((s, p) => s + p.bytesPerConsent, 0);
      const detail = parts.map((p) => `${p.name === table ? 'rows' : p.name} ${p.bytesPerConsent.toFixed(0)}`).join(' + ');
      return `${table} ${total.toFixed(0)} (${detail})`;
    })
    .join('; ');
}
