// Batches sent (or waiting to be sent) to the chain, newest first: what each carried, its transaction, how far it
// is confirmed, what it cost, and why it failed. A failed batch can be put back in the queue from here.
import { Badge, Button, Code, Table, Text, Tooltip } from '@mantine/core';
import type { ReactElement } from 'react';
import type { SyncBatchSummary } from '../../../../main/api/sync';
import { DenseTable, type DenseTableColumn } from '../../components/DenseTable';
import { formatCount, formatDateTime, humanizeKind } from '../../components/format';
import classes from './Sync.module.css';
import { BATCH_STATE_VIEW, confirmationsText, failureLabel, shortHex } from './syncLabels';

export function BatchStateBadge({ state }: { state: SyncBatchSummary['state'] }): ReactElement {
  const view = BATCH_STATE_VIEW[state];
  return (
    <Badge color={view.color} variant="light" size="sm" title={view.meaning} data-testid="batch-state" data-state={state} style={{ minWidth: 'max-content' }}>
      {view.label}
    </Badge>
  );
}

export interface BatchesTableProps {
  batches: readonly SyncBatchSummary[];
  confirmationsRequired: number;
  /** Null when the signed-in role may not retry (sync.run). */
  onRetry: ((batch: SyncBatchSummary) => void) | null;
  retrying: string | null;
  /** Show the chain columns (batch id, transaction and nonce, block, gas): hidden for records staff by default. */
  technical: boolean;
}

function batchColumns(technical: boolean): readonly DenseTableColumn[] {
  return [
    { label: 'Batch', hidden: !technical },
    { label: 'What' },
    { label: 'Events', align: 'right' },
    { label: 'Status' },
    { label: 'Transaction', hidden: !technical },
    { label: 'Block', align: 'right', hidden: !technical },
    { label: 'Confirmations', align: 'right' },
    { label: 'Gas used', align: 'right', hidden: !technical },
    { label: 'Updated', nowrap: true },
    { label: 'Error' },
  ];
}

export function BatchesTable({ batches, confirmationsRequired, onRetry, retrying, technical }: BatchesTableProps): ReactElement {
  return (
    <DenseTable columns={batchColumns(technical)} actions minWidth={technical ? 1080 : 720} testId="sync-batches-table">
      {batches.map((b) => (
        <Table.Tr key={b.id} data-testid="sync-batch-row" data-batch-id={b.id} data-kind={b.kind} data-state={b.state}>
          <Table.Td hidden={!technical}>
            <Code fz="xs" title={b.id} bg="transparent" p={0}>
              {shortHex(b.id, 10, 6)}
            </Code>
          </Table.Td>
          <Table.Td className={classes.nowrap}>{humanizeKind(b.kind)}</Table.Td>
          <Table.Td ta="right" data-testid="batch-events">
            {formatCount(b.events)}
          </Table.Td>
          <Table.Td>
            <BatchStateBadge state={b.state} />
            {b.attempts > 1 && (
              <Text span size="xs" c="dimmed" ml={4}>
                {b.attempts} attempts
              </Text>
            )}
          </Table.Td>
          <Table.Td hidden={!technical}>
            {b.txHash ? (
              <Code fz="xs" title={b.txHash} bg="transparent" p={0} data-testid="batch-tx-hash" data-value={b.txHash}>
                {shortHex(b.txHash, 10, 6)}
              </Code>
            ) : (
              <Text span size="xs" c="dimmed" data-testid="batch-tx-hash">
                —
              </Text>
            )}
            {b.nonce !== null && b.state !== 'confirmed' && (
              <Text span size="xs" c="dimmed" ml={4}>
                nonce {b.nonce}
              </Text>
            )}
          </Table.Td>
          <Table.Td ta="right" className={classes.mono} hidden={!technical}>
            {b.blockNumber === null ? '—' : formatCount(b.blockNumber)}
          </Table.Td>
          <Table.Td ta="right" className={classes.mono} data-testid="batch-confirmations">
            {confirmationsText(b.confirmations, confirmationsRequired, b.state)}
          </Table.Td>
          <Table.Td ta="right" className={classes.mono} title={`Estimated ${formatCount(b.estimatedGas)}`} hidden={!technical}>
            {b.gasUsed === null ? <Text span size="xs" c="dimmed">{`est. ${formatCount(b.estimatedGas)}`}</Text> : formatCount(b.gasUsed)}
          </Table.Td>
          <Table.Td className={classes.nowrap}>{formatDateTime(b.updatedAt)}</Table.Td>
          <Table.Td maw={320}>
            {b.error ? (
              <Tooltip label={b.error.message} multiline w={360} withArrow>
                <Text size="xs" c={b.state === 'failed' ? 'red.8' : 'var(--mantine-color-orange-light-color)'} lineClamp={2} data-testid="batch-error">
                  <Text span fw={600} size="xs">
                    {failureLabel(b.error.subtype)}:
                  </Text>{' '}
                  {b.error.message}
                </Text>
              </Tooltip>
            ) : (
              <Text span size="xs" c="dimmed">
                —
              </Text>
            )}
          </Table.Td>
          <Table.Td>
            {b.state === 'failed' && onRetry && (
              <Button
                size="compact-xs"
                variant="default"
                loading={retrying === b.id}
                onClick={() => onRetry(b)}
                aria-label={`Retry batch ${shortHex(b.id, 10, 6)}`}
                data-testid="batch-retry"
              >
                Retry
              </Button>
            )}
          </Table.Td>
        </Table.Tr>
      ))}
    </DenseTable>
  );
}
