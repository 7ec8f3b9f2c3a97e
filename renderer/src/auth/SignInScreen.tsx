// Sign-in with a staff account. Main throttles failures by source (never locking the account), and this screen
// then says how long to wait.
import { Alert, Button, Paper, PasswordInput, Stack, Text, TextInput, Title } from '@mantine/core';
import { useState, type FormEvent, type ReactElement } from 'react';
import { AuthError } from './AuthError';
import { useSession } from './SessionContext';
import { usePasswordAttempt } from './usePasswordAttempt';

export function SignInScreen({ notice }: { notice: string | null }): ReactElement {
  const { signIn } = useSession();
  const [username, setUsername] = useState('');
  const [password, setPassword] = useState('');
  const [errors, setErrors] = useState<{ username?: string; password?: string }>({});
  const { failure, pending, passwordRef, attempt } = usePasswordAttempt(() => setPassword(''));

  const submit = async (event: FormEvent): Promise<void> => {
    event.preventDefault();
    const local: typeof errors = {};
    if (!username.trim()) local.username = 'Enter your username.';
    if (!password) local.password = 'Enter your password.';
    setErrors(local);
    if (local.username || local.password) return;
    await attempt(() => signIn(username.trim(), password));
  };

  return (
    <Paper withBorder radius="md" p="lg" shadow="xs" component="section" aria-labelledby="sign-in-title" data-testid="sign-in-screen">
      <form onSubmit={(e) => void submit(e)} noValidate>
        <Stack gap="md">
          <div>
            <Title order={1} fz="h3" id="sign-in-title" data-testid="page-title">
              Sign in
            </Title>
            <Text size="sm" c="dimmed" mt={4}>
              Use your own Custodian staff account. Everything you do is recorded in the audit trail under your name.
            </Text>
          </div>
          {notice && !failure && (
            <Alert color="gray" variant="light" p="xs" data-testid="sign-in-notice">
              <Text size="sm">{notice}</Text>
            </Alert>
          )}
          <TextInput
            label="Username"
            required
            autoComplete="username"
            autoFocus
            value={username}
            onChange={(e) => setUsername(e.currentTarget.value)}
            error={errors.username}
            data-testid="sign-in-username"
          />
          <PasswordInput
            ref={passwordRef}
            label="Password"
            required
            autoComplete="current-password"
            value={password}
            onChange={(e) => setPassword(e.currentTarget.value)}
            error={errors.password}
            aria-invalid={errors.password ? true : undefined}
            data-testid="sign-in-password"
          />
          {failure && <AuthError error={failure} />}
          <Button type="submit" size="sm" loading={pending} data-testid="sign-in-submit">
            Sign in
          </Button>
          <Text size="xs" c="dimmed">
            No account, or forgot the password? An IT administrator creates accounts and resets passwords in Settings → Staff.
          </Text>
        </Stack>
      </form>
    </Paper>
  );
}
