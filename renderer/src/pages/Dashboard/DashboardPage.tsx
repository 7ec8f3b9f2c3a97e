// Dashboard: is everything healthy right now? Database, chain, outbox and background jobs at a glance.
import { SimpleGrid, Stack, Text } from '@mantine/core';
import type { ReactElement } from 'react';
import { useSession } from '../../auth/SessionContext';
import { ErrorBanner } from '../../components/ErrorBanner';
import { formatDateTime } from '../../components/format';
import { DashboardIcon } from '../../components/icons';
import { PageHeader } from '../../components/PageHeader';
import { useSystemStatus } from '../../shell/SystemStatusContext';
import type { PageDefinition } from '../types';
import { BreakGlassCard } from './BreakGlassCard';
import { ChainCard } from './ChainCard';
import { DatabaseCard } from './DatabaseCard';
import { ExpiringCredentialsCard } from './ExpiringCredentialsCard';
import { FirstRunCard } from './FirstRunCard';
import { JobsCard } from './JobsCard';
import { OutboxCard } from './OutboxCard';

function DashboardPage(): ReactElement {
  const { status, error, loading, updatedAt, refetch } = useSystemStatus();
  const waiting = loading && !status;
  const { can } = useSession();
  return (
    <>
      <PageHeader title={dashboardPage.label} description={dashboardPage.description} permission={dashboardPage.permission}
        actions={
          updatedAt !== null && (
            <Text size="xs" c="dimmed" data-testid="dashboard-updated" style={{ whiteSpace: 'nowrap' }}>
              Updated {formatDateTime(updatedAt)}
            </Text>
          )
        }
      />
      <Stack gap="md">
        {error && <ErrorBanner title="Could not read the system status" error={error} stale={!!status} onRetry={refetch} />}
        {can('settings.configure') && <FirstRunCard />}
        {(status || waiting) && (
          <SimpleGrid cols={{ base: 1, sm: 2, lg: 3 }} spacing="md">
            <DatabaseCard database={status?.database} loading={waiting} />
            <ChainCard chain={status?.chain} health={status?.health} loading={waiting} />
            <OutboxCard outbox={status?.outbox} health={status?.health} loading={waiting} />
            {can('audit.view') && <BreakGlassCard />}
            {can('credentials.view') && <ExpiringCredentialsCard />}
          </SimpleGrid>
        )}
        <JobsCard />
      </Stack>
    </>
  );
}

export const dashboardPage: PageDefinition = {
  id: 'dashboard',
  label: 'Dashboard',
  description: 'Health of this workstation at a glance: the records database, the chain connection, events waiting to be sent, and background jobs.',
  section: 'Overview',
  icon: DashboardIcon,
  permission: 'status.read',
  Component: DashboardPage,
};
