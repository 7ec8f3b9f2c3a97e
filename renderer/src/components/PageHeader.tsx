// Title and one-line purpose of a screen. The title takes focus after navigation so keyboard and
// screen-reader users land on the new page rather than at the top of the navigation.
import { Box, Group, Stack, Text, Title } from '@mantine/core';
import { useEffect, useRef, type ReactElement, type ReactNode } from 'react';
import type { Permission } from '../../../main/api/permissions';
import { PermissionNotice } from '../shell/PermissionNotice';
import { useOptionalSession } from '../auth/SessionContext';
import { useSystemStatus } from '../shell/SystemStatusContext';

export interface PageHeaderProps {
  title: string;
  description: ReactNode;
  actions?: ReactNode;
  /** The permission the screen needs: a role without it sees a notice under the title. */
  permission?: Permission;
}

export function PageHeader({ title, description, actions, permission }: PageHeaderProps): ReactElement {
  const ref = useRef<HTMLHeadingElement>(null);
  const { status } = useSystemStatus();
  // The session knows the role at once; the status poll may lag a sign-in by a moment.
  const role = useOptionalSession()?.principal?.role ?? status?.principal.role;
  useEffect(() => {
    document.title = `${title} · Custodian`;
    ref.current?.focus({ preventScroll: true });
  }, [title]);
  return (
    <Box mb="md">
      <Group justify="space-between" align="flex-start" wrap="nowrap">
        <Stack gap={2}>
          <Title order={1} fz="h3" ref={ref} tabIndex={-1} data-testid="page-title" style={{ outline: 'none' }}>
            {title}
          </Title>
          <Text size="sm" c="dimmed" maw={760}>
            {description}
          </Text>
        </Stack>
        {actions}
      </Group>
      {permission && role && <PermissionNotice role={role} permission={permission} />}
    </Box>
  );
}
