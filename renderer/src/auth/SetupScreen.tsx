// First start of a new data folder: create the IT-administrator account that then creates everyone else's.
// Main allows this only while no account exists; it checks the fields again and names any it refuses.
import { Alert, Button, Paper, Stack, Text, TextInput, Title } from '@mantine/core';
import { useState, type FormEvent, type ReactElement } from 'react';
import { AuthError } from './AuthError';
import { PasswordFields } from './PasswordFields';
import { confirmProblem } from './passwordRules';
import { useSession } from './SessionContext';
import { useFieldForm } from './useFieldForm';

const FIELDS = ['username', 'displayName', 'password'] as const;

export function SetupScreen(): ReactElement {
  const { setup } = useSession();
  const [username, setUsername] = useState('');
  const [displayName, setDisplayName] = useState('');
  const [password, setPassword] = useState('');
  const [confirm, setConfirm] = useState('');
  const { errors, failure, pending, edit, submit: send } = useFieldForm('auth.setup', FIELDS);

  const submit = async (event: FormEvent): Promise<void> => {
    event.preventDefault();
    const local: Record<string, string> = {};
    if (!username.trim()) local.username = 'Enter a username.';
    if (!displayName.trim()) local.displayName = 'Enter the full name.';
    if (!password) local.password = 'Enter a password.';
    const mismatch = confirmProblem(password, confirm);
    if (mismatch) local.confirm = mismatch;
    await send(local, () => setup({ username: username.trim(), displayName: displayName.trim(), password }));
  };

  return (
    <Paper withBorder radius="md" p="lg" shadow="xs" component="section" aria-labelledby="setup-title" data-testid="setup-screen">
      <form onSubmit={(e) => void submit(e)} noValidate>
        <Stack gap="md">
          <div>
            <Title order={1} fz="h3" id="setup-title" data-testid="page-title">
              Set up Custodian
            </Title>
            <Text size="sm" c="dimmed" mt={4}>
              This data folder has no staff accounts yet. Create the first IT administrator; that account then creates the
              accounts of the records clerks, records managers and auditors who will use Custodian.
            </Text>
          </div>
          <TextInput
            label="Username"
            description="Used to sign in. Letters, digits, dot, dash and underscore; at least 3 characters."
            required
            autoComplete="username"
            autoFocus
            value={username}
            onChange={(e) => edit('username', setUsername)(e.currentTarget.value)}
            error={errors.username}
            data-testid="setup-username"
          />
          <TextInput
            label="Full name"
            description="Shown in the audit trail next to everything this account does."
            required
            autoComplete="name"
            value={displayName}
            onChange={(e) => edit('displayName', setDisplayName)(e.currentTarget.value)}
            error={errors.displayName}
            data-testid="setup-display-name"
          />
          <PasswordFields
            idPrefix="setup"
            password={password}
            confirm={confirm}
            onPassword={edit('password', setPassword)}
            onConfirm={edit('confirm', setConfirm)}
            passwordError={errors.password}
            confirmError={errors.confirm}
          />
          {failure && <AuthError error={failure} />}
          <Alert color="blue" variant="light" p="xs">
            <Text size="xs">
              The account gets the <b>IT administrator</b> role: it manages staff and the sync configuration, but cannot read
              the audit trail or patient records. Give those roles to the people who need them.
            </Text>
          </Alert>
          <Button type="submit" size="sm" loading={pending} data-testid="setup-submit">
            Create administrator and sign in
          </Button>
        </Stack>
      </form>
    </Paper>
  );
}
