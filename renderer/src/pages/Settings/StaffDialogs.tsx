// The dialogs of Settings → Staff: new account, change role, reset password, and the confirmations for disabling,
// enabling and unlocking. Each sends one call; main checks it again and names any field it refuses.
import { Button, Group, List, Modal, NativeSelect, Stack, Text, TextInput } from '@mantine/core';
import { useState, type FormEvent, type ReactElement, type ReactNode } from 'react';
import type { StaffMember } from '../../../../main/api/auth';
import { ROLE_LABELS, ROLES, type Permission, type Role } from '../../../../main/api/permissions';
import { ApiCallError, invoke } from '../../api/client';
import { PasswordFields } from '../../auth/PasswordFields';
import { useFieldForm } from '../../auth/useFieldForm';
import { confirmProblem } from '../../auth/passwordRules';
import { ErrorBanner } from '../../components/ErrorBanner';
import { formatDateTime } from '../../components/format';
import { PERMISSION_LABELS, ROLE_DESCRIPTIONS, roleChange } from '../../components/roles';

const ROLE_OPTIONS = ROLES.map((role) => ({ value: role, label: ROLE_LABELS[role] }));

function asApiError(channel: 'staff.update', err: unknown): ApiCallError {
  return err instanceof ApiCallError ? err : new ApiCallError(channel, 'INTERNAL', String(err));
}

function DialogButtons({ pending, confirm, color, onCancel, testId }: { pending: boolean; confirm: string; color?: string; onCancel: () => void; testId: string }): ReactElement {
  return (
    <Group justify="flex-end" gap="sm" mt="xs">
      <Button variant="default" size="sm" onClick={onCancel} disabled={pending}>
        Cancel
      </Button>
      <Button type="submit" size="sm" color={color} loading={pending} data-testid={testId}>
        {confirm}
      </Button>
    </Group>
  );
}

export function CreateStaffDialog({ opened, onClose, onCreated }: { opened: boolean; onClose: () => void; onCreated: (member: StaffMember) => void }): ReactElement {
  const [username, setUsername] = useState('');
  const [displayName, setDisplayName] = useState('');
  const [role, setRole] = useState<Role>('records_clerk');
  const [password, setPassword] = useState('');
  const [confirm, setConfirm] = useState('');
  const { errors, failure, pending, edit, submit: send, clear } = useFieldForm('staff.create', ['username', 'displayName', 'role', 'password']);

  const reset = (): void => {
    setUsername('');
    setDisplayName('');
    setRole('records_clerk');
    setPassword('');
    setConfirm('');
    clear();
  };
  const close = (): void => {
    reset();
    onClose();
  };

  const submit = async (event: FormEvent): Promise<void> => {
    event.preventDefault();
    const local: Record<string, string> = {};
    if (!username.trim()) local.username = 'Enter a username.';
    if (!displayName.trim()) local.displayName = 'Enter the full name.';
    if (!password) local.password = 'Enter a password.';
    const mismatch = confirmProblem(password, confirm);
    if (mismatch) local.confirm = mismatch;
    await send(local, async () => {
      const member = await invoke('staff.create', { username: username.trim(), displayName: displayName.trim(), role, password });
      reset();
      onCreated(member);
    });
  };

  return (
    <Modal opened={opened} onClose={close} title="New staff account" size="lg" data-testid="create-staff-dialog">
      <form onSubmit={(e) => void submit(e)} noValidate>
        <Stack gap="sm">
          <Group grow align="flex-start">
            <TextInput
              label="Username"
              description="Letters, digits, dot, dash, underscore"
              required
              autoComplete="off"
              data-autofocus
              value={username}
              onChange={(e) => edit('username', setUsername)(e.currentTarget.value)}
              error={errors.username}
              data-testid="staff-username"
            />
            <TextInput
              label="Full name"
              description="As it should read in the audit trail"
              required
              autoComplete="off"
              value={displayName}
              onChange={(e) => edit('displayName', setDisplayName)(e.currentTarget.value)}
              error={errors.displayName}
              data-testid="staff-display-name"
            />
          </Group>
          <NativeSelect
            label="Role"
            required
            data={ROLE_OPTIONS}
            value={role}
            onChange={(e) => setRole(e.currentTarget.value as Role)}
            description={ROLE_DESCRIPTIONS[role]}
            error={errors.role}
            data-testid="staff-role"
          />
          <PasswordFields
            idPrefix="staff"
            label="Initial password"
            password={password}
            confirm={confirm}
            onPassword={edit('password', setPassword)}
            onConfirm={edit('confirm', setConfirm)}
            passwordError={errors.password}
            confirmError={errors.confirm}
          />
          <Text size="xs" c="dimmed">
            Give the password to the person directly, not by e-mail. They can be given a new one here at any time.
          </Text>
          {failure && <ErrorBanner title="The account was not created" error={failure} />}
          <DialogButtons pending={pending} confirm="Create account" onCancel={close} testId="staff-create-submit" />
        </Stack>
      </form>
    </Modal>
  );
}

