// Claims: insurance claims pre-checked before submission (consent for payment, the provider's credential on the
// service date, duplicates, well-formed fields), their verdicts with every reason, and their status on chain
// (recorded, then accepted or denied by the payer). Filters, a claim's detail, the check form and bulk imports.
import { Alert, Badge, Button, Code, Drawer, Group, Loader, Select, Stack, Table, Tabs, Text, TextInput } from '@mantine/core';
import { useEffect, useState, type ReactElement } from 'react';
import { CLAIM_CHAIN_STATUSES, CLAIM_CHAIN_STATUS_LABELS, type ClaimChainStatus, type ClaimFilter } from '../../../../main/api/claims';
import { useApiQuery } from '../../api/hooks';
import { useSession } from '../../auth/SessionContext';
import { ErrorBanner } from '../../components/ErrorBanner';
import { PageHeader } from '../../components/PageHeader';
import type { PageDefinition } from '../types';
import { CheckClaimForm } from './CheckClaimForm';
import { ImportPanel } from './ImportPanel';
import { CHAIN_STATUS_COLOR, money, reasonLabel } from './labels';
import { patientRef } from '../Consents/labels';
import { ReasonList } from './ReasonList';

const ClaimsIcon = ({ size = 18 }: { size?: number }): ReactElement => (
  <svg width={size} height={size} viewBox="0 0 24 24" fill="none" stroke="currentColor" strokeWidth={1.8} strokeLinecap="round" strokeLinejoin="round" aria-hidden="true" focusable="false">
    <path d="M6 3h9l3 3v15H6z" />
    <path d="M9 10h6M9 14h6M9 18h3" />
  </svg>
);

function ClaimDetailDrawer({ id, onClose }: { id: number | null; onClose: () => void }): ReactElement {
  const detail = useApiQuery('claims.get', { id: id ?? 1 }, { enabled: id !== null });
  const d = id !== null ? detail.data : undefined;
  return (
    <Drawer opened={id !== null} onClose={onClose} position="right" size="lg" title={d ? `Claim ${d.claimId}` : 'Claim'} closeButtonProps={{ 'aria-label': 'Close claim detail' }}>
      {detail.error && <ErrorBanner error={detail.error} title="Could not load the claim" />}
      {!d || d.id !== id ? (
        <Loader size="sm" />
      ) : (
        <Stack gap="sm" data-testid="claim-detail">
          <Group gap="xs">
            <Badge color={d.verdict === 'pass' ? 'green' : 'red'} data-testid="claim-detail-verdict">
              {d.verdict}
            </Badge>
            <Badge color={CHAIN_STATUS_COLOR[d.chainStatus]} variant="light" data-testid="claim-detail-chain">
              {CLAIM_CHAIN_STATUS_LABELS[d.chainStatus]}
              {d.chainReason ? ` (${d.chainReason})` : ''}
            </Badge>
          </Group>
          <ReasonList verdict={d.verdict} reasons={d.reasons} />
          <Table withRowBorders={false} fz="sm">
            <Table.Tbody>
              {[
                ['Patient', `${patientRef(d.patient)}${d.patient.id === null ? ' (not on file)' : ''}`],
                ['Rendering NPI', d.renderingNpi],
                ['Payer', d.payerId],
                ['Service date', d.serviceDate],
                ['Codes', d.codes === null ? '(withheld: needs patients.view)' : d.codes.join(', ') || '(none)'],
                ['Amount', money(d.amountCents)],
                ['Source', d.importRunId ? `import run ${d.importRunId}, row ${d.sourceRow}` : d.source],
                ['Content hash', d.contentHash],
                ['Chain transaction', d.chainTx ? `${d.chainTx} (block ${d.chainBlock})` : '—'],
              ].map(([k, v]) => (
                <Table.Tr key={k}>
                  <Table.Th w={160}>{k}</Table.Th>
                  <Table.Td>{k === 'Content hash' || k === 'Chain transaction' ? <Code fz="xs" style={{ overflowWrap: 'anywhere' }}>{v}</Code> : v}</Table.Td>
                </Table.Tr>
              ))}
            </Table.Tbody>
          </Table>
        </Stack>
      )}
    </Drawer>
  );
}

