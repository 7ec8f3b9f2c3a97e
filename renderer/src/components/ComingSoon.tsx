// Empty state for a capability whose issue has not landed yet: says what the screen will do, honestly.
import { List, Paper, Stack, Text, ThemeIcon, Title } from '@mantine/core';
import type { ReactElement, ReactNode } from 'react';

export interface ComingSoonProps {
  /** The capability, e.g. "Consent management". */
  capability: string;
  icon: ReactNode;
  /** What a person will be able to do here. */
  planned: string[];
}

export function ComingSoon({ capability, icon, planned }: ComingSoonProps): ReactElement {
  return (
    <Paper withBorder radius="md" p="xl" data-testid="coming-soon">
      <Stack align="center" gap="sm" maw={560} mx="auto" ta="center">
        <ThemeIcon size={44} radius="xl" variant="light" color="gray">
          {icon}
        </ThemeIcon>
        <Title order={2} fz="h4">
          Coming: {capability}
        </Title>
        <Text size="sm" c="dimmed">
          This capability arrives with its issue. Until then this screen is a placeholder: nothing here reads or changes
          records.
        </Text>
        <Stack gap={4} align="flex-start" ta="left" w="100%" mt="xs">
          <Text size="sm" fw={600}>
            What you will be able to do here
          </Text>
          <List size="sm" spacing={2}>
            {planned.map((item) => (
              <List.Item key={item}>{item}</List.Item>
            ))}
          </List>
        </Stack>
      </Stack>
    </Paper>
  );
}
