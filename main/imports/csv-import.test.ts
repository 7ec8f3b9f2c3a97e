// Every bad CSV input the issue lists gets a clear error or a rejected row naming row, column and reason, and
// nothing good is lost: empty file, header problems, BOM, CRLF, quoting, encoding, dates, codes, NPIs, widths.
import fs from 'node:fs';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { AppError } from '../api/errors';
import { testData, type TestData } from '../consents/test-support';
import { readCsvBatches } from './csv-source';
import { csvText, GOOD, HEADER, importFile, line, readRejects, writeFile } from './test-support';

let t: TestData;
beforeEach(() => {
  t = testData('custodian-csv-');
});
afterEach(() => t.cleanup());

async function fails(content: string | Buffer, code: string): Promise<AppError> {
  const file = writeFile(t, 'in.csv', content);
  try {
    await importFile(t, file);
  } catch (err) {
    expect(err).toBeInstanceOf(AppError);
    expect((err as AppError).code).toBe(code);
    return err as AppError;
  }
  throw new Error(`expected ${code}`);
}

async function importLines(lines: string[], eol = '\n') {
  const summary = await importFile(t, writeFile(t, 'in.csv', csvText(lines, eol)));
  const rejects = readRejects(summary.rejectsPath);
  return { summary, rejects, reasons: rejects.slice(1).map((r) => ({ row: Number(r.at(-3)), line: Number(r.at(-2)), reason: r.at(-1)! })) };
}

const consents = () => (t.db.prepare('SELECT count(*) AS n FROM consents').get() as { n: number }).n;

describe('CSV import: whole-file problems stop with a code and a message', () => {
  it('an empty file', async () => {
    expect((await fails('', 'IMPORT_FILE_EMPTY')).message).toMatch(/empty/);
    await fails('\uFEFF\n\r\n  \n', 'IMPORT_FILE_EMPTY');
  });

  it('a missing header (the first line is data)', async () => {
    const err = await fails(`${line()}\n${line({ external_id: 'C-2' })}\n`, 'IMPORT_HEADER_MISSING');
    expect(err.message).toMatch(/first line is not the consent header/);
  });

  it('a misspelled header names the column and the likely typo', async () => {
    const err = await fails(`${HEADER.replace('grantee,', 'grantte,')}\n${line()}\n`, 'IMPORT_HEADER_MISSING');
    expect(err.message).toBe('The header is missing required column grantee (found "grantte": misspelled?).');
    expect(err.details).toMatchObject({ missing: ['grantee'], suggestions: { grantee: 'grantte' } });
  });

  it('a header with thousands of columns', async () => {
    const err = await fails(`${HEADER},${Array.from({ length: 5000 }, (_, i) => `x${i}`).join(',')}\n${line()}\n`, 'IMPORT_HEADER_TOO_WIDE');
    expect(err.message).toMatch(/5013 columns; at most 64/);
  });

  it('a quote that is never closed names the line', async () => {
    const err = await fails(`${HEADER}\n${line()}\n${line({ external_id: 'C-2' })}\n"C-3,GH01,MRN9\n`, 'IMPORT_CSV_MALFORMED');
    expect(err.message).toMatch(/^Line 4: /);
    // The rows before the bad spot were committed; importing the fixed file again adds only what is new.
    expect(consents()).toBe(2);
  });
});

