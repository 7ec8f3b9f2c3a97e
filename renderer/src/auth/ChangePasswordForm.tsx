// Changing one's own password: the current one, then a new one twice. Used by the screen a temporary password
// leads to (main allows nothing else until it is done) and by the account menu; main checks everything again.
import { Button, PasswordInput, Stack } from '@mantine/core';
import { useState, type FormEvent, type ReactElement } from 'react';
import { ApiCallError } from '../api/client';
import { AuthError } from './AuthError';
import { fieldErrors } from './fieldErrors';
import { PasswordFields } from './PasswordFields';
import { confirmProblem } from './passwordRules';
import { useSession } from './SessionContext';

const FIELDS = ['currentPassword', 'newPassword'] as const;

export function ChangePasswordForm({ idPrefix, submitLabel = 'Change password', onDone }: { idPrefix: string; submitLabel?: string; onDone?: () => void }): ReactElement {
  const { changePassword } = useSession();
  const [current, setCurrent] = useState('');
  const [password, setPassword] = useState('');
  const [confirm, setConfirm] = useState('');
  const [errors, setErrors] = useState<Record<string, string>>({});
  const [failure, setFailure] = useState<ApiCallError | null>(null);
  const [pending, setPending] = useState(false);

  const submit = async (event: FormEvent): Promise<void> => {
    event.preventDefault();
    const local: Record<string, string> = {};
    if (!current) local.currentPassword = 'Enter your current password.';
    if (!password) local.newPassword = 'Enter a new password.';
    const mismatch = confirmProblem(password, confirm);
    if (mismatch) local.confirm = mismatch;
    setErrors(local);
    setFailure(null);
    if (Object.keys(local).length > 0) return;
    setPending(true);
    try {
      await changePassword(current, password);
      setCurrent('');
      setPassword('');
      setConfirm('');
      setPending(false);
      onDone?.();
    } catch (err) {
      const error = err instanceof ApiCallError ? err : new ApiCallError('auth.changePassword', 'INTERNAL', String(err));
      const { byField, unplaced } = fieldErrors(error.details, FIELDS);
      setErrors(byField);
      if (Object.keys(byField).length === 0 || unplaced.length > 0) setFailure(error);
      setPending(false);
    }
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
