// The audit report as CSV for spreadsheets: RFC 4180 quoting, and formula-safe, so a crafted value (a subject,
// a workstation name) cannot run as a formula when a reviewer opens the file in Excel or LibreOffice.
import fs from 'node:fs';
import path from 'node:path';
import { AUDIT_REPORT_NAME, type AuditFilter } from '../api/audit';
import { AppError } from '../api/errors';
import type { DownloadFile } from '../api/imports';
import type { Db } from '../db/connection';
import { iterateAuditEntries } from './queries';
import type { AuditEntry } from './trail';

// Leading characters spreadsheets read as the start of a formula (OWASP CSV injection), plus tab and CR; also
// after leading spaces, which some spreadsheets skip.
const FORMULA_START = /^[\t\r]|^ *[=+\-@]/;

/** One cell: neutralised with a leading apostrophe when it could start a formula, then quoted. */
export function csvCell(value: string | number | null): string {
  if (value === null) return '';
  let text = String(value);
  if (typeof value === 'string' && FORMULA_START.test(text)) text = `'${text}`;
  return /[",\r\n]/.test(text) || text !== text.trim() ? `"${text.replace(/"/g, '""')}"` : text;
}

export const CSV_COLUMNS = ['id', 'at', 'actor_id', 'actor_name', 'actor_role', 'workstation', 'action', 'outcome', 'patient_id', 'subject', 'details', 'hash'] as const;

export function csvRow(e: AuditEntry): string {
  return CSV_COLUMNS.map((c) => csvCell(e[c])).join(',');
}

/** Writes the entries matching `filter` (newest first) to a new file in `<dataDir>/exports/`; returns its path. */
export function writeAuditCsv(db: Db, dataDir: string, filter: AuditFilter, now = new Date()): { path: string; fileName: string; rows: number } {
  const dir = path.join(dataDir, 'exports');
  fs.mkdirSync(dir, { recursive: true });
  const stamp = now.toISOString().replace(/[-:]/g, '').replace(/\.\d+Z$/, 'Z');
  let file = path.join(dir, `audit-${stamp}.csv`);
  for (let n = 2; fs.existsSync(file); n++) file = path.join(dir, `audit-${stamp}-${n}.csv`);
  const tmp = `${file}.partial`;
  const fd = fs.openSync(tmp, 'wx');
  let rows = 0;
  try {
    let chunk = `${CSV_COLUMNS.join(',')}\r\n`;
    for (const e of iterateAuditEntries(db, filter)) {
      chunk += `${csvRow(e)}\r\n`;
      rows++;
      if (chunk.length > 1 << 16) {
        fs.writeSync(fd, chunk);
        chunk = '';
      }
    }
    fs.writeSync(fd, chunk);
    fs.fsyncSync(fd);
  } catch (err) {
    fs.closeSync(fd);
    fs.rmSync(tmp, { force: true });
    throw err;
  }
  fs.closeSync(fd);
  fs.renameSync(tmp, file); // a reader never sees half a report
  return { path: file, fileName: path.basename(file), rows };
}

export const AUDIT_CSV_CONTENT_TYPE = 'text/csv; charset=utf-8';

/** A written report, by its name only (never a path from the caller), as a file to hand to the person. */
export function auditReportFile(dataDir: string, fileName: string): DownloadFile {
  const missing = new AppError('NOT_FOUND', `There is no audit report ${fileName} in the data folder.`);
  if (!AUDIT_REPORT_NAME.test(fileName)) throw missing;
  const file = path.join(dataDir, 'exports', fileName);
  let stat: fs.Stats;
  try {
    stat = fs.lstatSync(file);
  } catch {
    throw missing;
  }
  if (!stat.isFile()) throw missing;
  return { path: file, fileName, sizeBytes: stat.size, contentType: AUDIT_CSV_CONTENT_TYPE };
}
