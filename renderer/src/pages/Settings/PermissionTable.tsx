// Settings → Roles: which role may do what, drawn from the same table main enforces (ROLE_PERMISSIONS), so the
// reference can never disagree with what actually happens.
import { Badge, Code, Paper, Stack, Table, Text, Title, VisuallyHidden } from '@mantine/core';
import { Fragment, type ReactElement } from 'react';
import { ROLE_LABELS, ROLE_PERMISSIONS, ROLES } from '../../../../main/api/permissions';
import { PERMISSION_GROUPS, PERMISSION_LABELS, ROLE_DESCRIPTIONS } from '../../components/roles';

function Allowed({ yes }: { yes: boolean }): ReactElement {
  return yes ? (
    <Badge color="teal" variant="light" size="sm" radius="sm">
      ✓ Yes
    </Badge>
  ) : (
    <Text span size="sm" c="dimmed">
      <span aria-hidden="true">—</span>
      <VisuallyHidden>No</VisuallyHidden>
    </Text>
  );
}

export function PermissionTable({ highlightRole }: { highlightRole?: string | undefined }): ReactElement {
  return (
    <Paper withBorder radius="md" p="md" component="section" aria-labelledby="permission-table-title" data-testid="permission-table">
      <Stack gap="xs" mb="sm">
        <Title order={2} fz="md" id="permission-table-title">
          Roles and what they allow
        </Title>
        <Text size="sm" c="dimmed" maw={900}>
          Every action in Custodian needs one permission, checked by the application for every request whatever the screen shows.
          This table is read from that same rule set.
        </Text>
      </Stack>
      <Table.ScrollContainer minWidth={820}>
        <Table withTableBorder withColumnBorders verticalSpacing={4} fz="sm" stickyHeader>
          <Table.Thead>
            <Table.Tr>
              <Table.Th w={340}>Permission</Table.Th>
              {ROLES.map((role) => (
                <Table.Th key={role} ta="center" bg={role === highlightRole ? 'var(--custodian-bg-highlight)' : undefined}>
                  {ROLE_LABELS[role]}
                  {role === highlightRole && <VisuallyHidden> (your role)</VisuallyHidden>}
                </Table.Th>
              ))}
            </Table.Tr>
          </Table.Thead>
          <Table.Tbody>
            {PERMISSION_GROUPS.map((group) => (
              <Fragment key={group.label}>
                <Table.Tr bg="var(--custodian-bg-subtle)">
                  <Table.Th colSpan={ROLES.length + 1} scope="colgroup">
                    <Text size="xs" fw={700} tt="uppercase" c="dimmed">
                      {group.label}
                    </Text>
                  </Table.Th>
                </Table.Tr>
                {group.permissions.map((permission) => (
                  <Table.Tr key={permission} data-permission={permission}>
                    <Table.Th scope="row" fw={400}>
                      {PERMISSION_LABELS[permission]} <Code fz="xs">{permission}</Code>
                    </Table.Th>
                    {ROLES.map((role) => (
                      <Table.Td key={role} ta="center" data-role={role} data-allowed={ROLE_PERMISSIONS[role].has(permission)}>
                        <Allowed yes={ROLE_PERMISSIONS[role].has(permission)} />
                      </Table.Td>
                    ))}
                  </Table.Tr>
                ))}
              </Fragment>
            ))}
          </Table.Tbody>
        </Table>
      </Table.ScrollContainer>
      <Stack gap={4} mt="md">
        {ROLES.map((role) => (
          <Text size="sm" key={role}>
            <b>{ROLE_LABELS[role]}</b> — {ROLE_DESCRIPTIONS[role]}
          </Text>
        ))}
      </Stack>
    </Paper>
  );
}