export function ChangeRoleDialog({ member, onClose, onDone }: { member: StaffMember | null; onClose: () => void; onDone: (member: StaffMember) => void }): ReactElement {
  const [role, setRole] = useState<Role | null>(null);
  const [failure, setFailure] = useState<ApiCallError | null>(null);
  const [pending, setPending] = useState(false);
  const chosen = role ?? member?.role ?? 'records_clerk';
  const change = member ? roleChange(member.role, chosen) : { gains: [], loses: [] };
  const close = (): void => {
    setRole(null);
    setFailure(null);
    onClose();
  };

  const submit = async (event: FormEvent): Promise<void> => {
    event.preventDefault();
    if (!member || chosen === member.role) return close();
    setPending(true);
    setFailure(null);
    try {
      const updated = await invoke('staff.update', { id: member.id, role: chosen });
      setRole(null);
      onDone(updated);
    } catch (err) {
      setFailure(asApiError('staff.update', err));
    } finally {
      setPending(false);
    }
  };

  const list = (items: Permission[]): ReactNode => (
    <List size="sm" spacing={0}>
      {items.map((p) => (
        <List.Item key={p}>{PERMISSION_LABELS[p]}</List.Item>
      ))}
    </List>
  );

  return (
    <Modal opened={member !== null} onClose={close} title={member ? `Change the role of ${member.displayName}` : ''} size="lg" data-testid="change-role-dialog">
      {member && (
        <form onSubmit={(e) => void submit(e)} noValidate>
          <Stack gap="sm">
            <Text size="sm">
              <b>{member.username}</b> currently has the role <b>{ROLE_LABELS[member.role]}</b>. A change applies from their next action;
              they stay signed in.
            </Text>
            <NativeSelect
              label="New role"
              data={ROLE_OPTIONS}
              value={chosen}
              onChange={(e) => setRole(e.currentTarget.value as Role)}
              description={ROLE_DESCRIPTIONS[chosen]}
              data-autofocus
              data-testid="change-role-select"
            />
            {chosen !== member.role && (
              <Group grow align="flex-start">
                <div>
                  <Text size="sm" fw={600}>
                    Gains
                  </Text>
                  {change.gains.length ? list(change.gains) : <Text size="sm" c="dimmed">Nothing</Text>}
                </div>
                <div>
                  <Text size="sm" fw={600}>
                    Loses
                  </Text>
                  {change.loses.length ? list(change.loses) : <Text size="sm" c="dimmed">Nothing</Text>}
                </div>
              </Group>
            )}
            {failure && <ErrorBanner title="The role was not changed" error={failure} />}
            <DialogButtons pending={pending} confirm={chosen === member.role ? 'Close' : `Make ${ROLE_LABELS[chosen]}`} onCancel={close} testId="change-role-submit" />
          </Stack>
        </form>
      )}
    </Modal>
  );
}

