// A long credentials job (bulk verification, roster import) as it runs: done / total, rate, time left, rejected
// rows, a Cancel button; once it ends, what it did. Progress comes from useCredentialJobs (never goes backwards).
import { Badge, Button, Group, Paper, Progress, Stack, Text } from '@mantine/core';
import type { ReactElement, ReactNode } from 'react';
import type { JobState } from '../../../../main/api/system';
import { formatCount, formatDateTime, formatDuration } from '../../components/format';
import { isTerminal, jobErrorText, type JobRow } from '../Dashboard/jobRows';

const STATE_VIEW: Record<JobState, { label: string; color: string }> = {
  queued: { label: 'Queued', color: 'gray' },
  running: { label: 'Running', color: 'blue' },
  succeeded: { label: 'Finished', color: 'teal' },
  failed: { label: 'Failed', color: 'red' },
  cancelled: { label: 'Cancelled', color: 'gray' },
  interrupted: { label: 'Interrupted', color: 'orange' },
};

export interface JobPanelProps {
  job: JobRow;
  title: string;
  /** "credentials", "rows": what `done` counts. */
  unit: string;
  /** Shown once the job has ended. */
  summary?: ReactNode;
  /** Null when the role may not cancel (jobs.cancel needs imports.run). */
  onCancel: (() => void) | null;
  cancelling: boolean;
  onDismiss: () => void;
  testId: string;
}

export function JobPanel({ job, title, unit, summary, onCancel, cancelling, onDismiss, testId }: JobPanelProps): ReactElement {
  const done = isTerminal(job.state);
  const view = STATE_VIEW[job.state];
  const percent = job.total ? Math.min(100, (job.done / job.total) * 100) : null;
  const parts = [job.total !== null ? `${formatCount(job.done)} of ${formatCount(job.total)} ${unit}` : `${formatCount(job.done)} ${unit}`];
  if (!done && job.rate) parts.push(`${formatCount(Math.round(job.rate))} per second`);
  if (!done && job.etaSeconds !== null) parts.push(`about ${formatDuration(job.etaSeconds)} left`);
  if (job.errors) parts.push(`${formatCount(job.errors)} rejected`);
  return (
    <Paper withBorder radius="md" p="sm" data-testid={testId} data-state={job.state} aria-live="polite">
      <Stack gap={6}>
        <Group justify="space-between" wrap="nowrap">
          <Group gap="xs">
            <Text size="sm" fw={600}>
              {title}
            </Text>
            <Badge color={view.color} variant="light" size="sm" data-testid={`${testId}-state`}>
              {view.label}
            </Badge>
          </Group>
          <Group gap="xs">
            {!done && onCancel && (
              <Button size="compact-xs" variant="default" onClick={onCancel} loading={cancelling} data-testid={`${testId}-cancel`}>
                Cancel
              </Button>
            )}
            {done && (
              <Button size="compact-xs" variant="subtle" color="gray" onClick={onDismiss} data-testid={`${testId}-dismiss`}>
                Dismiss
              </Button>
            )}
          </Group>
        </Group>
        {percent !== null ? (
          <Progress value={percent} size="md" color={view.color} striped={!done} animated={!done} aria-label={`${title}: ${Math.round(percent)}%`} />
        ) : (
          <Progress value={100} size="md" color="gray.4" animated={!done} aria-label={`${title}: total not known yet`} />
        )}
        <Text size="xs" data-testid={`${testId}-counts`}>
          {parts.join(' · ')}
        </Text>
        {job.error && (
          <Text size="xs" c="var(--custodian-text-danger)" title={job.error.code} data-code={job.error.code}>
            {jobErrorText(job.error).text}
          </Text>
        )}
        {done && summary}
        <Text size="xs" c="dimmed">
          Started {formatDateTime(job.startedAt)}
          {job.finishedAt ? ` · ended ${formatDateTime(job.finishedAt)}` : ''}
          {' · '}also listed under Background jobs on the Dashboard
        </Text>
      </Stack>
    </Paper>
  );
}
