// The frame of the screens before the console opens (set-up, sign-in, lock): the header and the status bar
// (public: database, chain, outbox, "Not signed in"), with one centred panel and no navigation.
import { AppShell, Badge, Box, Center, Group } from '@mantine/core';
import type { ReactElement, ReactNode } from 'react';
import classes from './AppFrame.module.css';
import { Brand } from './Brand';
import { StatusBar } from './StatusBar';
import { useSystemStatus } from './SystemStatusContext';

export function AuthFrame({ children }: { children: ReactNode }): ReactElement {
  const { status } = useSystemStatus();
  return (
    <AppShell header={{ height: 52 }} footer={{ height: 30 }} padding="md" withBorder>
      <AppShell.Header>
        <Group h="100%" px="md" justify="space-between" wrap="nowrap">
          <Brand />
          {status && (
            <Badge variant="outline" color="gray" size="sm" radius="sm" tt="none" data-testid="app-runtime" visibleFrom="xs">
              {status.app.runtime === 'electron' ? 'Desktop' : status.app.runtime === 'browser' ? 'Browser mode' : status.app.runtime} · v{status.app.version}
            </Badge>
          )}
        </Group>
      </AppShell.Header>
      <AppShell.Main className={classes.main}>
        <Center mih="calc(100dvh - 52px - 30px - 2 * var(--mantine-spacing-md))" py="lg">
          <Box w="100%" maw={460}>
            {children}
          </Box>
        </Center>
      </AppShell.Main>
      <AppShell.Footer className={classes.footer}>
        <StatusBar />
      </AppShell.Footer>
    </AppShell>
  );
}
