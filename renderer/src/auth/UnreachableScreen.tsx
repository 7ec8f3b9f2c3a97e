// auth.status could not be read: the service is down, or (browser mode) the link lacks its access token.
import { Button, Loader, Paper, Stack, Text, Title } from '@mantine/core';
import type { ReactElement } from 'react';
import type { ApiCallError } from '../api/client';
import { AuthError } from './AuthError';

export function CheckingScreen(): ReactElement {
  return (
    <Paper withBorder radius="md" p="lg" data-testid="auth-checking" aria-busy="true">
      <Stack align="center" gap="sm">
        <Loader size="sm" aria-hidden="true" />
        <Text size="sm">Checking who is signed in…</Text>
      </Stack>
    </Paper>
  );
}

export function UnreachableScreen({ error, onRetry }: { error: ApiCallError; onRetry: () => void }): ReactElement {
  return (
    <Paper withBorder radius="md" p="lg" component="section" aria-labelledby="unreachable-title" data-testid="auth-unreachable">
      <Stack gap="md">
        <Title order={1} fz="h3" id="unreachable-title" data-testid="page-title">
          Cannot open the console
        </Title>
        <AuthError error={error} title="Custodian did not answer" />
        <Text size="sm" c="dimmed">
          Nothing can be read or changed until Custodian answers.
        </Text>
        <Button variant="default" size="sm" onClick={onRetry} data-testid="auth-retry">
          Try again
        </Button>
      </Stack>
    </Paper>
  );
}
