// Shown for an address that names no screen (a stale bookmark): says so and offers the way back.
import { Anchor, Paper, Text } from '@mantine/core';
import type { ReactElement } from 'react';
import { PageHeader } from '../components/PageHeader';
import { hrefFor } from '../shell/router';

export function NotFoundPage({ route }: { route: string }): ReactElement {
  return (
    <>
      <PageHeader title="Page not found" description={`There is no screen called “${route}”.`} />
      <Paper withBorder p="md" radius="md">
        <Text size="sm">
          Go to the <Anchor href={hrefFor('dashboard')}>Dashboard</Anchor>.
        </Text>
      </Paper>
    </>
  );
}
