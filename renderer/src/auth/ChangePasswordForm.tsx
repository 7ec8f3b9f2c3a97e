// Changing one's own password: the current one, then a new one twice. Used by the screen a temporary password
// leads to (main allows nothing else until it is done) and by the account menu; main checks everything again.
import { Button, PasswordInput, Stack } from '@mantine/core';
import { useState, type FormEvent, type ReactElement } from 'react';
import { AuthError } from './AuthError';
import { PasswordFields } from './PasswordFields';
import { confirmProblem } from './passwordRules';
import { useSession } from './SessionContext';
import { useFieldForm } from './useFieldForm';

const FIELDS = ['currentPassword', 'newPassword'] as const;

export function ChangePasswordForm({ idPrefix, submitLabel = 'Change password', onDone }: { idPrefix: string; submitLabel?: string; onDone?: () => void }): ReactElement {
  const { changePassword } = useSession();
  const [current, setCurrent] = useState('');
  const [password, setPassword] = useState('');
  const [confirm, setConfirm] = useState('');
  const { errors, failure, pending, submit: send } = useFieldForm('auth.changePassword', FIELDS);

  const submit = async (event: FormEvent): Promise<void> => {
    event.preventDefault();
    const local: Record<string, string> = {};
    if (!current) local.currentPassword = 'Enter your current password.';
    if (!password) local.newPassword = 'Enter a new password.';
    const mismatch = confirmProblem(password, confirm);
    if (mismatch) local.confirm = mismatch;
    let done = false;
    await send(local, async () => {
      await changePassword(current, password);
      setCurrent('');
      setPassword('');
      setConfirm('');
      done = true;
    });
    if (done) onDone?.();
  };

  return (
    <form onSubmit={(e) => void submit(e)} noValidate data-testid={`${idPrefix}-form`}>
      <Stack gap="md">
        <PasswordInput
          label="Current password"
          required
          autoComplete="current-password"
          autoFocus
          value={current}
          onChange={(e) => setCurrent(e.currentTarget.value)}
          error={errors.currentPassword}
          aria-invalid={errors.currentPassword ? true : undefined}
          data-testid={`${idPrefix}-current`}
        />
        <PasswordFields
          idPrefix={idPrefix}
          label="New password"
          password={password}
          confirm={confirm}
          onPassword={setPassword}
          onConfirm={setConfirm}
          passwordError={errors.newPassword}
          confirmError={errors.confirm}
        />
        {failure && <AuthError error={failure} title="The password was not changed" />}
        <Button type="submit" size="sm" loading={pending} data-testid={`${idPrefix}-submit`}>
          {submitLabel}
        </Button>
      </Stack>
    </form>
  );
}
