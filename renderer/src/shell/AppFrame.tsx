// The signed-in window's frame: header (title, mode, who is signed in and the account menu), the navigation the
// role may use, the current screen, status bar. A screen the role may not use shows why instead of its content.
import { Anchor, AppShell, Badge, Box, Burger, Group, ScrollArea, Text, UnstyledButton } from '@mantine/core';
import { useDisclosure } from '@mantine/hooks';
import { useCallback, useRef, useState, type ReactElement } from 'react';
import { useSession } from '../auth/SessionContext';
import { PageHeader } from '../components/PageHeader';
import { NotFoundPage } from '../pages/NotFound';
import { DEFAULT_PAGE_ID, PAGES } from '../pages/registry';
import type { PageDefinition } from '../pages/types';
import classes from './AppFrame.module.css';
import { Brand } from './Brand';
import { ShortcutsDialog, useKeyboardShortcuts } from './KeyboardShortcuts';
import { Navigation } from './Navigation';
import './print.css';
import { hrefFor, useRoute } from './router';
import { StatusBar } from './StatusBar';
import { useSystemStatus } from './SystemStatusContext';
import { UserMenu } from './UserMenu';

/** Reached by address or bookmark without the permission: the title and the notice, and no calls that main would refuse. */
function NotPermitted({ page }: { page: PageDefinition }): ReactElement {
  return (
    <>
      <PageHeader title={page.label} description={page.description} permission={page.permission} />
      <Text size="sm">
        Nothing on this screen is shown to your role. Go back to the <Anchor href={hrefFor(DEFAULT_PAGE_ID)}>Dashboard</Anchor>.
      </Text>
    </>
  );
}

export function AppFrame(): ReactElement {
  const [navOpened, nav] = useDisclosure(false);
  const route = useRoute();
  const activeId = route === '' ? DEFAULT_PAGE_ID : route;
  const page = PAGES.find((p) => p.id === activeId);
  const { status } = useSystemStatus();
  const { can } = useSession();
  const mainRef = useRef<HTMLElement>(null);
  const focusPageTitle = (): void => mainRef.current?.querySelector<HTMLElement>('h1')?.focus();
  const [shortcutsOpen, setShortcutsOpen] = useState(false);
  const openShortcuts = useCallback(() => setShortcutsOpen(true), []);
  useKeyboardShortcuts(openShortcuts);

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
            <Brand />
          </Group>
          <Group gap="sm" wrap="nowrap">
            {status && (
              <Badge variant="outline" color="gray" size="sm" radius="sm" tt="none" data-testid="app-runtime" visibleFrom="xs">
                {status.app.runtime === 'electron' ? 'Desktop' : status.app.runtime === 'browser' ? 'Browser mode' : status.app.runtime} · v{status.app.version}
              </Badge>
            )}
            <UserMenu onShowShortcuts={openShortcuts} />
          </Group>
        </Group>
      </AppShell.Header>

      <AppShell.Navbar p="xs">
        <AppShell.Section grow component={ScrollArea}>
          <Navigation
            pages={PAGES}
            activeId={activeId}
            allows={(p) => can(p.permission)}
            onNavigate={(id) => {
              nav.close();
              // Following the link of the page already shown changes nothing: still move focus to its title.
              if (id === activeId) focusPageTitle();
            }}
          />
        </AppShell.Section>
      </AppShell.Navbar>

      <AppShell.Main ref={mainRef} className={classes.main}>
        <Box maw={1400}>{page ? can(page.permission) ? <page.Component /> : <NotPermitted page={page} /> : <NotFoundPage route={route} />}</Box>
      </AppShell.Main>

      <ShortcutsDialog opened={shortcutsOpen} onClose={() => setShortcutsOpen(false)} />
      <AppShell.Footer className={classes.footer}>
        <StatusBar />
      </AppShell.Footer>
    </AppShell>
  );
}