describe('CSV import: accepted shapes', () => {
  it('the shipped template imports as documented', async () => {
    const template = new URL('./templates/consents-template.csv', import.meta.url).pathname;
    const summary = await importFile(t, template);
    expect(summary).toMatchObject({ rows_read: 3, accepted: 3, rejected: 0, ignoredColumns: [] });
    expect(t.db.prepare(`SELECT grantee_kind, period_end FROM consents WHERE external_id = 'EHR-000125'`).get()).toEqual({ grantee_kind: 'org', period_end: Date.UTC(2025, 2, 1) / 1000 });
  });

  it('a UTF-8 BOM, CRLF line ends, quoted commas and quotes, extra columns, blank lines', async () => {
    const text = `\uFEFF${HEADER},notes\r\n${line({ patient_name: 'Roe, "Jane"' })},"a, b"\r\n\r\n${line({ external_id: 'C-2', mrn: 'MRN0002', patient_name: 'Öztürk, Zoë' })},\r\n`;
    const summary = await importFile(t, writeFile(t, 'in.csv', text));
    expect(summary).toMatchObject({ rows_read: 2, accepted: 2, rejected: 0, ignoredColumns: ['notes'] });
    const names = (t.db.prepare('SELECT name FROM patients ORDER BY id').all() as { name: string }[]).map((r) => r.name);
    expect(names).toEqual(['Roe, "Jane"', 'Öztürk, Zoë']);
  });

  it('counts lines correctly across blank lines (rejects name the right line)', async () => {
    const { reasons } = await importLines([line(), '', '', line({ external_id: 'C-2', purpose: 'NOPE' })]);
    expect(reasons).toEqual([{ row: 2, line: 5, reason: expect.stringMatching(/^purpose: unknown purpose code "NOPE"/) }]);
  });

  it('reads in bounded batches with resume points (it never holds the file)', async () => {
    const rows = Array.from({ length: 30_000 }, (_, i) => line({ external_id: `C-${i}`, patient_name: i % 1000 === 0 ? 'Roe, "Jane"' : 'Roe, Jane' }));
    const file = writeFile(t, 'big.csv', csvText(rows));
    const sizes: number[] = [];
    const offsets: number[] = [];
    for await (const b of readCsvBatches({ file, batchRecords: 5000 })) {
      sizes.push(b.records.length);
      offsets.push(b.position.offset);
    }
    expect(sizes.reduce((a, b) => a + b)).toBe(30_000);
    expect(sizes.length).toBeGreaterThan(2);
    expect(offsets.at(-1)).toBe(fs.statSync(file).size);
    // Each offset is a record boundary: reading from it gives the rest of the file exactly.
    const mid = offsets[1]!;
    let rest = 0;
    for await (const b of readCsvBatches({ file, from: { offset: mid, row: 0, nextLine: 1 }, batchRecords: 5000 })) rest += b.records.length;
    expect(rest + sizes[0]! + sizes[1]!).toBe(30_000);
  });
});

