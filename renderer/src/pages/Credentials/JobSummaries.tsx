// What a finished credentials job found, from its recorded result (jobs.get): a bulk verification's counts per
// verdict, a roster import's counts. Read once the job has ended; the panel shows progress until then.
import { Badge, Group, List, Loader, Stack, Text } from '@mantine/core';
import type { ReactElement } from 'react';
import { useApiQuery } from '../../api/hooks';
import { ErrorBanner } from '../../components/ErrorBanner';
import { formatCount, formatDuration } from '../../components/format';
import { isTerminal, type JobRow } from '../Dashboard/jobRows';
import { verdictCounts, VERDICT_VIEW } from './credentialLabels';

function useJobResult(job: JobRow) {
  // Keyed by state too: the result is written when the job ends, so the read waits for that.
  return useApiQuery('jobs.get', { jobId: job.id }, { enabled: isTerminal(job.state) && job.state !== 'interrupted' && job.finishedAt !== null });
}

export function VerifyAllSummary({ job }: { job: JobRow }): ReactElement | null {
  const detail = useJobResult(job);
  if (detail.error) return <ErrorBanner title="Could not read what the verification found" error={detail.error} onRetry={detail.refetch} />;
  if (!detail.data) return <Loader size="xs" aria-label="Reading the verification summary" />;
  const result = detail.data.result;
  if (!result || result.kind !== 'credentials.verifyAll') return null;
  const s = result.summary;
  const counts = verdictCounts(s.byVerdict);
  return (
    <Stack gap={4} data-testid="verify-all-summary">
      {s.chainTimeout ? (
        // The node stopped answering part-way: some may be verified, the rest rest on the record; the job says which.
        <Text size="sm" data-testid="verify-all-timeout">
          {s.message}
        </Text>
      ) : (
        <Text size="sm">
          Checked {formatCount(s.checked)} {s.checked === 1 ? 'credential' : 'credentials'}
          {s.offlineReason ? ` without the registry (${s.offlineReason}): none can read “verified” until it is reachable` : ` against the registry at block ${formatCount(s.blockNumber ?? 0)}`} in{' '}
          {formatDuration(Math.max(1, Math.round(s.durationMs / 1000)))}.
        </Text>
      )}
      <Group gap={6} data-testid="verify-all-counts">
        {counts.map(([verdict, n]) => (
          <Badge key={verdict} color={verdict === 'verified' ? 'teal.9' : VERDICT_VIEW[verdict].color} variant={verdict === 'verified' ? 'filled' : 'light'} size="md" data-testid="verify-all-count" data-verdict={verdict} data-count={n}>
            {formatCount(n)} {VERDICT_VIEW[verdict].label.toLowerCase()}
          </Badge>
        ))}
        {counts.length === 0 && <Text size="sm">Nothing was due.</Text>}
      </Group>
      {counts.some(([v]) => v !== 'verified') && (
        <Text size="xs" c="dimmed">
          Filter the directory by verdict to see who needs attention.
        </Text>
      )}
    </Stack>
  );
}

export function RosterImportSummary({ job }: { job: JobRow }): ReactElement | null {
  const detail = useJobResult(job);
  if (detail.error) return <ErrorBanner title="Could not read what the import did" error={detail.error} onRetry={detail.refetch} />;
  if (!detail.data) return <Loader size="xs" aria-label="Reading the import summary" />;
  const result = detail.data.result;
  if (!result || result.kind !== 'import.providers') return null;
  const s = result.summary;
  if (s.dryRun) {
    return (
      <Stack gap={4} data-testid="roster-import-summary" data-dry-run="true">
        <Text size="sm">
          {s.outcome === 'cancelled' ? 'Check cancelled after' : 'File checked, nothing stored:'} {formatCount(s.rows_read)} {s.rows_read === 1 ? 'row' : 'rows'} read; importing it would add{' '}
          {formatCount(s.providers_added)} providers, update {formatCount(s.providers_updated)} and add {formatCount(s.credentials_added)} credentials; {formatCount(s.duplicate)} already in the
          directory; {s.rejected ? `${formatCount(s.rejected)} rejected` : 'none rejected'}.
        </Text>
        {s.sampleRejects.length > 0 && (
          <List size="xs" spacing={2} data-testid="roster-check-rejects" aria-label="Rejected rows">
            {s.sampleRejects.map((r) => (
              <List.Item key={r.row} data-testid="roster-check-reject" data-row={r.row}>
                Row {r.row}: {r.reason}
              </List.Item>
            ))}
          </List>
        )}
        {s.rejected > s.sampleRejects.length && (
          <Text size="xs" c="dimmed">
            Every rejected row, with its column and reason, is under Roster imports below.
          </Text>
        )}
      </Stack>
    );
  }
  return (
    <Text size="sm" data-testid="roster-import-summary">
      {s.outcome === 'cancelled' ? 'Cancelled after' : 'Imported:'} {formatCount(s.rows_read)} {s.rows_read === 1 ? 'row' : 'rows'} read, {formatCount(s.providers_added)} providers added,{' '}
      {formatCount(s.providers_updated)} updated, {formatCount(s.credentials_added)} credentials added, {formatCount(s.duplicate)} already in the directory,{' '}
      {s.rejected ? `${formatCount(s.rejected)} rejected (see Roster imports below for each row, column and reason)` : 'none rejected'}. New credentials are not checked yet: use Verify all.
    </Text>
  );
}
