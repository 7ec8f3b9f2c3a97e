// Account alerts for the auditor: an IT administrator created an account that sees patients, gave an account such
// a role, or reset the password of such an account or of another administrator (main/staff/alerts.ts). Shown
// above the trail whenever there are any, so a self-made clinical account cannot pass unnoticed.
import { Alert, Table, Text } from '@mantine/core';
import type { ReactElement } from 'react';
import type { StaffAlert } from '../../../../main/api/auth';
import { useApiQuery } from '../../api/hooks';
import { ErrorBanner } from '../../components/ErrorBanner';
import { formatDateTime, humanizeRole } from '../../components/format';

const KIND_LABELS: Record<StaffAlert['kind'], string> = {
  'clinical-account-created': 'Created an account with patient access',
  'clinical-role-granted': 'Gave an account a role with patient access',
  'password-reset': 'Reset the password of a clinical or administrator account',
};

export function StaffAlertsPanel(): ReactElement | null {
  const alerts = useApiQuery('staff.alerts', {});
  if (alerts.error) return <ErrorBanner title="Could not load account alerts" error={alerts.error} stale={!!alerts.data} onRetry={alerts.refetch} />;
  const rows = alerts.data ?? [];
  if (rows.length === 0) return null;
  return (
    <Alert color="orange" variant="light" title={`Account alerts (${rows.length})`} data-testid="staff-alerts">
      <Text size="xs" mb="xs">
        Account changes by an IT administrator that could give someone, the administrator included, access to patient records. Check
        each with the person who made it.
      </Text>
      <Table withTableBorder verticalSpacing={2} fz="xs" data-testid="staff-alerts-table">
        <Table.Thead>
          <Table.Tr>
            <Table.Th>When</Table.Th>
            <Table.Th>Administrator</Table.Th>
            <Table.Th>What</Table.Th>
            <Table.Th>Account</Table.Th>
            <Table.Th>Role</Table.Th>
          </Table.Tr>
        </Table.Thead>
        <Table.Tbody>
          {rows.map((a) => (
            <Table.Tr key={a.id} data-testid="staff-alert" data-kind={a.kind}>
              <Table.Td>{formatDateTime(a.createdAt)}</Table.Td>
              <Table.Td>{a.actorName}</Table.Td>
              <Table.Td>{KIND_LABELS[a.kind]}</Table.Td>
              <Table.Td>{a.targetUsername}</Table.Td>
              <Table.Td>{humanizeRole(a.role)}</Table.Td>
            </Table.Tr>
          ))}
        </Table.Tbody>
      </Table>
    </Alert>
  );
}
