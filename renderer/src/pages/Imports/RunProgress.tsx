// The progress of one import while it runs: a bar that only moves forward, rows done of the (estimated) total,
// rows per second, time left, rows rejected so far, and Cancel (which stops after the chunk being committed).
import { Badge, Button, Group, Progress, SimpleGrid, Stack, Text } from '@mantine/core';
import type { ReactElement } from 'react';
import type { ImportRunSummary } from '../../../../main/api/imports';
import { formatCount, formatDuration } from '../../components/format';
import type { LiveProgress, RunState } from './runProgress';

export const STATE_COLOR: Record<RunState, string> = {
  queued: 'gray',
  running: 'blue',
  succeeded: 'teal',
  failed: 'red',
  cancelled: 'gray',
  interrupted: 'orange',
  unknown: 'gray',
};

export const STATE_LABEL: Record<RunState, string> = {
  queued: 'Queued',
  running: 'Running',
  succeeded: 'Finished',
  failed: 'Failed',
  cancelled: 'Cancelled',
  interrupted: 'Interrupted',
  unknown: 'Unknown',
};

export function StateBadge({ state, dryRun }: { state: RunState; dryRun?: boolean }): ReactElement {
  return (
    <Badge color={STATE_COLOR[state]} variant="light" size="sm" data-testid="import-state" data-state={state} style={{ minWidth: 'max-content' }}>
      {state === 'succeeded' && dryRun ? 'Checked' : STATE_LABEL[state]}
    </Badge>
  );
}

function Figure({ label, value, testId, raw }: { label: string; value: string; testId: string; raw?: number | null }): ReactElement {
  return (
    <Stack gap={0}>
      <Text size="xs" c="dimmed">
        {label}
      </Text>
      <Text size="sm" fw={600} data-testid={testId} data-value={raw ?? undefined} style={{ fontVariantNumeric: 'tabular-nums' }}>
        {value}
      </Text>
    </Stack>
  );
}

export interface RunProgressProps {
  run: ImportRunSummary;
  state: RunState;
  live: LiveProgress | undefined;
  /** Null when the role may not cancel. */
  onCancel: (() => void) | null;
  cancelPending: boolean;
  cancelRequested: boolean;
}

export function RunProgress({ run, state, live, onCancel, cancelPending, cancelRequested }: RunProgressProps): ReactElement {
  const done = Math.max(live?.done ?? 0, run.rowsRead);
  const total = live?.total ?? null;
  const percent = live?.percent ?? null;
  const errors = Math.max(live?.errors ?? 0, run.rejected);
  const running = state === 'running' || state === 'queued';
  const label = `Progress of ${run.dryRun ? 'dry run' : 'import'} #${run.id} (${run.fileName})`;
  return (
    <Stack gap="xs" data-testid="import-progress" data-state={state}>
      {percent !== null ? (
        <Progress.Root size="lg" aria-label={label}>
          <Progress.Section value={percent} color={running ? 'blue' : STATE_COLOR[state]} striped={running} animated={running} data-testid="import-progress-bar" data-value={percent.toFixed(1)}>
            <Progress.Label>{percent.toFixed(0)} %</Progress.Label>
          </Progress.Section>
        </Progress.Root>
      ) : (
        <Progress value={100} size="lg" color="gray.4" striped animated={running} aria-label={`${label}: total not yet known`} data-testid="import-progress-bar" />
      )}
      <Group justify="space-between" align="flex-end" wrap="nowrap">
        <SimpleGrid cols={{ base: 2, md: 4 }} spacing="lg" verticalSpacing={4}>
          <Figure
            label="Rows read"
            testId="import-progress-done"
            raw={done}
            value={total !== null && state !== 'succeeded' ? `${formatCount(done)} of about ${formatCount(total)}` : formatCount(done)}
          />
          <Figure label="Rate" testId="import-progress-rate" value={live && live.rate > 0 ? `${formatCount(Math.round(live.rate))} rows/s` : '—'} />
          <Figure
            label="Time left"
            testId="import-progress-eta"
            value={running ? (live?.etaSeconds !== null && live?.etaSeconds !== undefined ? `about ${formatDuration(live.etaSeconds)}` : 'estimating…') : '—'}
          />
          <Figure label="Rejected so far" testId="import-progress-errors" raw={errors} value={formatCount(errors)} />
        </SimpleGrid>
        {running && onCancel && (
          <Button variant="default" color="red" onClick={onCancel} loading={cancelPending} disabled={cancelRequested} data-testid="import-cancel">
            {cancelRequested ? 'Stopping after this chunk…' : 'Cancel'}
          </Button>
        )}
      </Group>
      {running && (
        <Text size="xs" c="dimmed">
          Rows are committed chunk by chunk; cancelling stops after the chunk being written and keeps what was committed. You can leave this page: the import
          continues in the background and its progress is here when you come back.
        </Text>
      )}
    </Stack>
  );
}
