// The trail as a dense table, newest first. The entry number opens the entry (details, hash, proof); everything
// else reads at a glance: when, who (and in which role), what, outcome, which patient, from where.
import { Badge, Code, Table, Text, UnstyledButton } from '@mantine/core';
import type { ReactElement } from 'react';
import type { AuditEntryView } from '../../../../main/api/audit';
import { actionLabel, actorName, actorRole, detailsSummary, outcomeView } from '../../components/auditLabels';
import { formatDateTime } from '../../components/format';
import classes from './Audit.module.css';

export function OutcomeBadge({ outcome }: { outcome: string }): ReactElement {
  const view = outcomeView(outcome);
  return (
    <Badge color={view.color} variant={outcome === 'break-glass' ? 'filled' : 'light'} size="sm" title={view.meaning} data-outcome={outcome} style={{ minWidth: 'max-content' }}>
      {view.label}
    </Badge>
  );
}

export function AuditTable({ entries, onOpen }: { entries: readonly AuditEntryView[]; onOpen: (entry: AuditEntryView) => void }): ReactElement {
  return (
    <Table.ScrollContainer minWidth={1120}>
      <Table striped highlightOnHover withTableBorder verticalSpacing={3} horizontalSpacing={8} fz="xs" className={classes.trail} data-testid="audit-table">
        <Table.Thead>
          <Table.Tr>
            <Table.Th w={64}>Entry</Table.Th>
            <Table.Th w={150} className={classes.nowrap}>
              Time (local)
            </Table.Th>
            <Table.Th className={classes.nowrap}>Staff member</Table.Th>
            <Table.Th>Role</Table.Th>
            <Table.Th>Action</Table.Th>
            <Table.Th>Outcome</Table.Th>
            <Table.Th ta="right">Patient</Table.Th>
            <Table.Th>Subject</Table.Th>
            <Table.Th>Workstation</Table.Th>
            <Table.Th>Notes</Table.Th>
          </Table.Tr>
        </Table.Thead>
        <Table.Tbody>
          {entries.map((e) => {
            const notes = detailsSummary(e.details);
            return (
              <Table.Tr key={e.id} data-testid="audit-row" data-entry-id={e.id} data-action={e.action} data-outcome={e.outcome} data-actor={e.actor?.id ?? ''}>
                <Table.Td>
                  <UnstyledButton className={classes.entryLink} onClick={() => onOpen(e)} aria-label={`Open entry ${e.id}`} data-testid="audit-open-entry">
                    #{e.id}
                  </UnstyledButton>
                </Table.Td>
                <Table.Td className={classes.nowrap}>{formatDateTime(e.at)}</Table.Td>
                <Table.Td className={classes.nowrap} data-testid="audit-cell-actor">
                  {actorName(e.actor)}
                </Table.Td>
                <Table.Td className={classes.nowrap}>{actorRole(e.actor)}</Table.Td>
                <Table.Td data-testid="audit-cell-action" className={classes.nowrap}>
                  <Text span size="xs">
                    {actionLabel(e.action)}
                  </Text>{' '}
                  <Code fz={10} c="dimmed" bg="transparent" p={0}>
                    {e.action}
                  </Code>
                </Table.Td>
                <Table.Td>
                  <OutcomeBadge outcome={e.outcome} />
                </Table.Td>
                <Table.Td ta="right" className={classes.mono}>
                  {e.patientId ?? '—'}
                </Table.Td>
                <Table.Td maw={200}>
                  <Text size="xs" truncate title={e.subject ?? undefined} data-testid="audit-cell-subject">
                    {e.subject ?? '—'}
                  </Text>
                </Table.Td>
                <Table.Td className={classes.nowrap}>{e.workstation}</Table.Td>
                <Table.Td maw={240}>
                  <Text size="xs" c="dimmed" truncate title={notes || undefined}>
                    {notes || '—'}
                  </Text>
                </Table.Td>
              </Table.Tr>
            );
          })}
        </Table.Tbody>
      </Table>
    </Table.ScrollContainer>
  );
}
