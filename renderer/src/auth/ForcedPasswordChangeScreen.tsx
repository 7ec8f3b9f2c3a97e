// After an IT administrator created this account or reset its password: main refuses every other call until the
// person picks a password only they know, so the administrator who typed the temporary one cannot use the account.
import { Button, Paper, Stack, Text, Title } from '@mantine/core';
import type { ReactElement } from 'react';
import { ChangePasswordForm } from './ChangePasswordForm';
import { useSession } from './SessionContext';

export function ForcedPasswordChangeScreen(): ReactElement {
  const { principal, signOut } = useSession();
  return (
    <Paper withBorder radius="md" p="lg" shadow="xs" component="section" aria-labelledby="forced-change-title" data-testid="forced-password-change">
      <Stack gap="md">
        <div>
          <Title order={1} fz="h3" id="forced-change-title" data-testid="page-title">
            Choose your own password
          </Title>
          <Text size="sm" c="dimmed" mt={4}>
            {principal?.name ?? 'This account'} was given a temporary password by an IT administrator. Replace it with one only
            you know before you continue; the temporary password then stops working.
          </Text>
        </div>
        <ChangePasswordForm idPrefix="forced-change" submitLabel="Save password and continue" />
        <Button variant="subtle" size="xs" onClick={() => void signOut()} data-testid="forced-change-sign-out">
          Sign out instead
        </Button>
      </Stack>
    </Paper>
  );
}
