// Who is signed in, in the header, with the ways to leave (lock the console, sign out) and to change one's own password.
import { Box, Group, Menu, Modal, Text, UnstyledButton } from '@mantine/core';
import { useState, type ReactElement } from 'react';
import { ChangePasswordForm } from '../auth/ChangePasswordForm';
import { useSession } from '../auth/SessionContext';
import { humanizeRole } from '../components/format';
import { UserIcon } from '../components/icons';
import classes from './AppFrame.module.css';
import { ColorSchemeControl } from './Appearance';

function Chevron(): ReactElement {
  return (
    <svg width="12" height="12" viewBox="0 0 12 12" aria-hidden="true" focusable="false" fill="none" stroke="currentColor" strokeWidth="1.6">
      <path d="m3 4.5 3 3 3-3" strokeLinecap="round" strokeLinejoin="round" />
    </svg>
  );
}

export function UserMenu({ onShowShortcuts }: { onShowShortcuts: () => void }): ReactElement | null {
  const { principal, lock, signOut } = useSession();
  const [changing, setChanging] = useState(false);
  const [appearance, setAppearance] = useState(false);
  const [changed, setChanged] = useState(false);
  if (!principal) return null;
  return (
    <>
      <Modal opened={changing} onClose={() => setChanging(false)} title="Change your password" data-testid="change-password-dialog">
        <ChangePasswordForm
          idPrefix="change-password"
          onDone={() => {
            setChanging(false);
            setChanged(true);
          }}
        />
      </Modal>
      <Modal opened={appearance} onClose={() => setAppearance(false)} title="Appearance" closeButtonProps={{ 'aria-label': 'Close' }} data-testid="appearance-dialog">
        <Text size="sm" mb="xs">
          Colour scheme on this computer. “Follow the system” uses the light or dark setting of the operating system.
        </Text>
        <ColorSchemeControl />
      </Modal>
      {changed && (
        <Text size="xs" c="var(--custodian-text-success)" role="status" data-testid="password-changed">
          Password changed
        </Text>
      )}
      <Menu position="bottom-end" width={220} withinPortal shadow="md">
        <Menu.Target>
          <UnstyledButton className={classes.userButton} data-testid="user-menu" aria-label={`${principal.name}, ${humanizeRole(principal.role)}: account menu`}>
            <Group gap={8} wrap="nowrap">
              <Box ta="right">
                <Text size="sm" fw={600} lh={1.2} data-testid="header-principal">
                  {principal.name}
                </Text>
                <Text size="xs" c="dimmed" lh={1.2} data-testid="header-role">
                  {humanizeRole(principal.role)}
                </Text>
              </Box>
              <Chevron />
            </Group>
          </UnstyledButton>
        </Menu.Target>
        <Menu.Dropdown>
          {/* No Menu.Label: a role="menu" may hold menu items only (axe aria-required-children); the button names who is signed in. */}
          <Menu.Item onClick={() => setChanging(true)} data-testid="menu-change-password">
            Change password…
          </Menu.Item>
          <Menu.Item onClick={() => setAppearance(true)} data-testid="menu-appearance">
            Appearance…
          </Menu.Item>
          <Menu.Item onClick={onShowShortcuts} data-testid="menu-shortcuts" rightSection={<Text size="xs" c="dimmed">?</Text>}>
            Keyboard shortcuts
          </Menu.Item>
          <Menu.Item leftSection={<UserIcon size={14} />} onClick={() => lock('manual')} data-testid="menu-lock">
            Lock console
          </Menu.Item>
          <Menu.Item color="red.8" onClick={() => void signOut()} data-testid="menu-sign-out">
            Sign out
          </Menu.Item>
        </Menu.Dropdown>
      </Menu>
    </>
  );
}
