// A new password and its confirmation, with the rules ticked off as they are met. Shared by set-up, new
// account and password reset.
import { Box, List, PasswordInput, Stack, Text, ThemeIcon, VisuallyHidden } from '@mantine/core';
import type { ReactElement } from 'react';
import { PASSWORD_ADVICE, passwordChecks } from './passwordRules';

function Tick({ met }: { met: boolean }): ReactElement {
  return (
    <ThemeIcon size={16} radius="xl" variant={met ? 'filled' : 'light'} color={met ? 'teal.8' : 'gray'} aria-hidden="true">
      <svg width="10" height="10" viewBox="0 0 10 10" fill="none" stroke="currentColor" strokeWidth="1.8" strokeLinecap="round" strokeLinejoin="round">
        {met ? <path d="m2 5.2 2 2 4-4.4" /> : <path d="M2.5 5h5" />}
      </svg>
    </ThemeIcon>
  );
}

export interface PasswordFieldsProps {
  password: string;
  confirm: string;
  onPassword: (value: string) => void;
  onConfirm: (value: string) => void;
  passwordError?: string | undefined;
  confirmError?: string | undefined;
  /** "Password" or "New password". */
  label?: string;
  idPrefix: string;
}

export function PasswordFields({ password, confirm, onPassword, onConfirm, passwordError, confirmError, label = 'Password', idPrefix }: PasswordFieldsProps): ReactElement {
  const rulesId = `${idPrefix}-password-rules`;
  const checks = passwordChecks(password);
  return (
    <Stack gap="sm">
      <PasswordInput
        id={`${idPrefix}-password`}
        label={label}
        required
        autoComplete="new-password"
        value={password}
        onChange={(e) => onPassword(e.currentTarget.value)}
        error={passwordError}
        // Mantine's PasswordInput marks an error with data-invalid only; screen readers need aria-invalid.
        aria-invalid={passwordError ? true : undefined}
        data-testid={`${idPrefix}-password`}
      />
      <Box id={rulesId} data-testid={`${idPrefix}-password-rules`}>
        <Text size="xs" fw={600} mb={2}>
          Password rules
        </Text>
        <List size="xs" spacing={2} listStyleType="none">
          {checks.map((c) => (
            <List.Item key={c.id} icon={<Tick met={c.met} />} data-met={c.met}>
              {c.label}
              <VisuallyHidden>{c.met ? ' — met' : ' — not met yet'}</VisuallyHidden>
            </List.Item>
          ))}
        </List>
        <Text size="xs" c="dimmed" mt={4}>
          {PASSWORD_ADVICE}
        </Text>
      </Box>
      <PasswordInput
        id={`${idPrefix}-confirm`}
        label={`Confirm ${label.toLowerCase()}`}
        required
        autoComplete="new-password"
        value={confirm}
        onChange={(e) => onConfirm(e.currentTarget.value)}
        error={confirmError}
        aria-invalid={confirmError ? true : undefined}
        data-testid={`${idPrefix}-confirm`}
      />
    </Stack>
  );
}
