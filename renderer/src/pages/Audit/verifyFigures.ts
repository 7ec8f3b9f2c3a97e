// The figures of the integrity check, from its report: what the signed tree heads say now (the old batch seals are
// no longer anchored, so their counts are not shown). Pure, so the tones are tested without a browser.
import type { AuditVerifyReport } from '../../../../main/api/audit';
import { formatCount } from '../../components/format';

export interface VerifyFigure {
  label: string;
  value: string;
  testId: string;
  tone?: 'bad' | 'warn';
}

export function verifyFigures(report: Pick<AuditVerifyReport, 'entries' | 'log'>): VerifyFigure[] {
  const { log } = report;
  const last = log.lastSignedHead;
  const tail = log.unsignedTail?.entries ?? 0;
  const chain = log.chainHead;
  const fileMissing = log.headsFile === 'missing';
  return [
    { label: 'Entries checked', value: formatCount(report.entries), testId: 'audit-verify-entries' },
    {
      label: 'Matching a signed head',
      value: formatCount(log.verifiedSize),
      testId: 'audit-verify-verified',
      ...(last && log.verifiedSize < last.treeSize ? { tone: 'bad' as const } : {}),
    },
    { label: 'After the last head', value: formatCount(tail), testId: 'audit-verify-unsigned', ...(tail > 0 ? { tone: 'warn' as const } : {}) },
    { label: 'Last signed head', value: last ? `${formatCount(last.treeSize)} entries` : 'none yet', testId: 'audit-verify-last-head', ...(last ? {} : { tone: 'warn' as const }) },
    {
      label: 'Anchored on chain',
      value: chain.state === 'checked' ? (chain.treeSize === null ? 'none yet' : `${formatCount(chain.treeSize)} entries`) : 'not checked',
      testId: 'audit-verify-anchored',
      ...(chain.state === 'checked' && chain.treeSize !== null ? {} : { tone: 'warn' as const }),
    },
    {
      label: 'Heads kept (database / file)',
      value: `${formatCount(log.headsInDatabase)} / ${fileMissing ? 'missing' : formatCount(log.headsInFile)}`,
      testId: 'audit-verify-heads',
      ...(fileMissing && log.headsInDatabase > 0 ? { tone: 'bad' as const } : {}),
    },
  ];
}
