// The product mark and name in the header of every screen, signed in or not.
import { Group, Stack, Text } from '@mantine/core';
import type { ReactElement } from 'react';

function LogoMark(): ReactElement {
  return (
    <svg width="28" height="28" viewBox="0 0 28 28" aria-hidden="true" focusable="false">
      <rect width="28" height="28" rx="6" fill="var(--mantine-color-blue-8)" />
      <path d="M14 5.5 7.5 8v5.2c0 4 2.8 7.4 6.5 8.3 3.7-.9 6.5-4.3 6.5-8.3V8z" fill="none" stroke="#fff" strokeWidth="1.8" strokeLinejoin="round" />
      <path d="m11 13.6 2.2 2.2 4-4.2" fill="none" stroke="#fff" strokeWidth="1.8" strokeLinecap="round" strokeLinejoin="round" />
    </svg>
  );
}

export function Brand(): ReactElement {
  return (
    <Group gap="sm" wrap="nowrap">
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
  );
}
