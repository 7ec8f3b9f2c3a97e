import { MantineProvider } from '@mantine/core';
import type { ReactElement } from 'react';
import { SessionProvider } from './auth/SessionContext';
import { ConsoleRoot } from './shell/ConsoleRoot';
import { SystemStatusProvider } from './shell/SystemStatusContext';
import { cssVariablesResolver, theme } from './theme';

export function App(): ReactElement {
  return (
    <MantineProvider theme={theme} cssVariablesResolver={cssVariablesResolver} forceColorScheme="light">
      <SystemStatusProvider>
        <SessionProvider>
          <ConsoleRoot />
        </SessionProvider>
      </SystemStatusProvider>
    </MantineProvider>
  );
}
