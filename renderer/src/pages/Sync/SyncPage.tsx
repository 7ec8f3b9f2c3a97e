// Sync: how events leave this workstation for the chain. Shows the outbox and the sender's live state now;
// the batch history and controls arrive with the sync issue.
import { Badge, DataList, Paper, SimpleGrid, Stack, Text, Title } from '@mantine/core';
import { useState, type ReactElement } from 'react';
import type { SyncState } from '../../../../main/api/events';
import { usePushEvent } from '../../api/hooks';
import { ComingSoon } from '../../components/ComingSoon';
import { formatCount, formatDateTime, humanizeKind } from '../../components/format';
import { SyncIcon } from '../../components/icons';
import { PageHeader } from '../../components/PageHeader';
import { useSystemStatus } from '../../shell/SystemStatusContext';
import type { PageDefinition } from '../types';

const REASON: Record<Extract<SyncState, { state: 'failed' }>['reason'], string> = {
  offline: 'chain offline',
  revert: 'transaction reverted',
  funds: 'signer out of funds',
  nonce: 'nonce conflict',
  'chain-id': 'wrong chain id',
  rpc: 'RPC error',
};

function describeSync(s: SyncState): { label: string; color: string; detail: string } {
  switch (s.state) {
    case 'idle':
      return { label: 'Idle', color: 'gray', detail: `${formatCount(s.pending)} waiting` };
    case 'queued':
      return { label: 'Queued', color: 'blue', detail: `${formatCount(s.pending)} waiting for the next batch` };
    case 'sending':
      return { label: 'Sending', color: 'blue', detail: `Batch ${s.batchId}: ${formatCount(s.events)} events` };
    case 'sent':
      return { label: 'Sent', color: 'blue', detail: `Batch ${s.batchId}, transaction ${s.txHash}, awaiting confirmation` };
    case 'confirmed':
      return { label: 'Confirmed', color: 'teal', detail: `Batch ${s.batchId} in block ${formatCount(s.blockNumber)}` };
    case 'failed':
      return { label: `Failed: ${REASON[s.reason]}`, color: 'red', detail: s.message };
    case 'paused':
      return { label: 'Paused', color: 'orange', detail: `${formatCount(s.pending)} waiting; sending is paused` };
  }
}

function SyncPage(): ReactElement {
  const { status } = useSystemStatus();
  const [last, setLast] = useState<{ state: SyncState; at: number } | null>(null);
  usePushEvent('sync.state', (state) => setLast({ state, at: Date.now() }));
  const view = last ? describeSync(last.state) : null;
  const kinds = status ? Object.entries(status.outbox.byKind).filter(([, n]) => n > 0) : [];

  return (
    <>
      <PageHeader title={syncPage.label} description={syncPage.description} permission={syncPage.permission} />
      <Stack gap="md">
        <SimpleGrid cols={{ base: 1, md: 2 }} spacing="md">
          <Paper component="section" withBorder radius="md" p="md" aria-labelledby="sync-outbox">
            <Title order={2} fz="md" id="sync-outbox" mb="sm">
              Outbox
            </Title>
            {status ? (
              <DataList size="sm" gap={6} labelWidth={150}>
                <DataList.Item>
                  <DataList.ItemLabel>Waiting to send</DataList.ItemLabel>
                  <DataList.ItemValue data-testid="sync-outbox-pending">{formatCount(status.outbox.pending)}</DataList.ItemValue>
                </DataList.Item>
                {kinds.map(([kind, n]) => (
                  <DataList.Item key={kind}>
                    <DataList.ItemLabel>{humanizeKind(kind)}</DataList.ItemLabel>
                    <DataList.ItemValue>{formatCount(n)}</DataList.ItemValue>
                  </DataList.Item>
                ))}
              </DataList>
            ) : (
              <Text size="sm">Reading the outbox…</Text>
            )}
          </Paper>
          <Paper component="section" withBorder radius="md" p="md" aria-labelledby="sync-sender">
            <Title order={2} fz="md" id="sync-sender" mb="sm">
              Sender
            </Title>
            {view && last ? (
              <Stack gap={4} data-testid="sync-state">
                <Badge color={view.color} variant="light" size="sm">
                  {view.label}
                </Badge>
                <Text size="sm" style={{ wordBreak: 'break-all' }}>
                  {view.detail}
                </Text>
                <Text size="xs" c="dimmed">
                  Reported {formatDateTime(last.at)}
                </Text>
              </Stack>
            ) : (
              <Text size="sm" c="dimmed" data-testid="sync-state-none">
                No sync activity reported since this window opened. The sender reports here as it queues, sends and
                confirms batches.
              </Text>
            )}
          </Paper>
        </SimpleGrid>
        <ComingSoon
          capability="Batch history and sync controls"
          icon={<SyncIcon size={22} />}
          planned={[
            'See every batch sent to the chain: its events, transaction, block and confirmations.',
            'Retry a failed batch, pause and resume sending.',
            'Follow a reorg: which batches were re-sent and why.',
          ]}
        />
      </Stack>
    </>
  );
}

export const syncPage: PageDefinition = {
  id: 'sync',
  label: 'Sync',
  description: 'Events recorded here are batched and anchored on the chain. Follow the outbox and the sender.',
  section: 'Integrity',
  icon: SyncIcon,
  permission: 'sync.view',
  Component: SyncPage,
};
