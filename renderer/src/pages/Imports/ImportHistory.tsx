// The history of imports, newest first: file, kind (dry run or import), state, counts, who started it and when.
// A row opens its summary above; interrupted and failed runs can be resumed from their checkpoint.
import { Badge, Button, Group, Table, Text, Tooltip, UnstyledButton, VisuallyHidden } from '@mantine/core';
import type { ReactElement } from 'react';
import type { ImportRunSummary } from '../../../../main/api/imports';
import { formatCount, formatDateTime } from '../../components/format';
import { DownloadButton } from './DownloadButton';
import classes from './Imports.module.css';
import { StateBadge } from './RunProgress';
import { describeStarter, effectiveState, isResumable, type LiveProgress } from './runProgress';

export interface ImportHistoryProps {
  runs: readonly ImportRunSummary[];
  live: Readonly<Record<string, LiveProgress>>;
  selectedId: number | null;
  me: { id: string; name: string } | null;
  onSelect: (run: ImportRunSummary) => void;
  /** Null when the role may not run imports. */
  onResume: ((run: ImportRunSummary) => void) | null;
  resumingId: number | null;
  /** Whether the role may download rejects files (imports.run). */
  mayDownloadRejects?: boolean;
}

export function ImportHistory({ runs, live, selectedId, me, onSelect, onResume, resumingId, mayDownloadRejects = false }: ImportHistoryProps): ReactElement {
  return (
    <Table.ScrollContainer minWidth={1080}>
      <Table withTableBorder highlightOnHover verticalSpacing={4} horizontalSpacing={8} fz="xs" className={classes.history} data-testid="import-history">
        <Table.Thead>
          <Table.Tr>
            <Table.Th w={56}>No.</Table.Th>
            <Table.Th>File</Table.Th>
            <Table.Th>Kind</Table.Th>
            <Table.Th>State</Table.Th>
            <Table.Th className={classes.num}>Rows read</Table.Th>
            <Table.Th className={classes.num}>Accepted</Table.Th>
            <Table.Th className={classes.num}>Updated</Table.Th>
            <Table.Th className={classes.num}>Duplicates</Table.Th>
            <Table.Th className={classes.num}>Rejected</Table.Th>
            <Table.Th>Started by</Table.Th>
            <Table.Th className={classes.nowrap}>Started / finished</Table.Th>
            <Table.Th>
              <VisuallyHidden>Actions</VisuallyHidden>
            </Table.Th>
          </Table.Tr>
        </Table.Thead>
        <Table.Tbody>
          {runs.map((run) => {
            const p = run.jobId ? live[run.jobId] : undefined;
            const state = effectiveState(run, p);
            const rows = Math.max(run.rowsRead, p?.done ?? 0);
            const selected = run.id === selectedId;
            const running = state === 'running' || state === 'queued';
            return (
              <Table.Tr
                key={run.id}
                className={selected ? classes.selected : undefined}
                data-testid="import-history-row"
                data-run-id={run.id}
                data-state={state}
                aria-selected={selected}
              >
                <Table.Td>
                  <UnstyledButton
                    onClick={() => onSelect(run)}
                    aria-label={`Details of entry ${run.id}`}
                    className={classes.mono}
                    style={{ textDecoration: 'underline', color: 'var(--custodian-text-link)', fontSize: 'var(--mantine-font-size-xs)' }}
                    data-testid="import-history-open"
                  >
                    #{run.id}
                  </UnstyledButton>
                </Table.Td>
                <Table.Td maw={260}>
                  <Tooltip label={run.filePath} openDelay={300} withArrow>
                    <Text size="xs" truncate fw={500}>
                      {run.fileName}
                    </Text>
                  </Tooltip>
                  <Text size="xs" c="dimmed">
                    {run.format.toUpperCase()}
                  </Text>
                </Table.Td>
                <Table.Td>
                  {run.dryRun ? (
                    <Badge size="sm" variant="outline" color="gray" tt="none">
                      Dry run
                    </Badge>
                  ) : (
                    <Text size="xs">Import</Text>
                  )}
                </Table.Td>
                <Table.Td>
                  <StateBadge state={state} dryRun={run.dryRun} />
                </Table.Td>
                <Table.Td className={classes.num}>{formatCount(rows)}</Table.Td>
                {running ? (
                  <Table.Td colSpan={3} ta="center" c="dimmed" title="The breakdown is known when the run ends">
                    counted at the end
                  </Table.Td>
                ) : (
                  <>
                    <Table.Td className={classes.num}>{formatCount(run.accepted)}</Table.Td>
                    <Table.Td className={classes.num}>{formatCount(run.updated)}</Table.Td>
                    <Table.Td className={classes.num}>{formatCount(run.duplicate)}</Table.Td>
                  </>
                )}
                <Table.Td className={classes.num} c={run.rejected > 0 ? 'red.8' : undefined} fw={run.rejected > 0 ? 600 : undefined}>
                  {formatCount(Math.max(run.rejected, p?.errors ?? 0))}
                </Table.Td>
                <Table.Td className={classes.nowrap}>{describeStarter(run.startedBy, me)}</Table.Td>
                <Table.Td className={classes.nowrap}>
                  <Text size="xs">{formatDateTime(run.createdAt)}</Text>
                  <Text size="xs" c="dimmed">
                    {run.finishedAt ? formatDateTime(run.finishedAt) : state === 'running' || state === 'queued' ? 'in progress' : '—'}
                  </Text>
                </Table.Td>
                <Table.Td>
                  <Group gap={4} justify="flex-end" wrap="nowrap">
                    {mayDownloadRejects && run.rejectsPath && run.rejected > 0 && !running && (
                      <DownloadButton
                        kind="rejects"
                        id={run.id}
                        label="Rejects"
                        ariaLabel={`Download the rejects of #${run.id} (${run.fileName})`}
                        testId="import-history-rejects"
                        size="compact-xs"
                        variant="subtle"
                      />
                    )}
                    {onResume && isResumable(state) && (
                      <Button
                        size="compact-xs"
                        variant="light"
                        color="orange"
                        onClick={() => onResume(run)}
                        loading={resumingId === run.id}
                        aria-label={`Resume #${run.id} (${run.fileName}) from its checkpoint`}
                        data-testid="import-resume"
                      >
                        Resume
                      </Button>
                    )}
                  </Group>
                </Table.Td>
              </Table.Tr>
            );
          })}
        </Table.Tbody>
      </Table>
    </Table.ScrollContainer>
  );
}
