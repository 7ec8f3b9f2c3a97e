// Hostile CSV structure (issue #14): a quote that is never closed near the end, a quote that swallows the rows up
// to the next quote, and mixed line endings must never lose or merge a valid row; counts always add up.
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { AppError } from '../api/errors';
import { testData, type TestData } from '../consents/test-support';
import { readCsvBatches } from './csv-source';
import { HEADER, importFile, line, readRejects, writeFile } from './test-support';

let t: TestData;
beforeEach(() => {
  t = testData('custodian-csv-structure-');
});
afterEach(() => t.cleanup());

const consents = () => (t.db.prepare('SELECT count(*) AS n FROM consents').get() as { n: number }).n;

async function expectMalformed(content: string): Promise<AppError> {
  const file = writeFile(t, 'in.csv', content);
  const err = await importFile(t, file).then(
    () => null,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(AppError);
  expect((err as AppError).code).toBe('IMPORT_CSV_MALFORMED');
  return err as AppError;
}

describe('CSV structure errors stop the import at the line they name', () => {
  it('an unterminated quote that swallows later rows up to the next quote stops at its line, keeping what came before', async () => {
    // Row 3 opens a quote in external_id and never closes it; row 5 has a quoted cell, whose quote would close it.
    const plain = (id: string) => line({ external_id: id, patient_name: 'Roe Jane' });
    const content = [HEADER, plain('C-1'), plain('C-2'), `"${plain('C-3')}`, plain('C-4'), line({ external_id: 'C-5', patient_name: 'Roe, Ann' }), plain('C-6')].join('\n') + '\n';
    const err = await expectMalformed(content);
    expect(err.message).toMatch(/^Line 4: /);
    expect(err.message).toMatch(/quote/);
    expect(err.details).toMatchObject({ line: 4 });
    // The two rows before the bad spot are committed; nothing after it is half-read into a rejected cell.
    expect(consents()).toBe(2);
  });

  it('a file whose header ends in CRLF and whose rows end in LF reads every row', async () => {
    const content = `${HEADER}\r\n${line({ external_id: 'C-1' })}\n${line({ external_id: 'C-2' })}\n${line({ external_id: 'C-3' })}\n`;
    const summary = await importFile(t, writeFile(t, 'in.csv', content));
    expect(summary).toMatchObject({ rows_read: 3, accepted: 3, rejected: 0 });
    expect(consents()).toBe(3);
  });

  it('rows with LF then CRLF then CR-less endings mixed are each one row', async () => {
    const content = `${HEADER}\n${line({ external_id: 'C-1' })}\r\n${line({ external_id: 'C-2' })}\n${line({ external_id: 'C-3' })}\r\n`;
    const summary = await importFile(t, writeFile(t, 'in.csv', content));
    expect(summary).toMatchObject({ rows_read: 3, accepted: 3, rejected: 0 });
  });

  it('a quoted cell spanning lines is refused as a structure error (no consent column holds a line break)', async () => {
    const content = `${HEADER}\n${line({ external_id: 'C-1' })}\n${line({ external_id: 'C-2', patient_name: 'Roe,\nJane' })}\n${line({ external_id: 'C-3' })}\n`;
    const err = await expectMalformed(content);
    expect(err.message).toMatch(/^Line 3: /);
    expect(consents()).toBe(1);
  });

  it('counts on the summary and in the rejects file add up to the data rows of the file', async () => {
    const content = `${HEADER}\r\n${line({ external_id: 'C-1' })}\n${line({ external_id: 'C-2', npi: '' } as never)}\n${line({ external_id: 'C-3', purpose: 'NOPE' })}\n${line({ external_id: 'C-4' })}\n`;
    const summary = await importFile(t, writeFile(t, 'in.csv', content));
    const rejects = readRejects(summary.rejectsPath).slice(1);
    expect(summary.rows_read).toBe(4);
    expect(summary.accepted + summary.rejected).toBe(summary.rows_read);
    expect(rejects.length).toBe(summary.rejected);
  });
});

describe('readCsvBatches is the shared reader (consents, rosters, previews)', () => {
  it('reports the line of the structure error with the rows before it delivered first', async () => {
    const file = writeFile(t, 'r.csv', `a,b\n1,2\n"3,4\n5,6\n7,"8"\n`);
    const rows: string[][] = [];
    const err = await (async () => {
      for await (const batch of readCsvBatches({ file, batchRecords: 10 })) rows.push(...batch.records.map((r) => r.fields));
    })().then(
      () => null,
      (e: unknown) => e,
    );
    expect(rows).toEqual([['1', '2']]);
    expect((err as AppError).code).toBe('IMPORT_CSV_MALFORMED');
    expect((err as AppError).details).toMatchObject({ line: 3 });
  });
});

describe('claims files share the reader', () => {
  const header = 'claim_id,facility,mrn,rendering_npi,payer_id,service_date,codes,amount';
  const claim = (id: string) => `${id},GH01,MRN-000123,1234567893,PAYER-ACME,2026-06-01,99213;E11.9,125.00`;

  it('a CRLF header over LF rows is one row each', async () => {
    const { readClaimsCsv } = await import('../claims/csv');
    const file = writeFile(t, 'claims.csv', `${header}\r\n${claim('A')}\n${claim('B')}\n`);
    const ids: string[] = [];
    for await (const r of readClaimsCsv(file, () => undefined)) ids.push(r.fields[0]!);
    expect(ids).toEqual(['A', 'B']);
  });

  it('an unclosed quote stops at its line after yielding the rows before it', async () => {
    const { readClaimsCsv } = await import('../claims/csv');
    const file = writeFile(t, 'claims.csv', `${header}\n${claim('A')}\n"${claim('B')}\n${claim('C')}\n"D",x\n`);
    const ids: string[] = [];
    const err = await (async () => {
      for await (const r of readClaimsCsv(file, () => undefined)) ids.push(r.fields[0]!);
    })().then(
      () => null,
      (e: unknown) => e,
    );
    expect(ids).toEqual(['A']);
    expect((err as AppError).code).toBe('IMPORT_CSV_MALFORMED');
    expect((err as AppError).details).toMatchObject({ line: 3 });
  });
});

describe('encodings', () => {
  it('UTF-16 LE with its byte-order mark imports', async () => {
    const text = `\uFEFF${HEADER}\r\n${line({ external_id: 'C-1' })}\r\n`;
    const summary = await importFile(t, writeFile(t, 'le.csv', Buffer.from(text, 'utf16le')));
    expect(summary).toMatchObject({ rows_read: 1, accepted: 1 });
  });

  it('UTF-16 BE is refused by its name, not as "not the consent header"', async () => {
    const le = Buffer.from(`\uFEFF${HEADER}\r\n${line()}\r\n`, 'utf16le');
    const be = Buffer.from(le).swap16();
    const file = writeFile(t, 'be.csv', be);
    const err = await importFile(t, file).then(
      () => null,
      (e: unknown) => e,
    );
    expect((err as AppError).code).toBe('IMPORT_ENCODING_UNSUPPORTED');
    expect((err as AppError).message).toMatch(/UTF-16 big-endian; save it as UTF-8/);
  });
});
