// The rejects file is opened in spreadsheets: a cell that would start a formula is shown as text, including after
// leading spaces (some spreadsheets skip them), like the audit CSV. Refused rows are appended in bounded pieces.
import fs from 'node:fs';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { testData, type TestData } from '../consents/test-support';
import { csvCell, csvRejectLine, csvRejectsHeader, neutralizeFormula, REJECTS_BUFFER_CHARS, RejectsFile } from './rejects';
import { csvText, importFile, line, writeFile } from './test-support';

describe('rejects cells are formula-safe', () => {
  it.each(['=1+1', '+1', '-1', '@SUM(A1)', ' =HYPERLINK("http://x")', '   +cmd', '\t=1', '\r=1'])('%j is neutralised', (value) => {
    expect(neutralizeFormula(value).startsWith("'")).toBe(true);
  });

  it.each(['Roe, Jane', 'a=b', '1980-05-17', ' plain'])('%j is left as it is', (value) => {
    expect(neutralizeFormula(value)).toBe(value);
  });

  it('quotes after neutralising', () => {
    expect(csvCell(' =A1,B1')).toBe(`"' =A1,B1"`);
  });
});

describe('the rejects buffer stays bounded within one transaction', () => {
  let t: TestData;
  beforeEach(() => {
    t = testData('custodian-rejects-');
  });
  afterEach(() => {
    vi.restoreAllMocks();
    t.cleanup();
  });

  it('holds at most REJECTS_BUFFER_CHARS (plus one line) of 20,000 rejects, and writes them byte for byte as one append would', () => {
    const file = path.join(t.dir, 'imports', 'run-1-rejects.csv');
    const header = csvRejectsHeader(['external_id', 'mrn']);
    const rejects = new RejectsFile(file, null, header);
    const lines = Array.from({ length: 20_000 }, (_, i) => csvRejectLine(2, [`C-${i}`, i % 7 ? `MRN${i}` : '=cmd|x'], i + 1, i + 2, 'grantee: not a valid NPI'));
    for (const l of lines) rejects.add(l);
    const size = rejects.flush();
    const longest = Math.max(...lines.map((l) => l.length));
    expect(rejects.stats.maxBufferedChars).toBeLessThan(REJECTS_BUFFER_CHARS + longest);
    expect(rejects.stats.appends).toBeGreaterThanOrEqual(Math.floor(lines.join('').length / REJECTS_BUFFER_CHARS));
    expect(fs.readFileSync(file, 'utf8')).toBe(header + lines.join(''));
    expect(size).toBe(fs.statSync(file).size);
  });

  it('an import of 20,000 refused rows in one transaction appends them in pieces no larger than the buffer', async () => {
    const rows = Array.from({ length: 20_000 }, (_, i) => line({ external_id: `C-${i}`, mrn: `MRN${i}`, grantee: '1234567890' }));
    const file = writeFile(t, 'refused.csv', csvText(rows));
    const appended: number[] = [];
    const append = fs.appendFileSync.bind(fs);
    vi.spyOn(fs, 'appendFileSync').mockImplementation((target, data, options) => {
      if (String(target).includes('-rejects.')) appended.push(String(data).length);
      append(target, data, options);
    });
    const summary = await importFile(t, file, { chunkRows: 100_000, holdMs: 3_600_000 });
    expect(summary).toMatchObject({ rows_read: 20_000, rejected: 20_000 });
    expect(summary.timings.transactions).toBe(1);
    const longest = Math.max(...readRejectsLines(summary.rejectsPath).map((l) => l.length));
    expect(Math.max(...appended)).toBeLessThan(REJECTS_BUFFER_CHARS + longest);
    expect(appended.reduce((a, b) => a + b, 0)).toBe(fs.readFileSync(summary.rejectsPath, 'utf8').length);
  });
});

/** The rejects file's lines, each with its CRLF (no cell of these tests holds a line break). */
function readRejectsLines(file: string): string[] {
  return fs.readFileSync(file, 'utf8').split(/(?<=\r\n)/);
}
