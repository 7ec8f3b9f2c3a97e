// Settings → Staff: every staff account with its role and state, and what an IT administrator does with them —
// create, change role, reset password, unlock, disable or enable. Main checks staff.manage on every call.
import { Badge, Button, Code, Group, Menu, Paper, Skeleton, Stack, Table, Text, Title, VisuallyHidden } from '@mantine/core';
import { useState, type ReactElement } from 'react';
import type { StaffMember } from '../../../../main/api/auth';
import { ROLE_LABELS } from '../../../../main/api/permissions';
import { useApiQuery } from '../../api/hooks';
import { useSession } from '../../auth/SessionContext';
import { ErrorBanner } from '../../components/ErrorBanner';
import { formatCount, formatDateTime } from '../../components/format';
import { SuccessNotice } from '../../components/SuccessNotice';
import { ChangeRoleDialog, CreateStaffDialog, ResetPasswordDialog, ToggleStaffDialog, type StaffToggle } from './StaffDialogs';

function StateBadges({ member }: { member: StaffMember }): ReactElement {
  return (
    <Group gap={4} wrap="nowrap">
      {member.disabled && (
        <Badge color="gray" variant="filled" size="sm" data-testid="staff-badge-disabled">
          Disabled
        </Badge>
      )}
      {member.locked && (
        <Badge color="orange" variant="light" size="sm" data-testid="staff-badge-locked" title={member.lockedUntil ? `Locked until ${formatDateTime(member.lockedUntil)}` : undefined}>
          Locked{member.lockedUntil ? ` until ${formatDateTime(member.lockedUntil).slice(0, 16)}` : ''}
        </Badge>
      )}
      {!member.disabled && !member.locked && (
        <Badge color="teal" variant="light" size="sm" data-testid="staff-badge-active">
          Active
        </Badge>
      )}
    </Group>
  );
}

function RowActions({ member, self, onAction }: { member: StaffMember; self: boolean; onAction: (action: 'role' | 'password' | StaffToggle['action']) => void }): ReactElement {
  return (
    <Menu position="bottom-end" withinPortal shadow="md" width={220}>
      <Menu.Target>
        <Button size="compact-xs" variant="default" aria-label={`Manage ${member.username}`} data-testid={`staff-manage-${member.username}`}>
          Manage…
        </Button>
      </Menu.Target>
      <Menu.Dropdown>
        <Menu.Item onClick={() => onAction('role')} disabled={self} data-testid="staff-action-role">
          Change role…
        </Menu.Item>
        <Menu.Item onClick={() => onAction('password')} data-testid="staff-action-password">
          Reset password…
        </Menu.Item>
        {member.locked && (
          <Menu.Item onClick={() => onAction('unlock')} data-testid="staff-action-unlock">
            Unlock…
          </Menu.Item>
        )}
        <Menu.Divider />
        {member.disabled ? (
          <Menu.Item onClick={() => onAction('enable')} data-testid="staff-action-enable">
            Enable account…
          </Menu.Item>
        ) : (
          <Menu.Item color="red.8" onClick={() => onAction('disable')} disabled={self} data-testid="staff-action-disable">
            Disable account…
          </Menu.Item>
        )}
        {self && <Menu.Label>Your own role and account cannot be changed or disabled here.</Menu.Label>}
      </Menu.Dropdown>
    </Menu>
  );
}

