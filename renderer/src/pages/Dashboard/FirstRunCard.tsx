// The IT administrator's set-up list for a new data folder; main ticks each item from the folder's real state
// (system.firstRun), so the card disappears by itself once everything is done.
import { Badge, List, Text, ThemeIcon } from '@mantine/core';
import type { ReactElement } from 'react';
import { useApiQuery } from '../../api/hooks';
import { ErrorBanner } from '../../components/ErrorBanner';
import { StatusCard } from '../../components/StatusCard';
import { SettingsIcon } from '../../components/icons';

function Tick({ done }: { done: boolean }): ReactElement {
  return (
    <ThemeIcon size={18} radius="xl" variant={done ? 'filled' : 'outline'} color={done ? 'teal.8' : 'gray.7'} aria-hidden>
      <svg width="10" height="10" viewBox="0 0 12 12" fill="none" stroke="currentColor" strokeWidth="2">
        {done && <path d="m2.5 6.5 2.5 2.5 4.5-5" strokeLinecap="round" strokeLinejoin="round" />}
      </svg>
    </ThemeIcon>
  );
}

export function FirstRunCard(): ReactElement | null {
  const { data, error, loading, refetch } = useApiQuery('system.firstRun', {}, { refreshMs: 10_000 });
  if (data?.complete) return null;
  const left = data ? data.items.filter((i) => !i.done).length : 0;
  return (
    <StatusCard
      title="Setting up this data folder"
      icon={<SettingsIcon size={16} />}
      loading={loading && !data}
      testId="card-first-run"
      badge={data && <Badge variant="light" color="blue" size="sm">{`${data.items.length - left} of ${data.items.length} done`}</Badge>}
    >
      {error && <ErrorBanner title="Could not read the set-up state" error={error} onRetry={refetch} />}
      {data && (
        <List spacing="xs" size="sm" listStyleType="none" data-testid="first-run-items">
          {data.items.map((item) => (
            <List.Item key={item.id} icon={<Tick done={item.done} />} data-testid={`first-run-${item.id}`} data-done={item.done}>
              <Text size="sm" fw={600} span>
                {item.title}
                <Text span size="sm" fw={400}>
                  {item.done ? ' (done)' : ' (to do)'}
                </Text>
              </Text>
              <Text size="xs" c="dimmed">
                {item.detail}
              </Text>
            </List.Item>
          ))}
        </List>
      )}
    </StatusCard>
  );
}
