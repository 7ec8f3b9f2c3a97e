// One owner per table: the SQL that writes a table (INSERT, UPDATE, DELETE, REPLACE) lives in its owning module,
// and others call that module. Dependency-cruiser sees imports, not SQL, so this reads every string and template
// literal of main/ with the TypeScript parser and names each write outside its table's owners.
// Run by scripts/table-owners.test.ts (part of npm test). Comments are not strings: prose about a table is not a write.
import fs from 'node:fs';
import path from 'node:path';
import ts from 'typescript';

/**
 * Table -> the module(s) that may write it (paths from the repository root). A table absent here has no owner
 * enforced yet: CONTRIBUTING.md lists where each is written today. Adding a module to a list needs a reason.
 */
export const TABLE_OWNERS: Record<string, readonly string[]> = {
  // Every consent row change: the API and import writes (ConsentStore), the chain side (chainConsentWrites), the bulk INSERT.
  consents: ['main/consents/store.ts'],
  // Its history and the patients it creates: the same module (the bulk import's multi-row INSERTs included).
  consent_history: ['main/consents/store.ts'],
  patients: ['main/consents/store.ts'],
  // Claims, their verdicts, outbox ids and chain statuses (payers.ts queues a payer's claims through it).
  claims: ['main/claims/store.ts'],
  // The sync engine's queue: enqueue (outbox.ts) and the batch state machine (store.ts).
  outbox: ['main/sync/outbox.ts', 'main/sync/store.ts'],
  // Events stored by reference and the hashes their rebuilt payloads name (migration 0023): the one outbox writer.
  outbox_refs: ['main/sync/outbox.ts'],
  outbox_ref_hashes: ['main/sync/outbox.ts'],
  // The hash-chained trail: appended by recordAudit only (and never updated: triggers refuse it).
  audit_log: ['main/audit/trail.ts'],
  // Sharing agreements, ours and pulled: the handlers' acts, the chain sink (and its reorg undo) and the legacy
  // proposal conversion all call the sharing store.
  sharing_agreements: ['main/sharing/store.ts'],
  // Background jobs: the runner's state changes and the worker thread's checkpoints (its own connection).
  jobs: ['main/workers/job-store.ts'],
};

/** Files that may write any table: tests and their set-up build states directly. */
const EXEMPT = /(\.test\.ts$|\/fixtures\/|\/test-support\.ts$|-fixture\.ts$)/;

// An upsert's `DO UPDATE SET` belongs to its INSERT (already read): not a write of a table named 'set'.
const WRITE = /\b(?:INSERT(?:\s+OR\s+\w+)?\s+INTO|REPLACE\s+INTO|(?<!\bDO\s+)UPDATE(?:\s+OR\s+\w+)?|DELETE\s+FROM)\s+["`[]?(\w+)["`\]]?/gi;

/** The table of a write whose name is interpolated: nobody can say who owns it, so it is refused everywhere. */
export const DYNAMIC = '__dynamic__';

export interface TableWrite {
  file: string;
  line: number;
  table: string;
  statement: string;
}

/** Every write statement in the string and template literals of one TypeScript source. */
export function tableWritesIn(file: string, source: string): TableWrite[] {
  const sf = ts.createSourceFile(file, source, ts.ScriptTarget.Latest, true, ts.ScriptKind.TS);
  const found: TableWrite[] = [];
  const scan = (text: string, pos: number) => {
    for (const m of text.matchAll(WRITE)) {
      found.push({ file, line: sf.getLineAndCharacterOfPosition(pos).line + 1, table: m[1]!.toLowerCase(), statement: m[0].replace(/\s+/g, ' ') });
    }
  };
  const visit = (node: ts.Node): void => {
    if (ts.isStringLiteral(node) || ts.isNoSubstitutionTemplateLiteral(node)) scan(node.text, node.getStart(sf));
    else if (ts.isTemplateExpression(node)) {
      // The pieces joined with a placeholder: `UPDATE ${table}` is a write of a table named at run time (DYNAMIC).
      scan([node.head.text, ...node.templateSpans.map((s) => s.literal.text)].join(` ${DYNAMIC} `), node.getStart(sf));
    }
    ts.forEachChild(node, visit);
  };
  visit(sf);
  return found;
}

/** Writes of owned tables outside their owners, in `files` (repository-relative paths). */
export function ownerViolations(root: string, files: readonly string[], owners: Record<string, readonly string[]> = TABLE_OWNERS): TableWrite[] {
  const out: TableWrite[] = [];
  for (const file of files) {
    if (EXEMPT.test(file)) continue;
    for (const w of tableWritesIn(file, fs.readFileSync(path.join(root, file), 'utf8'))) {
      const allowed = owners[w.table];
      if (w.table === DYNAMIC || (allowed && !allowed.includes(file))) out.push(w);
    }
  }
  return out;
}

/** The TypeScript files under main/, repository-relative with forward slashes. */
export function mainSources(root: string): string[] {
  const out: string[] = [];
  const walk = (dir: string) => {
    for (const e of fs.readdirSync(path.join(root, dir), { withFileTypes: true })) {
      const rel = `${dir}/${e.name}`;
      if (e.isDirectory()) walk(rel);
      else if (/\.tsx?$/.test(e.name)) out.push(rel);
    }
  };
  walk('main');
  return out.sort();
}

/** Every table written in main/ (outside tests) and the modules that write it: the list CONTRIBUTING.md keeps. */
export function writersByTable(root: string): Map<string, string[]> {
  const map = new Map<string, Set<string>>();
  for (const file of mainSources(root)) {
    if (EXEMPT.test(file)) continue;
    for (const w of tableWritesIn(file, fs.readFileSync(path.join(root, file), 'utf8'))) {
      if (w.table === DYNAMIC) continue;
      if (!map.has(w.table)) map.set(w.table, new Set());
      map.get(w.table)!.add(file);
    }
  }
  return new Map([...map].sort(([a], [b]) => a.localeCompare(b)).map(([t, s]) => [t, [...s].sort()]));
}