export function StaffPanel(): ReactElement {
  const staff = useApiQuery('staff.list', {});
  const { principal } = useSession();
  const [creating, setCreating] = useState(false);
  const [roleOf, setRoleOf] = useState<StaffMember | null>(null);
  const [passwordOf, setPasswordOf] = useState<StaffMember | null>(null);
  const [toggle, setToggle] = useState<StaffToggle | null>(null);
  const [notice, setNotice] = useState<string | null>(null);
  const members = staff.data ?? [];

  const done = (message: string): void => {
    setNotice(message);
    staff.refetch();
  };

  return (
    <Paper withBorder radius="md" p="md" component="section" aria-labelledby="staff-title" data-testid="staff-panel">
      <Group justify="space-between" mb="sm" wrap="nowrap" align="flex-start">
        <Stack gap={2}>
          <Title order={2} fz="md" id="staff-title">
            Staff accounts
          </Title>
          <Text size="sm" c="dimmed">
            One account per person: the audit trail records every action under it. Disable an account when someone leaves rather than sharing it.
          </Text>
        </Stack>
        <Button size="sm" onClick={() => setCreating(true)} data-testid="staff-create">
          New staff account
        </Button>
      </Group>
      <Stack gap="sm">
        {notice && (
          <SuccessNotice onClose={() => setNotice(null)} testId="staff-feedback">
            {notice}
          </SuccessNotice>
        )}
        {staff.error && <ErrorBanner title="Could not load staff accounts" error={staff.error} stale={!!staff.data} onRetry={staff.refetch} />}
        {staff.loading && !staff.data && (
          <Stack gap={8} role="status" aria-busy="true" aria-label="Loading staff accounts">
            <Skeleton height={14} />
            <Skeleton height={14} />
            <Skeleton height={14} />
          </Stack>
        )}
        {staff.data && (
          <Table.ScrollContainer minWidth={760}>
            <Table striped highlightOnHover verticalSpacing={6} fz="sm" data-testid="staff-table">
              <Table.Thead>
                <Table.Tr>
                  <Table.Th>Username</Table.Th>
                  <Table.Th>Full name</Table.Th>
                  <Table.Th>Role</Table.Th>
                  <Table.Th>State</Table.Th>
                  <Table.Th>Created</Table.Th>
                  <Table.Th>
                    <VisuallyHidden>Actions</VisuallyHidden>
                  </Table.Th>
                </Table.Tr>
              </Table.Thead>
              <Table.Tbody>
                {members.map((m) => {
                  const self = m.id === principal?.id;
                  return (
                    <Table.Tr key={m.id} data-testid={`staff-row-${m.username}`} data-role={m.role} c={m.disabled ? 'gray.7' : undefined}>
                      <Table.Td>
                        <Code fz="xs">{m.username}</Code>
                      </Table.Td>
                      <Table.Td>
                        {m.displayName}
                        {self && (
                          <Badge ml={6} size="xs" variant="outline" color="gray">
                            You
                          </Badge>
                        )}
                      </Table.Td>
                      <Table.Td data-testid="staff-role-label">{ROLE_LABELS[m.role]}</Table.Td>
                      <Table.Td>
                        <StateBadges member={m} />
                      </Table.Td>
                      <Table.Td style={{ whiteSpace: 'nowrap' }}>{formatDateTime(m.createdAt)}</Table.Td>
                      <Table.Td>
                        <Group justify="flex-end">
                          <RowActions
                            member={m}
                            self={self}
                            onAction={(action) => {
                              setNotice(null);
                              if (action === 'role') setRoleOf(m);
                              else if (action === 'password') setPasswordOf(m);
                              else setToggle({ member: m, action });
                            }}
                          />
                        </Group>
                      </Table.Td>
                    </Table.Tr>
                  );
                })}
              </Table.Tbody>
            </Table>
          </Table.ScrollContainer>
        )}
        {staff.data && (
          <Text size="xs" c="dimmed">
            {formatCount(members.length)} {members.length === 1 ? 'account' : 'accounts'} · {formatCount(members.filter((m) => m.disabled).length)} disabled ·{' '}
            {formatCount(members.filter((m) => m.locked).length)} locked
          </Text>
        )}
      </Stack>

      <CreateStaffDialog
        opened={creating}
        onClose={() => setCreating(false)}
        onCreated={(m) => {
          setCreating(false);
          done(`Created ${m.username} (${m.displayName}) as ${ROLE_LABELS[m.role]}.`);
        }}
      />
      <ChangeRoleDialog
        member={roleOf}
        onClose={() => setRoleOf(null)}
        onDone={(m) => {
          setRoleOf(null);
          done(`${m.username} is now a ${ROLE_LABELS[m.role]}.`);
        }}
      />
      <ResetPasswordDialog
        member={passwordOf}
        onClose={() => setPasswordOf(null)}
        onDone={(m) => {
          setPasswordOf(null);
          done(`New password set for ${m.username}; they were signed out everywhere.`);
        }}
      />
      <ToggleStaffDialog
        toggle={toggle}
        onClose={() => setToggle(null)}
        onDone={(m, action) => {
          setToggle(null);
          done(`${m.username} ${action === 'disable' ? 'is disabled and was signed out' : action === 'enable' ? 'can sign in again' : 'is unlocked'}.`);
        }}
      />
    </Paper>
  );
}
