// The colour scheme: the operating system's by default (a person who set dark mode there gets it here), with an
// override kept on this workstation's browser storage. Settings and the account menu offer the same control.
import { localStorageColorSchemeManager, SegmentedControl, useMantineColorScheme, type MantineColorScheme } from '@mantine/core';
import type { ReactElement } from 'react';

export const colorSchemeManager = localStorageColorSchemeManager({ key: 'custodian-color-scheme' });

const OPTIONS: { value: MantineColorScheme; label: string }[] = [
  { value: 'auto', label: 'Follow the system' },
  { value: 'light', label: 'Light' },
  { value: 'dark', label: 'Dark' },
];

export function ColorSchemeControl(): ReactElement {
  const { colorScheme, setColorScheme } = useMantineColorScheme();
  return (
    <SegmentedControl
      size="xs"
      aria-label="Colour scheme"
      value={colorScheme}
      onChange={(v) => setColorScheme(v as MantineColorScheme)}
      data={OPTIONS}
      data-testid="color-scheme"
    />
  );
}
