// The history of roster imports: each run with its counts and state, newest first; a run with rejected rows opens
// the list of them (row, column, reason) read back from its rejects file. Read again when an import ends.
import { Badge, Button, Code, Group, Loader, Paper, Stack, Table, Text, Title } from '@mantine/core';
import { useEffect, useState, type ReactElement } from 'react';
import type { RosterRunSummary } from '../../../../main/api/credentials';
import { useApiQuery } from '../../api/hooks';
import { ErrorBanner } from '../../components/ErrorBanner';
import { formatBytes, formatCount, formatDateTime } from '../../components/format';
import { ROSTER_RUN_STATE_VIEW } from './credentialLabels';
import classes from './Credentials.module.css';

const RUNS_SHOWN = 10;

function RejectedRows({ runId }: { runId: number }): ReactElement {
  const detail = useApiQuery('credentials.rosterRuns.get', { runId, limit: 500 });
  if (detail.error) return <ErrorBanner title="Could not read the rejected rows" error={detail.error} onRetry={detail.refetch} />;
  if (!detail.data) return <Loader size="xs" aria-label="Reading the rejected rows" />;
  const d = detail.data;
  if (d.rejectsMissing) {
    return (
      <Text size="sm" data-testid="roster-rejects-missing">
        The rejects file of this import is no longer in the data folder: the counts stand, the rows cannot be listed.
      </Text>
    );
  }
  return (
    <Stack gap={4}>
      <Table withTableBorder verticalSpacing={3} horizontalSpacing={8} fz="xs" className={classes.table} data-testid="roster-rejects" aria-label={`Rejected rows of ${d.fileName}`}>
        <Table.Thead>
          <Table.Tr>
            <Table.Th>Row</Table.Th>
            <Table.Th>Line</Table.Th>
            <Table.Th>Column</Table.Th>
            <Table.Th>Reason</Table.Th>
          </Table.Tr>
        </Table.Thead>
        <Table.Tbody>
          {d.rejects.flatMap((r) =>
            r.problems.map((p, i) => (
              <Table.Tr key={`${r.row}-${i}`} data-testid="roster-reject" data-row={r.row} data-field={p.field}>
                <Table.Td className={classes.nowrap}>{i === 0 ? r.row : ''}</Table.Td>
                <Table.Td className={classes.nowrap}>{i === 0 ? r.line : ''}</Table.Td>
                <Table.Td className={classes.mono}>{p.field}</Table.Td>
                <Table.Td>{p.reason}</Table.Td>
              </Table.Tr>
            )),
          )}
        </Table.Tbody>
      </Table>
      {d.rejectsTruncated && (
        <Text size="xs" c="dimmed">
          The first {formatCount(d.rejects.length)} rejected rows are listed; the rest are in the run’s rejects file in the data folder.
        </Text>
      )}
      {d.ignoredColumns.length > 0 && (
        <Text size="xs" c="dimmed">
          Columns ignored: {d.ignoredColumns.map((c) => <Code key={c}>{c}</Code>)}
        </Text>
      )}
    </Stack>
  );
}

function RunRow({ run, open, onToggle }: { run: RosterRunSummary; open: boolean; onToggle: () => void }): ReactElement {
  const state = ROSTER_RUN_STATE_VIEW[run.state];
  return (
    <>
      <Table.Tr data-testid="roster-run" data-run-id={run.id} data-state={run.state}>
        <Table.Td>
          <Text size="sm" fw={500}>
            {run.fileName}
          </Text>
          <Text size="xs" c="dimmed">
            {formatBytes(run.fileSize)} · by {run.startedBy}
          </Text>
        </Table.Td>
        <Table.Td className={classes.nowrap}>{formatDateTime(run.createdAt)}</Table.Td>
        <Table.Td>
          <Group gap={4} wrap="nowrap">
            <Badge color={state.color} variant="light" size="sm">
              {state.label}
            </Badge>
            {run.dryRun && (
              <Badge color="gray" variant="outline" size="sm" data-testid="roster-run-dry">
                Check only
              </Badge>
            )}
          </Group>
        </Table.Td>
        <Table.Td className={classes.nowrap} data-testid="roster-run-counts">
          {run.dryRun
            ? `${formatCount(run.rowsRead)} read · would add ${formatCount(run.providersAdded)} providers · update ${formatCount(run.providersUpdated)} · add ${formatCount(run.credentialsAdded)} credentials · ${formatCount(run.duplicate)} duplicate`
            : `${formatCount(run.rowsRead)} read · ${formatCount(run.providersAdded)} providers added · ${formatCount(run.providersUpdated)} updated · ${formatCount(run.credentialsAdded)} credentials added · ${formatCount(run.duplicate)} duplicate`}
        </Table.Td>
        <Table.Td className={classes.nowrap}>
          {run.rejected > 0 ? (
            <Button size="compact-xs" variant={open ? 'light' : 'default'} color="red" onClick={onToggle} aria-expanded={open} data-testid="roster-run-rejects-toggle">
              {formatCount(run.rejected)} rejected {open ? '▴' : '▾'}
            </Button>
          ) : (
            <Text size="sm" c="dimmed">
              none rejected
            </Text>
          )}
        </Table.Td>
      </Table.Tr>
      {run.error && (
        <Table.Tr>
          <Table.Td colSpan={5}>
            <Text size="xs" c="var(--custodian-text-danger)">
              {run.error.code}: {run.error.message}
            </Text>
          </Table.Td>
        </Table.Tr>
      )}
      {open && (
        <Table.Tr>
          <Table.Td colSpan={5}>
            <RejectedRows runId={run.id} />
          </Table.Td>
        </Table.Tr>
      )}
    </>
  );
}

/** `version` changes when an import ends: the list is read again then (it is not polled). */
export function RosterHistory({ version }: { version: number }): ReactElement | null {
  const runs = useApiQuery('credentials.rosterRuns.list', { limit: RUNS_SHOWN });
  const [open, setOpen] = useState<number | null>(null);
  const { refetch } = runs;
  useEffect(() => {
    if (version > 0) refetch();
  }, [version, refetch]);
  if (runs.error && !runs.data) return <ErrorBanner title="Could not read the roster imports" error={runs.error} onRetry={refetch} />;
  if (!runs.data || runs.data.length === 0) return null;
  return (
    <Paper withBorder radius="md" p="sm" data-testid="roster-history">
      <Stack gap={6}>
        <Group justify="space-between">
          <Title order={3} size="h5">
            Roster imports
          </Title>
          <Text size="xs" c="dimmed">
            The last {RUNS_SHOWN}, newest first
          </Text>
        </Group>
        <Table.ScrollContainer minWidth={900}>
          <Table verticalSpacing={4} horizontalSpacing={8} fz="sm" className={classes.table}>
            <Table.Thead>
              <Table.Tr>
                <Table.Th>File</Table.Th>
                <Table.Th>Started</Table.Th>
                <Table.Th>State</Table.Th>
                <Table.Th>Counts</Table.Th>
                <Table.Th>Rejected rows</Table.Th>
              </Table.Tr>
            </Table.Thead>
            <Table.Tbody>
              {runs.data.map((run) => (
                <RunRow key={run.id} run={run} open={open === run.id} onToggle={() => setOpen((o) => (o === run.id ? null : run.id))} />
              ))}
            </Table.Tbody>
          </Table>
        </Table.ScrollContainer>
      </Stack>
    </Paper>
  );
}
