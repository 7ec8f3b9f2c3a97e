// A dashboard card: icon, title, an optional badge on the right, then its body (or a skeleton while loading).
import { Group, Paper, Skeleton, Stack, Text, ThemeIcon } from '@mantine/core';
import type { ReactElement, ReactNode } from 'react';

export interface StatusCardProps {
  title: string;
  icon: ReactNode;
  badge?: ReactNode;
  loading?: boolean;
  children?: ReactNode;
  testId?: string;
}

export function StatusCard({ title, icon, badge, loading, children, testId }: StatusCardProps): ReactElement {
  const headingId = testId ? `${testId}-title` : undefined;
  return (
    <Paper component="section" withBorder radius="md" p="md" data-testid={testId} aria-labelledby={headingId} aria-busy={loading || undefined}>
      <Group justify="space-between" wrap="nowrap" mb="sm">
        <Group gap="xs" wrap="nowrap">
          <ThemeIcon variant="light" color="blue" size="md" radius="sm">
            {icon}
          </ThemeIcon>
          <Text component="h2" id={headingId} fw={600} size="sm" m={0}>
            {title}
          </Text>
        </Group>
        {!loading && badge}
      </Group>
      {loading ? (
        <Stack gap={8} role="status" aria-busy="true" aria-label={`Loading ${title.toLowerCase()}`}>
          <Skeleton height={10} width="70%" />
          <Skeleton height={10} width="45%" />
          <Skeleton height={10} width="60%" />
        </Stack>
      ) : (
        children
      )}
    </Paper>
  );
}
