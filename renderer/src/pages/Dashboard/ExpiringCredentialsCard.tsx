// Credentials whose last valid day is near (30 days unless configured): who, which credential, how many days are
// left. Each name opens the provider on the Credentials page, where the credential can be re-checked.
import { Anchor, Badge, Group, Stack, Table, Text } from '@mantine/core';
import type { ReactElement } from 'react';
import { CREDENTIAL_TYPE_LABELS } from '../../../../main/api/credentials';
import { useApiQuery } from '../../api/hooks';
import { ErrorBanner } from '../../components/ErrorBanner';
import { formatCount } from '../../components/format';
import { CredentialsIcon } from '../../components/icons';
import { StatusCard } from '../../components/StatusCard';
import { hrefFor } from '../../shell/router';

const SHOWN = 5;
// credentials.expiring is not audited (no patient data); a slow poll keeps the card current over a shift.
const REFRESH_MS = 5 * 60_000;

function daysLeft(days: number): string {
  if (days === 0) return 'last day today';
  return `${formatCount(days)} ${days === 1 ? 'day' : 'days'} left`;
}

export function ExpiringCredentialsCard(): ReactElement {
  const q = useApiQuery('credentials.expiring', { limit: SHOWN }, { refreshMs: REFRESH_MS });
  const data = q.data;
  return (
    <StatusCard
      title="Credentials expiring soon"
      icon={<CredentialsIcon size={16} />}
      loading={q.loading && !data}
      testId="card-credentials-expiring"
      badge={
        data && (
          <Badge color={data.total > 0 ? 'orange' : 'teal'} variant="light" size="sm" data-testid="expiring-count" data-value={data.total} style={{ flexShrink: 0 }}>
            {data.total > 0 ? `${formatCount(data.total)} within ${data.days} days` : 'None due'}
          </Badge>
        )
      }
    >
      <Stack gap="xs">
        {q.error && <ErrorBanner title="Could not read expiring credentials" error={q.error} stale={!!data} onRetry={q.refetch} />}
        {data && data.total === 0 && (
          <Text size="sm" c="dimmed">
            No credential in the directory reaches its last valid day within {data.days} days.
          </Text>
        )}
        {data && data.credentials.length > 0 && (
          <Table withRowBorders={false} verticalSpacing={2} horizontalSpacing={0} fz="sm" data-testid="expiring-table">
            <Table.Thead>
              <Table.Tr>
                <Table.Th>Provider</Table.Th>
                <Table.Th>Credential</Table.Th>
                <Table.Th ta="right">Valid until</Table.Th>
              </Table.Tr>
            </Table.Thead>
            <Table.Tbody>
              {data.credentials.map((c) => (
                <Table.Tr key={c.credentialId} data-testid="expiring-row" data-npi={c.npi}>
                  <Table.Td>
                    <Anchor href={hrefFor('credentials', undefined, { provider: String(c.providerId) })} size="sm">
                      {c.providerName}
                    </Anchor>
                  </Table.Td>
                  <Table.Td>
                    <Text size="xs">
                      {CREDENTIAL_TYPE_LABELS[c.type]} · {c.jurisdiction}
                    </Text>
                  </Table.Td>
                  <Table.Td ta="right" style={{ whiteSpace: 'nowrap' }}>
                    <Text size="xs">{c.validUntil}</Text>
                    <Text size="xs" c={c.daysToExpiry <= 7 ? 'red.8' : 'var(--mantine-color-orange-light-color)'}>
                      {daysLeft(c.daysToExpiry)}
                    </Text>
                  </Table.Td>
                </Table.Tr>
              ))}
            </Table.Tbody>
          </Table>
        )}
        {data && (
          <Group justify={data.total > data.credentials.length ? 'space-between' : 'flex-end'}>
            {data.total > data.credentials.length && (
              <Text size="xs" c="dimmed">
                {formatCount(data.total - data.credentials.length)} more, soonest shown first
              </Text>
            )}
            <Anchor href={hrefFor('credentials')} size="sm" data-testid="expiring-link">
              Open Credentials
            </Anchor>
          </Group>
        )}
      </Stack>
    </StatusCard>
  );
}
