import { Alert, Anchor, Badge, Group, Stack, Table, Text } from '@mantine/core';
import type { ReactElement } from 'react';
import type { ConnectionHealth, SystemStatus } from '../../../../main/api/system';
import { formatCount, humanizeKind } from '../../components/format';
import { OutboxIcon } from '../../components/icons';
import { StatusCard } from '../../components/StatusCard';
import { hrefFor } from '../../shell/router';

export function OutboxCard({ outbox, health, loading }: { outbox: SystemStatus['outbox'] | undefined; health?: ConnectionHealth | undefined; loading: boolean }): ReactElement {
  // While the chain is unreachable nothing leaves: say so, rather than "waiting to send" as if it were on its way.
  const held = health !== undefined && health.state !== 'connected';
  const kinds = outbox ? Object.entries(outbox.byKind).filter(([, n]) => n > 0).sort((a, b) => b[1] - a[1]) : [];
  return (
    <StatusCard
      title="Outbox"
      icon={<OutboxIcon size={16} />}
      loading={loading || !outbox}
      testId="card-outbox"
      badge={
        outbox && (
          <Badge color={outbox.conflicts > 0 ? 'orange' : outbox.pending === 0 ? 'teal' : held ? 'red' : 'blue'} variant="light" size="sm" data-testid="dashboard-outbox-state">
            {outbox.conflicts > 0 ? 'Conflicts to resolve' : outbox.pending === 0 ? 'Up to date' : held ? 'Held: chain unreachable' : 'Waiting to send'}
          </Badge>
        )
      }
    >
      {outbox && (
        <Stack gap="xs">
          <Group gap={6} align="baseline">
            <Text fz={28} fw={600} lh={1} data-testid="dashboard-outbox-pending">
              {formatCount(outbox.pending)}
            </Text>
            <Text size="sm">{outbox.pending === 1 ? 'event waiting' : 'events waiting'} to be anchored on chain</Text>
          </Group>
          {outbox.conflicts > 0 && (
            <Alert color="orange" variant="light" py={6} data-testid="dashboard-conflicts" data-value={outbox.conflicts}>
              <Text size="sm">
                {formatCount(outbox.conflicts)} consent {outbox.conflicts === 1 ? 'change' : 'changes'} made here lost to another workstation’s change.{' '}
                <Anchor href={hrefFor('sync')} size="sm">
                  Resolve on the Sync page
                </Anchor>
              </Text>
            </Alert>
          )}
          {kinds.length === 0 ? (
            <Text size="sm" c="dimmed">
              Nothing is waiting: every recorded event has been sent.
            </Text>
          ) : (
            <Table withRowBorders={false} verticalSpacing={2} horizontalSpacing={0} fz="sm">
              <Table.Thead>
                <Table.Tr>
                  <Table.Th>Kind</Table.Th>
                  <Table.Th ta="right">Waiting</Table.Th>
                </Table.Tr>
              </Table.Thead>
              <Table.Tbody>
                {kinds.map(([kind, n]) => (
                  <Table.Tr key={kind}>
                    <Table.Td>{humanizeKind(kind)}</Table.Td>
                    <Table.Td ta="right">{formatCount(n)}</Table.Td>
                  </Table.Tr>
                ))}
              </Table.Tbody>
            </Table>
          )}
        </Stack>
      )}
    </StatusCard>
  );
}
