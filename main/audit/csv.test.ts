// CSV cells, table-tested: quoting per RFC 4180 and neutralising anything a spreadsheet would run as a formula.
import { describe, expect, it } from 'vitest';
import { csvCell } from './csv';

describe('csvCell', () => {
  it.each<[string | number | null, string]>([
    ['plain', 'plain'],
    [42, '42'],
    [null, ''],
    ['', ''],
    ['a,b', '"a,b"'],
    ['say "hi"', '"say ""hi"""'],
    ['two\nlines', '"two\nlines"'],
    ['=HYPERLINK("http://x","y")', '"\'=HYPERLINK(""http://x"",""y"")"'],
    ['=1+1', "'=1+1"],
    ['+1', "'+1"],
    ['-2', "'-2"],
    ['@SUM(A1)', "'@SUM(A1)"],
    ['\tcmd', "'\tcmd"],
    ['\r=1', "\"'\r=1\""],
    [' =1', "' =1"],
    ['  padded', '"  padded"'],
    ['a=b', 'a=b'],
    ['{"code":"ETREAT"}', '"{""code"":""ETREAT""}"'],
  ])('%j -> %j', (input, expected) => {
    expect(csvCell(input)).toBe(expected);
  });

  it('leaves numbers (ids) as numbers, even negative ones from the database', () => {
    expect(csvCell(-1)).toBe('-1');
  });
});
