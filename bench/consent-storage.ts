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