export function ResetPasswordDialog({ member, onClose, onDone }: { member: StaffMember | null; onClose: () => void; onDone: (member: StaffMember) => void }): ReactElement {
  const [password, setPassword] = useState('');
  const [confirm, setConfirm] = useState('');
  const { errors, failure, pending, edit, submit: send, clear } = useFieldForm('staff.resetPassword', ['password']);

  const close = (): void => {
    setPassword('');
    setConfirm('');
    clear();
    onClose();
  };

  const submit = async (event: FormEvent): Promise<void> => {
    event.preventDefault();
    if (!member) return;
    const local: Record<string, string> = {};
    if (!password) local.password = 'Enter a password.';
    const mismatch = confirmProblem(password, confirm);
    if (mismatch) local.confirm = mismatch;
    await send(local, async () => {
      await invoke('staff.resetPassword', { id: member.id, password });
      setPassword('');
      setConfirm('');
      onDone(member);
    });
  };

  return (
    <Modal opened={member !== null} onClose={close} title={member ? `New password for ${member.displayName}` : ''} size="lg" data-testid="reset-password-dialog">
      {member && (
        <form onSubmit={(e) => void submit(e)} noValidate>
          <Stack gap="sm">
            <Text size="sm">
              Sets a new password for <b>{member.username}</b>, clears any lock and signs them out everywhere. Give them the new password in person.
            </Text>
            <PasswordFields
              idPrefix="reset"
              label="New password"
              password={password}
              confirm={confirm}
              onPassword={edit('password', setPassword)}
              onConfirm={edit('confirm', setConfirm)}
              passwordError={errors.password}
              confirmError={errors.confirm}
            />
            {failure && <ErrorBanner title="The password was not changed" error={failure} />}
            <DialogButtons pending={pending} confirm="Set new password" onCancel={close} testId="reset-password-submit" />
          </Stack>
        </form>
      )}
    </Modal>
  );
}

export type StaffToggle = { member: StaffMember; action: 'disable' | 'enable' | 'unlock' };

const TOGGLE_TEXT: Record<StaffToggle['action'], { title: string; confirm: string; color?: string; body: (m: StaffMember) => ReactNode }> = {
  disable: {
    title: 'Disable account',
    confirm: 'Disable account',
    color: 'red',
    body: (m) => (
      <>
        <b>{m.displayName}</b> ({m.username}) will be signed out at once and cannot sign in until the account is enabled again. Their entries in
        the audit trail stay as they are.
      </>
    ),
  },
  enable: {
    title: 'Enable account',
    confirm: 'Enable account',
    body: (m) => (
      <>
        <b>{m.displayName}</b> ({m.username}) will be able to sign in again with their current password, as a {ROLE_LABELS[m.role]}.
      </>
    ),
  },
  unlock: {
    title: 'Unlock account',
    confirm: 'Unlock account',
    body: (m) => (
      <>
        <b>{m.displayName}</b> ({m.username}) is locked after repeated wrong passwords
        {m.lockedUntil ? ` until ${formatDateTime(m.lockedUntil)}` : ''}. Unlock only once you know it was them: repeated failures can also be
        someone guessing.
      </>
    ),
  },
};

export function ToggleStaffDialog({ toggle, onClose, onDone }: { toggle: StaffToggle | null; onClose: () => void; onDone: (member: StaffMember, action: StaffToggle['action']) => void }): ReactElement {
  const [failure, setFailure] = useState<ApiCallError | null>(null);
  const [pending, setPending] = useState(false);
  const text = toggle ? TOGGLE_TEXT[toggle.action] : null;
  const close = (): void => {
    setFailure(null);
    onClose();
  };

  const submit = async (event: FormEvent): Promise<void> => {
    event.preventDefault();
    if (!toggle) return;
    setPending(true);
    setFailure(null);
    try {
      const { member, action } = toggle;
      const updated = await invoke('staff.update', action === 'unlock' ? { id: member.id, unlock: true } : { id: member.id, disabled: action === 'disable' });
      onDone(updated, action);
    } catch (err) {
      setFailure(asApiError('staff.update', err));
    } finally {
      setPending(false);
    }
  };

  return (
    <Modal opened={toggle !== null} onClose={close} title={text?.title ?? ''} data-testid="toggle-staff-dialog">
      {toggle && text && (
        <form onSubmit={(e) => void submit(e)} noValidate>
          <Stack gap="sm">
            <Text size="sm">{text.body(toggle.member)}</Text>
            {failure && <ErrorBanner title={`Could not ${toggle.action} the account`} error={failure} />}
            <DialogButtons pending={pending} confirm={text.confirm} {...(text.color ? { color: text.color } : {})} onCancel={close} testId="toggle-staff-submit" />
          </Stack>
        </form>
      )}
    </Modal>
  );
}
