import { MantineProvider } from '@mantine/core';
import type { ReactElement } from 'react';
import { AppFrame } from './shell/AppFrame';
import { SystemStatusProvider } from './shell/SystemStatusContext';
import { cssVariablesResolver, theme } from './theme';

export function App(): ReactElement {
  return (
    <MantineProvider theme={theme} cssVariablesResolver={cssVariablesResolver} forceColorScheme="light">
      <SystemStatusProvider>
        <AppFrame />
      </SystemStatusProvider>
    </MantineProvider>
  );
}
