import { describe, expect, it } from 'vitest';
import { dispositionFileName, downloadPath } from './files';

describe('dispositionFileName', () => {
  it.each([
    [`attachment; filename="run-3-rejects.csv"; filename*=UTF-8''run-3-rejects.csv`, 'run-3-rejects.csv'],
    [`attachment; filename="M_rz.csv"; filename*=UTF-8''M%C3%A4rz.csv`, 'März.csv'],
    [`attachment; filename="plain.ndjson"`, 'plain.ndjson'],
    [`attachment; filename*=UTF-8''%E0%A4%A; filename="fallback.csv"`, 'fallback.csv'],
    ['attachment', null],
    [null, null],
  ])('%j -> %j', (header, expected) => {
    expect(dispositionFileName(header)).toBe(expected);
  });
});

describe('downloadPath', () => {
  it('puts the id in one encoded path segment', () => {
    expect(downloadPath('rejects', 12)).toBe('/api/download/rejects/12');
    expect(downloadPath('export', '../../x')).toBe('/api/download/export/..%2F..%2Fx');
  });
});