function ClaimsList({ refreshKey }: { refreshKey: number }): ReactElement {
  const [filter, setFilter] = useState<ClaimFilter>({});
  const [openId, setOpenId] = useState<number | null>(null);
  const list = useApiQuery('claims.list', { ...filter, limit: 200 }, { refreshMs: 3000 });
  // A claim stored from the form shows at once rather than at the next poll.
  const { refetch } = list;
  useEffect(() => refetch(), [refreshKey, refetch]);
  const set = (patch: Partial<ClaimFilter>): void => {
    const next: ClaimFilter = { ...filter, ...patch };
    for (const k of Object.keys(next) as (keyof ClaimFilter)[]) if (next[k] === undefined || next[k] === '') delete next[k];
    setFilter(next);
  };
  return (
    <Stack gap="sm">
      <Group gap="sm" align="flex-end" role="search" aria-label="Claim filters">
        <Select label="Verdict" placeholder="Any" clearable data={[{ value: 'pass', label: 'Pass' }, { value: 'fail', label: 'Fail' }]} value={filter.verdict ?? null} onChange={(v) => set({ verdict: (v ?? undefined) as ClaimFilter['verdict'] })} data-testid="claims-filter-verdict" />
        <Select
          label="Chain status"
          placeholder="Any"
          clearable
          data={CLAIM_CHAIN_STATUSES.map((s) => ({ value: s, label: CLAIM_CHAIN_STATUS_LABELS[s] }))}
          value={filter.chainStatus ?? null}
          onChange={(v) => set({ chainStatus: (v ?? undefined) as ClaimChainStatus | undefined })}
          data-testid="claims-filter-chain"
        />
        <TextInput label="Payer id" value={filter.payerId ?? ''} onChange={(e) => set({ payerId: e.currentTarget.value.trim() || undefined })} data-testid="claims-filter-payer" />
        <TextInput label="Service from" type="date" value={filter.serviceFrom ?? ''} onChange={(e) => set({ serviceFrom: e.currentTarget.value || undefined })} />
        <TextInput label="Service to" type="date" value={filter.serviceTo ?? ''} onChange={(e) => set({ serviceTo: e.currentTarget.value || undefined })} />
        <Button variant="subtle" onClick={() => setFilter({})}>
          Clear
        </Button>
      </Group>
      {list.error && <ErrorBanner error={list.error} title="Could not load claims" stale={list.data !== undefined} onRetry={list.refetch} />}
      {list.loading && !list.data ? (
        <Loader size="sm" />
      ) : list.data && list.data.rows.length === 0 ? (
        <Text c="dimmed" size="sm" data-testid="claims-empty">
          No claims {Object.keys(filter).length ? 'match these filters' : 'yet: check one, or import a CSV'}.
        </Text>
      ) : (
        <Table striped highlightOnHover withTableBorder data-testid="claims-table" aria-label="Claims">
          <Table.Thead>
            <Table.Tr>
              <Table.Th>Claim id</Table.Th>
              <Table.Th>Patient</Table.Th>
              <Table.Th>Payer</Table.Th>
              <Table.Th>Service date</Table.Th>
              <Table.Th>Amount</Table.Th>
              <Table.Th>Verdict</Table.Th>
              <Table.Th>Reasons</Table.Th>
              <Table.Th>Chain</Table.Th>
            </Table.Tr>
          </Table.Thead>
          <Table.Tbody>
            {list.data?.rows.map((r) => (
              <Table.Tr key={r.id} data-testid="claim-row" data-claim-id={r.claimId} style={{ cursor: 'pointer' }} onClick={() => setOpenId(r.id)}>
                <Table.Td>
                  <Button variant="subtle" size="compact-sm" onClick={() => setOpenId(r.id)} aria-label={`Open claim ${r.claimId}`}>
                    {r.claimId}
                  </Button>
                </Table.Td>
                <Table.Td>{patientRef(r.patient)}</Table.Td>
                <Table.Td>{r.payerId}</Table.Td>
                <Table.Td>{r.serviceDate}</Table.Td>
                <Table.Td>{money(r.amountCents)}</Table.Td>
                <Table.Td>
                  <Badge color={r.verdict === 'pass' ? 'green' : 'red'} data-testid="claim-row-verdict">
                    {r.verdict}
                  </Badge>
                </Table.Td>
                <Table.Td>{r.reasonCodes.map(reasonLabel).join(', ')}</Table.Td>
                <Table.Td>
                  <Badge color={CHAIN_STATUS_COLOR[r.chainStatus]} variant="light" data-testid="claim-row-chain">
                    {r.chainStatus.replace('_', ' ')}
                    {r.chainReason ? ` ${r.chainReason}` : ''}
                  </Badge>
                </Table.Td>
              </Table.Tr>
            ))}
          </Table.Tbody>
        </Table>
      )}
      <ClaimDetailDrawer id={openId} onClose={() => setOpenId(null)} />
    </Stack>
  );
}

function ClaimsPage(): ReactElement {
  const { can } = useSession();
  const ledger = useApiQuery('claims.ledger', {}, { refreshMs: 5000 });
  const [tab, setTab] = useState<string | null>('list');
  const [refreshKey, setRefreshKey] = useState(0);
  return (
    <>
      <PageHeader title="Claims" description={claimsPage.description} permission="claims.view" />
      {ledger.data && !ledger.data.configured && (
        <Alert color="yellow" variant="light" mb="md" data-testid="claims-ledger-missing" title="ClaimsLedger not configured">
          This chain has no ClaimsLedger address (chain.contracts.ClaimsLedger), or the chain is offline: {ledger.data.queued} passing claim(s) stay queued until it is.
        </Alert>
      )}
      <Tabs value={tab} onChange={setTab} keepMounted={false}>
        <Tabs.List mb="md">
          <Tabs.Tab value="list">Claims</Tabs.Tab>
          {can('claims.check') && <Tabs.Tab value="check">Check a claim</Tabs.Tab>}
          {can('imports.view') && <Tabs.Tab value="import">Import</Tabs.Tab>}
        </Tabs.List>
        <Tabs.Panel value="list">
          <ClaimsList refreshKey={refreshKey} />
        </Tabs.Panel>
        <Tabs.Panel value="check">
          <CheckClaimForm maySubmit={can('claims.check')} onStored={() => setRefreshKey((k) => k + 1)} />
        </Tabs.Panel>
        <Tabs.Panel value="import">
          <ImportPanel mayImport={can('imports.run')} />
        </Tabs.Panel>
      </Tabs>
    </>
  );
}

export const claimsPage: PageDefinition = {
  id: 'claims',
  label: 'Claims',
  description: 'Insurance claims checked before submission: consent for payment, the provider’s credential, duplicates and codes; passing claims go on chain and the payer’s answer comes back.',
  section: 'Records',
  icon: ClaimsIcon,
  permission: 'claims.view',
  Component: ClaimsPage,
};