describe('CSV import: bad rows are rejected with row, column and reason; good rows go in', () => {
  it.each([
    ['non-UTF-8 bytes', { patient_name: 'M\uFFFDller' }, /^patient_name: contains bytes that are not valid UTF-8/],
    ['a control character', { patient_name: 'Roe\u0007Jane' }, /^patient_name: contains control characters/],
    ['an impossible date', { period_start: '2024-02-30' }, /^period_start: no such date: 2024-02-30/],
    ['a date in another format', { period_start: '03/01/2024' }, /^period_start: expected YYYY-MM-DD/],
    ['an end before the start', { period_start: '2025-01-01', period_end: '2024-12-31' }, /^period_end: is before period_start/],
    ['an unknown purpose', { purpose: 'SHOPPING' }, /^purpose: unknown purpose code "SHOPPING"/],
    ['an unknown category', { category: 'dental' }, /^category: unknown category "dental"/],
    ['an NPI failing its check digit', { grantee: '1234567890' }, /^grantee: NPI check digit is wrong/],
    ['an impossible birth date (not echoed)', { birth_date: '1980-02-30' }, /^birth_date: is not a real calendar date \(no such month or day\)$/],
    ['a birth date in year 9999 names the accepted range (not echoed)', { birth_date: '9999-12-31' }, /^birth_date: has a year outside 1900-2999, the range of years Custodian accepts$/],
    ['a right-to-left override in the name (display spoofing)', { patient_name: 'Roe, Jane\u202Efdp.exe' }, /^patient_name: contains a bidirectional control character \(U\+202E\)/],
    ['a left-to-right mark in the facility', { facility: 'GH\u200E01' }, /^facility: contains a bidirectional control character \(U\+200E\)/],
    ['a birth date in another form (not echoed)', { birth_date: '17/05/1980' }, /^birth_date: is not a date in the form YYYY-MM-DD$/],
    ['a missing required value', { mrn: '' }, /^mrn: is required/],
    ['a bad decision', { decision: 'allow' }, /^decision: must be permit or deny/],
    ['a malformed document hash', { document_hash: 'abc' }, /^document_hash: must be a SHA-256 hash/],
  ])('%s', async (_name, bad, reason) => {
    const { summary, reasons, rejects } = await importLines([line(), line({ external_id: 'C-2', mrn: 'MRN0002', ...bad }), line({ external_id: 'C-3', mrn: 'MRN0003' })]);
    expect(summary).toMatchObject({ rows_read: 3, accepted: 2, rejected: 1 });
    expect(reasons).toEqual([{ row: 2, line: 3, reason: expect.stringMatching(reason) }]);
    expect(rejects[0]).toEqual([...HEADER.split(','), 'reject_row', 'reject_line', 'reject_reason']);
    expect(rejects[1]!.slice(0, 13)).toEqual(line({ external_id: 'C-2', mrn: 'MRN0002', ...bad }).match(/("([^"]|"")*"|[^,]*)(,|$)/g)!.slice(0, 13).map((c) => c.replace(/,$/, '').replace(/^"(.*)"$/s, '$1').replace(/""/g, '"')));
    expect(consents()).toBe(2);
  });

  it('real non-UTF-8 bytes in the file (Latin-1) reject that row only', async () => {
    const head = Buffer.from(`${HEADER}\n${line()}\n`);
    const latin = Buffer.from(line({ external_id: 'C-2', mrn: 'MRN0002', patient_name: 'MXller' }), 'utf8');
    latin[latin.indexOf('MXller') + 1] = 0xfc;
    const file = writeFile(t, 'latin1.csv', Buffer.concat([head, latin, Buffer.from('\n'), Buffer.from(`${line({ external_id: 'C-3', mrn: 'MRN0003' })}\n`)]));
    const summary = await importFile(t, file);
    expect(summary).toMatchObject({ accepted: 2, rejected: 1, sampleRejects: [{ row: 2, reason: expect.stringMatching(/^patient_name: contains bytes that are not valid UTF-8/) }] });
  });

  it('several problems in one row are all named', async () => {
    const { reasons } = await importLines([line({ grantee: '1234567890', purpose: 'X', period_start: '2024-02-30' })]);
    expect(reasons[0]!.reason).toBe('grantee: NPI check digit is wrong; purpose: unknown purpose code "X" (TREAT, ETREAT, HPAYMT, HOPERAT, HRESCH, PUBHLTH, HMARKT); period_start: no such date: 2024-02-30');
  });

  it('a row with thousands of columns, and one with too few', async () => {
    const wide = `${line({ external_id: 'C-2' })},${Array.from({ length: 3000 }, () => 'x').join(',')}`;
    const short = 'C-3,GH01,MRN0003';
    const { summary, reasons, rejects } = await importLines([line(), wide, short, `${line({ external_id: 'C-4' })},,,`]);
    expect(summary).toMatchObject({ accepted: 2, rejected: 2 });
    expect(reasons.map((r) => [r.row, r.reason])).toEqual([
      [2, '(row): has 3013 columns; at most 64 are allowed and the header has 13'],
      [3, '(row): has 3 columns but the header has 13'],
    ]);
    // The rejects file keeps the header's width (the original row is cut there, and says so in its reason).
    expect(rejects[1]).toHaveLength(16);
  });

  it('exact duplicates in one file are counted, not stored twice', async () => {
    // By external id, and by content for rows without one (which also match an identified row's terms).
    const { summary } = await importLines([line(), line(), line({ external_id: '', category: 'HIV' }), line({ external_id: '', category: 'HIV' }), line({ external_id: '' })]);
    expect(summary).toMatchObject({ rows_read: 5, accepted: 2, duplicate: 3, rejected: 0 });
    expect(consents()).toBe(2);
  });

  it('permit and deny for the same key in one file: the later row is refused, naming the earlier one', async () => {
    const { summary, reasons } = await importLines([
      line(),
      line({ external_id: 'C-2', category: 'HIV' }),
      line({ external_id: 'C-3', decision: 'deny', period_start: '2026-06-01', period_end: '' }),
      line({ external_id: 'C-4', decision: 'deny', period_start: '2027-01-01', period_end: '' }),
    ]);
    expect(summary).toMatchObject({ accepted: 3, rejected: 1 });
    expect(reasons).toEqual([
      {
        row: 3,
        line: 4,
        reason:
          'decision: conflicts with row 1 of this file, which permits what this row denies (same patient, grantee, purpose and category, overlapping period); the earlier row was kept',
      },
    ]);
  });

  it('a date of birth contradicting the one on file refuses the row', async () => {
    const { reasons } = await importLines([line(), line({ external_id: 'C-2', birth_date: '1990-01-01', category: 'HIV' })]);
    expect(reasons[0]!.reason).toBe('birth_date: differs from the date of birth on file for this facility and MRN');
  });

  it('the rejects file neutralises cells a spreadsheet would run as formulas', async () => {
    const evil = { patient_name: '=HYPERLINK("http://x.example","click")', external_id: '+cmd|/c calc', facility: '@SUM(A1)', mrn: '-2+3' };
    const { rejects } = await importLines([line({ ...evil, grantee: '1234567890' })]);
    const text = fs.readFileSync((await importFile(t, writeFile(t, 'e.csv', csvText([line({ ...evil, grantee: '1234567890' })])))).rejectsPath, 'utf8');
    expect(rejects[1]!.slice(0, 4)).toEqual(["'+cmd|/c calc", "'@SUM(A1)", "'-2+3", '\'=HYPERLINK("http://x.example","click")']);
    expect(text).not.toMatch(/(^|,)[=+\-@]/m);
    expect(GOOD.external_id).toBe('C-1');
  });
});
