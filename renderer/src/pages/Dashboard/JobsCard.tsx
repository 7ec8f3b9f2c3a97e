// Background jobs (imports, bulk verification…): state, progress with rate and ETA, and a way to cancel.
import { Badge, Button, Code, Group, Progress, Skeleton, Stack, Table, Text, VisuallyHidden } from '@mantine/core';
import { useEffect, useState, type ReactElement } from 'react';
import type { JobProgress } from '../../../../main/api/events';
import type { JobState } from '../../../../main/api/system';
import { useApiAction, useApiQuery, usePushEvent } from '../../api/hooks';
import { useSession } from '../../auth/SessionContext';
import { ErrorBanner } from '../../components/ErrorBanner';
import { formatCount, formatDateTime, formatDuration, humanizeKind } from '../../components/format';
import { JobsIcon } from '../../components/icons';
import { StatusCard } from '../../components/StatusCard';
import { hasUnknownJobs, isTerminal, jobErrorText, jobRows, mergeProgress, progressUnitWord, type JobRow } from './jobRows';

const JOBS_REFRESH_MS = 5000;

const STATE_COLOR: Record<JobState, string> = {
  queued: 'gray',
  running: 'blue',
  succeeded: 'teal',
  failed: 'red',
  cancelled: 'gray',
  interrupted: 'orange',
};

function ProgressCell({ job }: { job: JobRow }): ReactElement {
  const percent = job.total ? Math.min(100, (job.done / job.total) * 100) : null;
  const parts = [job.total !== null ? `${formatCount(job.done)} / ${formatCount(job.total)} ${progressUnitWord(job.kind, job.total)}` : `${formatCount(job.done)} ${progressUnitWord(job.kind, job.done)} done`];
  if (job.rate) parts.push(`${formatCount(Math.round(job.rate))}/s`);
  if (job.etaSeconds !== null) parts.push(`about ${formatDuration(job.etaSeconds)} left`);
  if (job.errors) parts.push(`${formatCount(job.errors)} rejected`);
  const label = `Progress of ${humanizeKind(job.kind)} job`;
  return (
    <Stack gap={2} miw={180}>
      {percent !== null ? (
        <Progress value={percent} size="sm" color={STATE_COLOR[job.state]} aria-label={label} striped={job.state === 'running'} />
      ) : (
        <Progress value={100} size="sm" color="gray.4" animated={job.state === 'running'} aria-label={`${label} (total unknown)`} />
      )}
      <Text size="xs">{parts.join(' · ')}</Text>
    </Stack>
  );
}

export function JobsCard(): ReactElement {
  const jobs = useApiQuery('jobs.list', { limit: 50 }, { refreshMs: JOBS_REFRESH_MS });
  const cancel = useApiAction('jobs.cancel');
  // Cancelling needs imports.run; other roles see the jobs without the button (main refuses them anyway).
  const mayCancel = useSession().can('imports.run');
  const [live, setLive] = useState<Record<string, JobProgress>>({});
  const { refetch } = jobs;

  usePushEvent('job.progress', (p) => setLive((prev) => ({ ...prev, [p.jobId]: mergeProgress(prev[p.jobId], p) })));
  const unknown = hasUnknownJobs(jobs.data, live);
  useEffect(() => {
    if (unknown) refetch();
  }, [unknown, refetch]);

  const rows = jobs.data ? jobRows(jobs.data, live) : [];
  const running = rows.filter((r) => !isTerminal(r.state)).length;

  return (
    <StatusCard
      title="Background jobs"
      icon={<JobsIcon size={16} />}
      testId="card-jobs"
      badge={
        jobs.data && (
          <Badge color={running > 0 ? 'blue' : 'gray'} variant="light" size="sm">
            {running > 0 ? `${running} active` : 'None active'}
          </Badge>
        )
      }
    >
      <Stack gap="sm">
        {jobs.error && <ErrorBanner title="Could not load background jobs" error={jobs.error} stale={!!jobs.data} onRetry={refetch} />}
        {cancel.error && <ErrorBanner title="Could not cancel the job" error={cancel.error} />}
        {jobs.loading && (
          <Stack gap={8} role="status" aria-busy="true" aria-label="Loading background jobs">
            <Skeleton height={12} />
            <Skeleton height={12} />
          </Stack>
        )}
        {jobs.data && rows.length === 0 && (
          <Text size="sm" c="dimmed" data-testid="jobs-empty">
            No background jobs yet. Imports and bulk verifications appear here with their progress, and can be cancelled
            while they run.
          </Text>
        )}
        {rows.length > 0 && (
          <Table.ScrollContainer minWidth={760}>
            <Table striped highlightOnHover verticalSpacing={6} fz="sm" data-testid="jobs-table">
              <Table.Thead>
                <Table.Tr>
                  <Table.Th>Job</Table.Th>
                  <Table.Th>State</Table.Th>
                  <Table.Th>Progress</Table.Th>
                  <Table.Th style={{ whiteSpace: 'nowrap' }}>Started / finished</Table.Th>
                  <Table.Th>Notes</Table.Th>
                  <Table.Th>
                    <VisuallyHidden>Actions</VisuallyHidden>
                  </Table.Th>
                </Table.Tr>
              </Table.Thead>
              <Table.Tbody>
                {rows.map((job) => (
                  <Table.Tr key={job.id} data-testid={`job-${job.id}`} data-job-row="" data-kind={job.kind} data-state={job.state}>
                    <Table.Td style={{ whiteSpace: 'nowrap' }}>
                      <Text size="sm" fw={500}>
                        {humanizeKind(job.kind)}
                      </Text>
                      <Code fz="xs" title={job.id}>
                        {job.id.slice(0, 8)}
                      </Code>
                    </Table.Td>
                    <Table.Td style={{ whiteSpace: 'nowrap' }}>
                      <Badge color={STATE_COLOR[job.state]} variant="light" size="sm" style={{ minWidth: 'max-content' }}>
                        {job.state}
                      </Badge>
                    </Table.Td>
                    <Table.Td>
                      <ProgressCell job={job} />
                    </Table.Td>
                    <Table.Td style={{ whiteSpace: 'nowrap' }}>
                      <Text size="xs">{formatDateTime(job.startedAt)}</Text>
                      <Text size="xs" c="dimmed">
                        {job.finishedAt ? formatDateTime(job.finishedAt) : isTerminal(job.state) ? '—' : 'still running'}
                      </Text>
                    </Table.Td>
                    <Table.Td maw={280}>
                      <Text size="xs" c={job.error ? 'red.8' : undefined} lineClamp={2} title={job.error ? `${job.error.code}: ${job.error.message}` : (job.message ?? undefined)} data-testid="job-error" data-code={job.error?.code}>
                        {job.error ? jobErrorText(job.error).text : (job.message ?? '—')}
                      </Text>
                    </Table.Td>
                    <Table.Td>
                      {!isTerminal(job.state) && mayCancel && (
                        <Group justify="flex-end">
                          <Button
                            size="compact-xs"
                            variant="default"
                            loading={cancel.pending}
                            aria-label={`Cancel ${humanizeKind(job.kind)} job ${job.id.slice(0, 8)}`}
                            onClick={() => void cancel.run({ jobId: job.id }).then(refetch)}
                          >
                            Cancel
                          </Button>
                        </Group>
                      )}
                    </Table.Td>
                  </Table.Tr>
                ))}
              </Table.Tbody>
            </Table>
          </Table.ScrollContainer>
        )}
      </Stack>
    </StatusCard>
  );
}
