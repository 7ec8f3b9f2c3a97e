// The provider directory as a dense table in name order: who, their NPI, where they work, and how their
// credentials stand, with the worst credential verdict. The name opens the provider with each credential's verdict.
import { Badge, Stack, Table, Text, Tooltip, UnstyledButton } from '@mantine/core';
import type { ReactElement } from 'react';
import type { ProviderSummary } from '../../../../main/api/credentials';
import { credentialVerdictLine, daysUntil, STANDING_VIEW, verdictView, verifiedCount } from './credentialLabels';
import classes from './Credentials.module.css';

export function StandingBadge({ standing }: { standing: ProviderSummary['standing'] }): ReactElement {
  const view = STANDING_VIEW[standing];
  return (
    <Tooltip label={view.meaning} multiline w={280} withArrow>
      <Badge color={standing === 'verified' ? 'teal.9' : view.color} variant={standing === 'verified' ? 'filled' : 'light'} size="sm" data-testid="provider-standing" data-standing={standing} style={{ minWidth: 'max-content' }}>
        {view.label}
      </Badge>
    </Tooltip>
  );
}

/** The provider's most serious credential verdict; the tooltip lists each credential's. */
export function WorstVerdictBadge({ provider }: { provider: Pick<ProviderSummary, 'credentials' | 'worstVerdict' | 'credentialVerdicts'> }): ReactElement {
  if (provider.credentials === 0) {
    return (
      <Text size="sm" c="dimmed">
        —
      </Text>
    );
  }
  const view = verdictView(provider.worstVerdict);
  const more = provider.credentials - provider.credentialVerdicts.length;
  const label = (
    <Stack gap={2}>
      {provider.credentialVerdicts.map((v) => (
        <Text key={v.credentialId} size="xs">
          {credentialVerdictLine(v)}
        </Text>
      ))}
      {more > 0 && <Text size="xs">and {more} more: open the provider</Text>}
    </Stack>
  );
  return (
    <Tooltip label={label} multiline w={360} withArrow>
      <Badge
        color={provider.worstVerdict === 'verified' ? 'teal.9' : view.color}
        variant={provider.worstVerdict === 'verified' ? 'filled' : 'light'}
        size="sm"
        data-testid="provider-worst-verdict"
        data-verdict={provider.worstVerdict ?? 'unchecked'}
        aria-label={`Worst verdict: ${view.label}. ${provider.credentialVerdicts.map(credentialVerdictLine).join('; ')}`}
        style={{ minWidth: 'max-content' }}
      >
        {view.label}
      </Badge>
    </Tooltip>
  );
}

function NextExpiry({ day, expiringDays }: { day: string | null; expiringDays: number }): ReactElement {
  if (!day) {
    return (
      <Text size="sm" c="dimmed">
        —
      </Text>
    );
  }
  const days = daysUntil(day);
  const soon = days <= expiringDays;
  return (
    <Text size="sm" c={soon ? 'var(--mantine-color-orange-light-color)' : undefined} fw={soon ? 600 : undefined} data-testid="provider-next-expiry" data-soon={soon || undefined}>
      {day}
      {soon && (
        <Text span size="xs" ml={4}>
          ({days === 0 ? 'last day today' : `in ${days} ${days === 1 ? 'day' : 'days'}`})
        </Text>
      )}
    </Text>
  );
}

export interface DirectoryTableProps {
  providers: readonly ProviderSummary[];
  /** A next expiry within this many days is flagged (credentials.settings; 30 unless configured). */
  expiringDays: number;
  onOpen: (p: ProviderSummary) => void;
}

export function DirectoryTable({ providers, expiringDays, onOpen }: DirectoryTableProps): ReactElement {
  return (
    <Table.ScrollContainer minWidth={1100}>
      <Table striped highlightOnHover withTableBorder verticalSpacing={5} horizontalSpacing={8} fz="sm" className={classes.table} data-testid="provider-table">
        <Table.Thead>
          <Table.Tr>
            <Table.Th>Name</Table.Th>
            <Table.Th>NPI</Table.Th>
            <Table.Th>Organization</Table.Th>
            <Table.Th>Specialty</Table.Th>
            <Table.Th>Standing</Table.Th>
            <Table.Th className={classes.nowrap}>Worst verdict</Table.Th>
            <Table.Th>Credentials</Table.Th>
            <Table.Th className={classes.nowrap}>Next expiry</Table.Th>
          </Table.Tr>
        </Table.Thead>
        <Table.Tbody>
          {providers.map((p) => (
            <Table.Tr key={p.id} data-testid="provider-row" data-npi={p.npi} data-standing={p.standing}>
              <Table.Td>
                <UnstyledButton className={classes.nameLink} onClick={() => onOpen(p)} aria-label={`Open ${p.name}, NPI ${p.npi}`} data-testid="provider-open">
                  {p.name}
                </UnstyledButton>
              </Table.Td>
              <Table.Td className={classes.mono}>{p.npi}</Table.Td>
              <Table.Td>{p.organization ?? '—'}</Table.Td>
              <Table.Td>{p.specialty ?? '—'}</Table.Td>
              <Table.Td>
                <StandingBadge standing={p.standing} />
              </Table.Td>
              <Table.Td>
                <WorstVerdictBadge provider={p} />
              </Table.Td>
              <Table.Td className={classes.nowrap} data-testid="provider-verified-count">
                {verifiedCount(p)}
              </Table.Td>
              <Table.Td className={classes.nowrap}>
                <NextExpiry day={p.nextExpiry} expiringDays={expiringDays} />
              </Table.Td>
            </Table.Tr>
          ))}
        </Table.Tbody>
      </Table>
    </Table.ScrollContainer>
  );
}
