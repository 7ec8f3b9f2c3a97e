// The rejects file is opened in spreadsheets: a cell that would start a formula is shown as text, including after
// leading spaces (some spreadsheets skip them), like the audit CSV.
import { describe, expect, it } from 'vitest';
import { csvCell, neutralizeFormula } from './rejects';

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
