// Says, before anyone tries, that the signed-in role cannot use this screen. Main enforces permissions
// on every call; this only explains why the screen will stay empty or refuse actions.
import { Alert, Code, Text } from '@mantine/core';
import type { ReactElement } from 'react';
import { ROLES, type Permission, type Role } from '../../../main/api/permissions';
import { roleAllows } from '../../../main/api/role-check';
import { humanizeRole } from '../components/format';
import { permissionLabel } from '../components/roles';

function isRole(role: string): role is Role {
  return (ROLES as readonly string[]).includes(role);
}

export function PermissionNotice({ role, permission }: { role: string; permission: Permission }): ReactElement | null {
  if (!isRole(role) || roleAllows(role, permission)) return null;
  return (
    <Alert color="gray" variant="light" mt="sm" py="xs" data-testid="permission-notice">
      <Text size="sm">
        <b>Not available to your role.</b> The {humanizeRole(role)} role does not include “{permissionLabel(permission).toLowerCase()}”{' '}
        <Code>{permission}</Code>. Ask an IT administrator if your work needs it.
      </Text>
    </Alert>
  );
}
