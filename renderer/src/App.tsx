import { MantineProvider } from '@mantine/core';
import type { ReactElement } from 'react';
import { SessionProvider } from './auth/SessionContext';
import { colorSchemeManager } from './shell/Appearance';
import { ConsoleRoot } from './shell/ConsoleRoot';
import { SystemStatusProvider } from './shell/SystemStatusContext';
import { cssVariablesResolver, theme } from './theme';

export function App(): ReactElement {
  return (
    <MantineProvider theme={theme} cssVariablesResolver={cssVariablesResolver} defaultColorScheme="auto" colorSchemeManager={colorSchemeManager}>
      <SystemStatusProvider>
        <SessionProvider>
          <ConsoleRoot />
        </SessionProvider>
      </SystemStatusProvider>
    </MantineProvider>
  );
}
