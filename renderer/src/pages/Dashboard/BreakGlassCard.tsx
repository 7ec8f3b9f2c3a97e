// Break-glass accesses (emergency access that overrode consent) still waiting for someone to review them. Shown to
// roles that may read the audit trail; the review itself happens on the Audit page.
import { Anchor, Badge, Group, Stack, Table, Text } from '@mantine/core';
import type { ReactElement } from 'react';
import { useApiQuery } from '../../api/hooks';
import { actorName } from '../../components/auditLabels';
import { ErrorBanner } from '../../components/ErrorBanner';
import { formatCount, formatDateTime } from '../../components/format';
import { AuditIcon } from '../../components/icons';
import { StatusCard } from '../../components/StatusCard';
import { hrefFor } from '../../shell/router';

const LIMIT = 100;
const SHOWN = 4;

export function BreakGlassCard(): ReactElement {
  // Read once per visit, not polled: each read of the list is itself an audited access.
  const list = useApiQuery('audit.breakGlass.list', { limit: LIMIT });
  const entries = list.data?.entries ?? [];
  const count = entries.length >= LIMIT ? `${LIMIT}+` : formatCount(entries.length);
  return (
    <StatusCard
      title="Break-glass to review"
      icon={<AuditIcon size={16} />}
      loading={list.loading && !list.data}
      testId="card-break-glass"
      badge={
        list.data && (
          <Badge color={entries.length > 0 ? 'red' : 'teal'} variant="light" size="sm" data-testid="break-glass-count" data-value={entries.length} style={{ flexShrink: 0 }}>
            {entries.length > 0 ? `${count} to review` : 'None waiting'}
          </Badge>
        )
      }
    >
      <Stack gap="xs">
        {list.error && <ErrorBanner title="Could not read break-glass accesses" error={list.error} stale={!!list.data} onRetry={list.refetch} />}
        {list.data && entries.length === 0 && (
          <Text size="sm" c="dimmed">
            No break-glass (emergency) access is waiting for review.
          </Text>
        )}
        {entries.length > 0 && (
          <Table withRowBorders={false} verticalSpacing={2} horizontalSpacing={0} fz="sm">
            <Table.Thead>
              <Table.Tr>
                <Table.Th>When</Table.Th>
                <Table.Th>Staff member</Table.Th>
                <Table.Th ta="right">Patient</Table.Th>
              </Table.Tr>
            </Table.Thead>
            <Table.Tbody>
              {entries.slice(0, SHOWN).map((e) => (
                <Table.Tr key={e.id}>
                  <Table.Td style={{ whiteSpace: 'nowrap' }}>{formatDateTime(e.at)}</Table.Td>
                  <Table.Td>{actorName(e.actor)}</Table.Td>
                  <Table.Td ta="right">{e.patientId ?? '—'}</Table.Td>
                </Table.Tr>
              ))}
            </Table.Tbody>
          </Table>
        )}
        {list.data && (
          <Group justify="flex-end">
            <Anchor href={hrefFor('audit', 'break-glass')} size="sm" data-testid="break-glass-link">
              {entries.length > SHOWN ? `All ${count} on the Audit page` : 'Review on the Audit page'}
            </Anchor>
          </Group>
        )}
      </Stack>
    </StatusCard>
  );
}
