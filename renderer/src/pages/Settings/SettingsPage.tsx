// Settings: this workstation's configuration (read-only), staff accounts (IT administrators), your own password, and the table of
// roles and permissions. Each tab has its own address (#/settings/staff, #/settings/roles).
import { Box, Stack, Tabs, Text } from '@mantine/core';
import { useState, type ReactElement } from 'react';
import { ChangePasswordForm } from '../../auth/ChangePasswordForm';
import { useSession } from '../../auth/SessionContext';
import { SettingsIcon } from '../../components/icons';
import { PageHeader } from '../../components/PageHeader';
import { ColorSchemeControl } from '../../shell/Appearance';
import { navigate, useLocation } from '../../shell/router';
import type { PageDefinition } from '../types';
import { PermissionTable } from './PermissionTable';
import { SigningKeyPanel } from './SigningKeyPanel';
import { StaffPanel } from './StaffPanel';
import { WorkstationPanel } from './WorkstationPanel';

type Tab = 'workstation' | 'staff' | 'roles' | 'password' | 'appearance';
const TABS: readonly Tab[] = ['workstation', 'staff', 'roles', 'password', 'appearance'];

function SettingsPage(): ReactElement {
  const { sub } = useLocation();
  const { can, principal } = useSession();
  const tab: Tab = (TABS as readonly string[]).includes(sub) ? (sub as Tab) : 'workstation';
  const staffAllowed = can('staff.manage');
  const [passwordChanged, setPasswordChanged] = useState(false);

  return (
    <>
      <PageHeader
        title={settingsPage.label}
        description={settingsPage.description}
        permission={tab === 'staff' ? 'staff.manage' : settingsPage.permission}
      />
      <Tabs
        value={tab}
        onChange={(value) => navigate('settings', value === 'workstation' || !value ? undefined : value)}
        keepMounted={false}
        variant="outline"
      >
        <Tabs.List mb="md">
          <Tabs.Tab value="workstation" data-testid="settings-tab-workstation">
            Workstation
          </Tabs.Tab>
          {(staffAllowed || tab === 'staff') && (
            <Tabs.Tab value="staff" data-testid="settings-tab-staff" disabled={!staffAllowed}>
              Staff accounts
            </Tabs.Tab>
          )}
          <Tabs.Tab value="roles" data-testid="settings-tab-roles">
            Roles and permissions
          </Tabs.Tab>
          <Tabs.Tab value="password" data-testid="settings-tab-password">
            Your password
          </Tabs.Tab>
          <Tabs.Tab value="appearance" data-testid="settings-tab-appearance">
            Appearance
          </Tabs.Tab>
        </Tabs.List>
        <Tabs.Panel value="workstation">
          <WorkstationPanel />
          {can('sync.configure') && (
            <Box mt="md">
              <SigningKeyPanel />
            </Box>
          )}
        </Tabs.Panel>
        <Tabs.Panel value="staff">{staffAllowed ? <StaffPanel /> : null}</Tabs.Panel>
        <Tabs.Panel value="password">
          <Box maw={480}>
            {passwordChanged && (
              <Text size="sm" c="var(--custodian-text-success)" role="status" mb="sm" data-testid="settings-password-changed">
                Your password was changed; your other sessions were signed out.
              </Text>
            )}
            <ChangePasswordForm idPrefix="settings-password" onDone={() => setPasswordChanged(true)} />
          </Box>
        </Tabs.Panel>
        <Tabs.Panel value="appearance">
          <Stack gap="xs" maw={560}>
            <Text size="sm">Colour scheme on this computer. “Follow the system” uses the light or dark setting of the operating system.</Text>
            <ColorSchemeControl />
          </Stack>
        </Tabs.Panel>
        <Tabs.Panel value="roles">
          <PermissionTable highlightRole={principal?.role} />
        </Tabs.Panel>
      </Tabs>
    </>
  );
}

export const settingsPage: PageDefinition = {
  id: 'settings',
  label: 'Settings',
  description: 'This workstation’s chain, database and signer; staff accounts and what each role may do.',
  section: 'Administration',
  icon: SettingsIcon,
  permission: 'settings.view',
  Component: SettingsPage,
};
