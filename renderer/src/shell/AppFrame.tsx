// The window's frame: header (title, mode, who is signed in), navigation, the current screen, status bar.
import { AppShell, Badge, Box, Burger, Group, ScrollArea, Stack, Text, UnstyledButton } from '@mantine/core';
import { useDisclosure } from '@mantine/hooks';
import { useRef, type ReactElement } from 'react';
import { humanizeRole } from '../components/format';
import { NotFoundPage } from '../pages/NotFound';
import { DEFAULT_PAGE_ID, PAGES } from '../pages/registry';
import classes from './AppFrame.module.css';
import { Navigation } from './Navigation';
import { useRoute } from './router';
import { SessionNotice } from './SessionNotice';
import { StatusBar } from './StatusBar';
import { useSystemStatus } from './SystemStatusContext';

function LogoMark(): ReactElement {
  return (
    <svg width="28" height="28" viewBox="0 0 28 28" aria-hidden="true" focusable="false">
      <rect width="28" height="28" rx="6" fill="var(--mantine-color-blue-8)" />
      <path d="M14 5.5 7.5 8v5.2c0 4 2.8 7.4 6.5 8.3 3.7-.9 6.5-4.3 6.5-8.3V8z" fill="none" stroke="#fff" strokeWidth="1.8" strokeLinejoin="round" />
      <path d="m11 13.6 2.2 2.2 4-4.2" fill="none" stroke="#fff" strokeWidth="1.8" strokeLinecap="round" strokeLinejoin="round" />
    </svg>
  );
}

export function AppFrame(): ReactElement {
  const [navOpened, nav] = useDisclosure(false);
  const route = useRoute();
  const activeId = route === '' ? DEFAULT_PAGE_ID : route;
  const page = PAGES.find((p) => p.id === activeId);
  const { status, error } = useSystemStatus();
  const mainRef = useRef<HTMLElement>(null);
  const focusPageTitle = (): void => mainRef.current?.querySelector<HTMLElement>('h1')?.focus();

  return (
    <AppShell
      header={{ height: 52 }}
      navbar={{ width: 216, breakpoint: 'sm', collapsed: { mobile: !navOpened } }}
      footer={{ height: 30 }}
      padding="md"
      withBorder
    >
      <UnstyledButton className={classes.skipLink} onClick={focusPageTitle}>
        Skip to main content
      </UnstyledButton>
      <AppShell.Header>
        <Group h="100%" px="md" justify="space-between" wrap="nowrap">
          <Group gap="sm" wrap="nowrap">
            <Burger opened={navOpened} onClick={nav.toggle} hiddenFrom="sm" size="sm" aria-label={navOpened ? 'Close navigation' : 'Open navigation'} />
            <LogoMark />
            <Stack gap={0}>
              <Text fz={17} fw={700} lh={1.15} data-testid="app-title">
                Custodian
              </Text>
              <Text size="xs" c="dimmed" lh={1.2}>
                Records console
              </Text>
            </Stack>
          </Group>
          {status && (
            <Group gap="sm" wrap="nowrap" visibleFrom="xs">
              <Badge variant="outline" color="gray" size="sm" radius="sm" tt="none" data-testid="app-runtime">
                {status.app.runtime === 'electron' ? 'Desktop' : status.app.runtime === 'browser' ? 'Browser mode' : status.app.runtime} · v{status.app.version}
              </Badge>
              <Box ta="right">
                <Text size="sm" fw={600} lh={1.2}>
                  {status.principal.name}
                </Text>
                <Text size="xs" c="dimmed" lh={1.2}>
                  {humanizeRole(status.principal.role)}
                </Text>
              </Box>
            </Group>
          )}
        </Group>
      </AppShell.Header>

      <AppShell.Navbar p="xs">
        <AppShell.Section grow component={ScrollArea}>
          <Navigation
            pages={PAGES}
            activeId={activeId}
            onNavigate={(id) => {
              nav.close();
              // Following the link of the page already shown changes nothing: still move focus to its title.
              if (id === activeId) focusPageTitle();
            }}
          />
        </AppShell.Section>
      </AppShell.Navbar>

      <AppShell.Main ref={mainRef} className={classes.main}>
        <Box maw={1400}>
          {error?.code === 'NOT_AUTHENTICATED' && <SessionNotice />}
          {page ? <page.Component /> : <NotFoundPage route={route} />}
        </Box>
      </AppShell.Main>

      <AppShell.Footer className={classes.footer}>
        <StatusBar />
      </AppShell.Footer>
    </AppShell>
  );
}
