// The console locked (idle here or in main, the session ended in main, or locked by hand). The screen behind is
// cleared; its address is kept, so the password brings the same person back to the same place.
import { Anchor, Button, Group, Paper, PasswordInput, Stack, Text, TextInput, Title } from '@mantine/core';
import { useState, type FormEvent, type ReactElement } from 'react';
import { humanizeRole } from '../components/format';
import { AuthError } from './AuthError';
import { useSession, type LockReason } from './SessionContext';
import { usePasswordAttempt } from './usePasswordAttempt';

function reasonText(reason: LockReason, idleMinutes: number): string {
  switch (reason) {
    case 'idle':
      return `The console locked itself after ${idleMinutes} minutes without activity.`;
    case 'server-idle':
      return `Custodian locked this session after ${idleMinutes} minutes of inactivity.`;
    case 'ended':
      return 'Your session ended: you signed out in another window, or an IT administrator changed your account.';
    case 'manual':
      return 'You locked the console.';
  }
}

export function LockScreen({ returnTo }: { returnTo: string | null }): ReactElement | null {
  const { state, unlock, signOut } = useSession();
  const [password, setPassword] = useState('');
  const [typedUsername, setTypedUsername] = useState('');
  const [missing, setMissing] = useState<string | null>(null);
  const { failure, pending, passwordRef, attempt } = usePasswordAttempt(() => setPassword(''));
  if (state.kind !== 'locked') return null;
  const { principal, username, idleMinutes, reason } = state;

  const submit = async (event: FormEvent): Promise<void> => {
    event.preventDefault();
    if (!password || (!username && !typedUsername.trim())) {
      setMissing(!password ? 'Enter your password.' : 'Enter your username.');
      return;
    }
    setMissing(null);
    await attempt(() => unlock(password, username ?? typedUsername.trim()));
  };

  return (
    <Paper withBorder radius="md" p="lg" shadow="xs" component="section" aria-labelledby="lock-title" data-testid="lock-screen" data-reason={reason}>
      <form onSubmit={(e) => void submit(e)} noValidate>
        <Stack gap="md">
          <div>
            <Title order={1} fz="h3" id="lock-title" data-testid="page-title">
              Console locked
            </Title>
            <Text size="sm" mt={4} data-testid="lock-reason">
              {reasonText(reason, idleMinutes)}
            </Text>
          </div>
          <Paper bg="var(--custodian-bg-subtle)" p="sm" radius="sm">
            <Text size="sm">
              Locked for <b data-testid="lock-principal">{principal.name}</b> ({humanizeRole(principal.role)})
              {username && (
                <Text span size="sm" c="dimmed">
                  {' '}
                  · {username}
                </Text>
              )}
            </Text>
            {returnTo && (
              <Text size="xs" c="dimmed" mt={2}>
                Enter your password to return to <b>{returnTo}</b>.
              </Text>
            )}
          </Paper>
          {!username && (
            <TextInput
              label="Username"
              required
              autoComplete="username"
              value={typedUsername}
              onChange={(e) => setTypedUsername(e.currentTarget.value)}
              data-testid="lock-username"
            />
          )}
          <PasswordInput
            ref={passwordRef}
            label="Password"
            required
            autoFocus
            autoComplete="current-password"
            value={password}
            onChange={(e) => setPassword(e.currentTarget.value)}
            error={missing}
            aria-invalid={missing ? true : undefined}
            data-testid="lock-password"
          />
          {failure && <AuthError error={failure} />}
          <Group justify="space-between">
            <Anchor component="button" type="button" size="sm" onClick={() => void signOut()} data-testid="lock-sign-out">
              Sign out, or sign in as someone else
            </Anchor>
            <Button type="submit" size="sm" loading={pending} data-testid="lock-submit">
              Unlock
            </Button>
          </Group>
        </Stack>
      </form>
    </Paper>
  );
}
