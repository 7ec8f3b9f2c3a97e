// Multi-row INSERTs for bulk writers (a consent import's patients, consents and history; an import's outbox events):
// a row costs a few appended values instead of a statement of its own.
import type { Statement } from 'better-sqlite3-multiple-ciphers';
import type { Db } from './connection';

/** Rows per multi-row INSERT: more saves little (measured) and costs a larger statement per table. */
const ROWS_PER_STATEMENT = 64;

/**
 * Values appended row by row and written as `INSERT INTO … VALUES (…), (…), …` of up to ROWS_PER_STATEMENT rows.
 * Only placeholders are generated; every value is bound.
 */
export class MultiRowInsert {
  private values: unknown[] = [];
  private readonly statements = new Map<number, Statement>();

  constructor(
    private readonly db: Db,
    private readonly head: string,
    private readonly width: number,
  ) {}

  get rows(): number {
    return this.values.length / this.width;
  }

  add(row: readonly unknown[]): void {
    for (const v of row) this.values.push(v);
  }

  private statement(rows: number): Statement {
    let s = this.statements.get(rows);
    if (!s) {
      const one = `(${new Array<string>(this.width).fill('?').join(', ')})`;
      s = this.db.prepare(`${this.head} VALUES ${new Array<string>(rows).fill(one).join(', ')}`);
      this.statements.set(rows, s);
    }
    return s;
  }

  flush(): void {
    const values = this.values;
    if (values.length === 0) return;
    this.values = [];
    const step = ROWS_PER_STATEMENT * this.width;
    let at = 0;
    for (; at + step <= values.length; at += step) this.statement(ROWS_PER_STATEMENT).run(values.slice(at, at + step));
    if (at < values.length) this.statement((values.length - at) / this.width).run(values.slice(at));
  }

  discard(): void {
    this.values = [];
  }
}
