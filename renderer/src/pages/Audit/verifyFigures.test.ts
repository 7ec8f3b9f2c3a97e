import { describe, expect, it } from 'vitest';
import type { AuditLogReport } from '../../../../main/api/audit';
import { verifyFigures } from './verifyFigures';

const head = (treeSize: number) => ({ treeSize, rootHash: `0x${'ab'.repeat(32)}`, timestamp: Date.UTC(2026, 0, 1), signer: `0x${'12'.repeat(20)}`, sources: ['database' as const, 'file' as const] });
const log = (over: Partial<AuditLogReport> = {}): AuditLogReport => ({
  treeSize: 120,
  root: `0x${'cd'.repeat(32)}`,
  verifiedSize: 100,
  lastSignedHead: head(100),
  lastMatchingHead: head(100),
  unsignedTail: { sinceSize: 100, entries: 20 },
  headsFile: 'present',
  headsInDatabase: 4,
  headsInFile: 4,
  chainHead: { state: 'checked', treeSize: 80 },
  ...over,
});
const figures = (entries: number, l: AuditLogReport) => Object.fromEntries(verifyFigures({ entries, log: l }).map((f) => [f.testId, [f.value, f.tone ?? null]]));

describe('verifyFigures', () => {
  it('shows the signed heads as they are now, and no batch counts', () => {
    const f = figures(120, log());
    expect(f).toEqual({
      'audit-verify-entries': ['120', null],
      'audit-verify-verified': ['100', null],
      'audit-verify-unsigned': ['20', 'warn'],
      'audit-verify-last-head': ['100 entries', null],
      'audit-verify-anchored': ['80 entries', null],
      'audit-verify-heads': ['4 / 4', null],
    });
    expect(verifyFigures({ entries: 120, log: log() }).map((x) => x.label).join(' ')).not.toMatch(/batch/i);
  });

  it.each<[string, Partial<AuditLogReport>, string, [string, string | null]]>([
    ['a log no longer matching its last head', { verifiedSize: 60, lastMatchingHead: head(60) }, 'audit-verify-verified', ['60', 'bad']],
    ['no head signed yet', { verifiedSize: 0, lastSignedHead: null, lastMatchingHead: null, unsignedTail: { sinceSize: 0, entries: 120 } }, 'audit-verify-last-head', ['none yet', 'warn']],
    ['nothing anchored yet', { chainHead: { state: 'checked', treeSize: null } }, 'audit-verify-anchored', ['none yet', 'warn']],
    ['the chain not reachable', { chainHead: { state: 'unavailable', reason: 'offline' } }, 'audit-verify-anchored', ['not checked', 'warn']],
    ['the heads file deleted', { headsFile: 'missing', headsInFile: 0 }, 'audit-verify-heads', ['4 / missing', 'bad']],
    ['every entry under a head', { unsignedTail: null, verifiedSize: 120, lastSignedHead: head(120), lastMatchingHead: head(120) }, 'audit-verify-unsigned', ['0', null]],
  ])('marks %s', (_name, over, testId, expected) => {
    expect(figures(120, log(over))[testId]).toEqual(expected);
  });
});
