// The four facts an operator checks first: which chain and how far along, who signs and with what balance, what
// the sender is doing right now (live from `sync.state`), and what waits in the queue by kind.
import { TechnicalDetails } from '../../components/TechnicalDetails';
import { Badge, Code, DataList, Group, SimpleGrid, Stack, Table, Text } from '@mantine/core';
import type { ReactElement } from 'react';
import type { SyncState } from '../../../../main/api/events';
import type { SyncStatus } from '../../../../main/api/sync';
import { CopyText } from '../../components/CopyText';
import { formatCount, formatDateTime, humanizeKind } from '../../components/format';
import { ChainIcon, OutboxIcon, SyncIcon, UserIcon } from '../../components/icons';
import { StatusCard } from '../../components/StatusCard';
import { describeHealth } from '../../components/chainStatus';
import { useSystemStatus } from '../../shell/SystemStatusContext';
import { balanceIsLow, describeSender, describeSyncState, failureAdvice, failureLabel, formatEther } from './syncLabels';

export interface LiveSyncState {
  state: SyncState;
  /** When this window heard it (ms since epoch); null when it comes from the status read. */
  at: number | null;
  /**
   * The latest failure this window heard, kept after the sender moves on: a rejected payload or a reorg is followed
   * within a fraction of a second by the next state, and a person must still be able to read it.
   */
  lastFailure?: { state: Extract<SyncState, { state: 'failed' }>; at: number } | undefined;
}

function Item({ label, children, testId, value }: { label: string; children: ReactElement | string; testId?: string; value?: string | number | null }): ReactElement {
  return (
    <DataList.Item>
      <DataList.ItemLabel>{label}</DataList.ItemLabel>
      <DataList.ItemValue data-testid={testId} data-value={value ?? undefined}>
        {children}
      </DataList.ItemValue>
    </DataList.Item>
  );
}

function ChainCard({ status, liveBlock }: { status: SyncStatus | undefined; liveBlock: number | null }): ReactElement {
  // The shared connection health (pushed to every display at once), else the one this page's poll read.
  const shared = useSystemStatus().status?.health;
  const health = shared ?? status?.health;
  const view = health ? describeHealth(health) : null;
  // The newest of what the status bar's poll, the sender and the batches have seen: a height never goes back.
  const known = [liveBlock, status?.blockHeight ?? null].filter((n): n is number => n !== null);
  const block = known.length ? Math.max(...known) : null;
  return (
    <StatusCard
      title="Chain"
      icon={<ChainIcon size={16} />}
      loading={!status}
      testId="sync-chain"
      badge={
        view && (
          <Badge color={view.color} variant="light" size="sm" data-testid="sync-connection" data-state={health?.state} data-queued={health?.queued} style={{ flexShrink: 0, maxWidth: '100%' }}>
            {health?.state === 'offline' ? 'Offline' : view.label}
          </Badge>
        )
      }
    >
      {status && view && health && (
        <DataList size="sm" gap={4} labelWidth={110}>
          {health.state === 'offline' && (
            <Item label="Offline since" testId="sync-offline-since" value={health.since}>
              {`${formatDateTime(health.since)}, ${formatCount(health.queued)} queued`}
            </Item>
          )}
          <Item label="Confirmations" testId="sync-confirmations-required">
            {`${formatCount(status.confirmationsRequired)} required`}
          </Item>
          {health.state !== 'connected' && (
            <Item label="Note">
              <Text size="xs" data-testid="sync-connection-detail">
                {view.detail}
              </Text>
            </Item>
          )}
        </DataList>
      )}
      {status && (
        <TechnicalDetails testId="sync-chain-technical">
          <DataList size="sm" gap={4} labelWidth={110}>
            <Item label="Chain id" testId="sync-chain-id" value={status.chainId}>
              {status.chainId === null ? '—' : String(status.chainId)}
            </Item>
            <Item label="Block height" testId="sync-block-height" value={block}>
              {block === null ? '—' : formatCount(block)}
            </Item>
            <Item label="Node">
              <Text size="xs" style={{ overflowWrap: 'anywhere' }}>
                {status.rpcUrl ?? '—'}
              </Text>
            </Item>
          </DataList>
        </TechnicalDetails>
      )}
    </StatusCard>
  );
}

function SignerCard({ status }: { status: SyncStatus | undefined }): ReactElement {
  const address = status?.signer.address ?? null;
  const low = balanceIsLow(status?.signer.balanceWei);
  return (
    <StatusCard title="Signer" icon={<UserIcon size={16} />} loading={!status} testId="sync-signer" badge={address ? <CopyText value={address} label="Copy address" testId="sync-signer-copy" /> : undefined}>
      {status && (
        <Stack gap={6}>
          <Text size="xs" c="dimmed">
            The account that signs and pays for this workstation’s batches.
          </Text>
          {address ? (
            <TechnicalDetails summary="Signing account" testId="sync-signer-technical">
              <Code block fz="xs" data-testid="sync-signer-address" style={{ wordBreak: 'break-all', whiteSpace: 'normal' }}>
                {address}
              </Code>
            </TechnicalDetails>
          ) : (
            <Text size="sm" data-testid="sync-signer-address">
              No signing key loaded
            </Text>
          )}
          {low && (
            <Text size="sm" fw={600} c="var(--custodian-text-danger)" data-testid="sync-signer-low">
              Running out of funds: ask IT to top up this workstation’s account.
            </Text>
          )}
          <TechnicalDetails summary="Account balance" testId="sync-signer-balance-technical">
            <Text size="sm" fw={600} data-testid="sync-signer-balance" style={{ whiteSpace: 'nowrap' }}>
              {formatEther(status.signer.balanceWei)}
            </Text>
          </TechnicalDetails>
        </Stack>
      )}
    </StatusCard>
  );
}

function LastFailure({ failure }: { failure: NonNullable<LiveSyncState['lastFailure']> }): ReactElement {
  const view = describeSyncState(failure.state);
  const advice = failureAdvice(failure.state.reason);
  return (
    <Stack gap={2} data-testid="sync-last-failure" data-reason={failure.state.reason}>
      <Group gap={6} wrap="nowrap">
        <Badge color={view.color} variant="outline" size="xs" style={{ flexShrink: 0 }}>
          {failureLabel(failure.state.reason)}
        </Badge>
        <Text size="xs" c="dimmed">
          Last problem, {formatDateTime(new Date(failure.at).toISOString())}
        </Text>
      </Group>
      <Text size="xs" style={{ wordBreak: 'break-word' }} lineClamp={4} title={failure.state.message} data-testid="sync-last-failure-message">
        {failure.state.message}
      </Text>
      {advice && (
        <Text size="xs" c="dimmed">
          {advice}
        </Text>
      )}
    </Stack>
  );
}

function SenderCard({ status, live }: { status: SyncStatus | undefined; live: LiveSyncState | null }): ReactElement {
  const current = live?.state ?? status?.state ?? null;
  // The shared connection health decides while the node is not reachable: the same answer as the chain card.
  const health = useSystemStatus().status?.health ?? status?.health;
  const view = describeSender(current, health);
  const error = status?.lastError ?? null;
  // The live failure's own reason first (a reorg or a rejected payload is not a lastError), else the last error's.
  const reason = current?.state === 'failed' ? current.reason : (error?.subtype ?? null);
  const advice = reason ? failureAdvice(reason) : null;
  return (
    <StatusCard
      title="Sender"
      icon={<SyncIcon size={16} />}
      loading={!status && !live}
      testId="sync-sender"
      badge={
        view && (
          <Group gap={4} wrap="nowrap">
            {status?.paused && current?.state !== 'paused' && (
              <Badge color="orange" variant="light" size="sm" data-testid="sync-paused">
                Paused
              </Badge>
            )}
            <Badge color={view.color} variant="light" size="sm" data-testid="sync-state" data-state={view.state} data-sender-state={current?.state} style={{ flexShrink: 0 }}>
              {view.label}
            </Badge>
          </Group>
        )
      }
    >
      {view && (
        <Stack gap={6}>
          <Text size="sm" data-testid="sync-state-detail" style={{ wordBreak: 'break-word' }}>
            {view.detail}
          </Text>
          <Text size="xs" c="dimmed">
            {view.state !== current?.state ? 'From the connection health the status bar shows' : live?.at ? `Reported ${formatDateTime(live.at)}` : 'As last read from the sender'}
          </Text>
          {error && current?.state === 'failed' && current.reason === error.subtype ? (
            <Text size="xs" c="var(--custodian-text-danger)" data-testid="sync-last-error">
              <Code fz="xs" c="var(--custodian-text-danger)">
                {error.code}
              </Code>{' '}
              {failureLabel(error.subtype)}
              {advice ? `: ${advice}` : ''}
            </Text>
          ) : (
            current?.state === 'failed' &&
            advice && (
              <Text size="xs" c={view.color === 'red' ? 'red.8' : 'var(--mantine-color-orange-light-color)'} data-testid="sync-failure-advice" data-reason={current.reason}>
                {advice}
              </Text>
            )
          )}
          {current?.state !== 'failed' && live?.lastFailure && <LastFailure failure={live.lastFailure} />}
          {status?.notice && (
            <Text size="xs" c="var(--mantine-color-orange-light-color)" data-testid="sync-notice">
              {status.notice}
            </Text>
          )}
          {status && status.heldPulledChanges.unopenable + status.heldPulledChanges.unregisteredWriter > 0 && (
            <Text size="xs" c="var(--custodian-text-danger)" data-testid="sync-refused-pulls">
              {`${formatCount(status.heldPulledChanges.unopenable + status.heldPulledChanges.unregisteredWriter)} pulled consent change(s) refused, never applied: ${formatCount(status.heldPulledChanges.unregisteredWriter)} written by no registered signer of this facility, ${formatCount(status.heldPulledChanges.unopenable)} whose terms do not open.`}
            </Text>
          )}
          {status?.heldOutboxEvents && status.heldOutboxEvents.total > 0 && (
            <Text size="xs" c="red.8" data-testid="sync-held-events">
              {`${formatCount(status.heldOutboxEvents.total)} outbox event(s) held, never sent: ${Object.entries(status.heldOutboxEvents.byCode)
                .map(([code, count]) => `${code} ${formatCount(count)}`)
                .join(', ')}.`}
            </Text>
          )}
          {status?.heldOutboxEvents?.latest.map((e) => (
            <Text key={e.id} size="xs" c="dimmed" lineClamp={2} title={e.reason} data-testid="sync-held-event">
              {`Event ${e.id} (${e.kind}): ${e.reason}`}
            </Text>
          ))}
          {!!status?.replacedOutboxEvents && (
            <Text size="xs" c="dimmed" data-testid="sync-replaced-events">
              {`${formatCount(status.replacedOutboxEvents)} outbox event(s) replaced by a later event of their kind, never sent: not queued, not held.`}
            </Text>
          )}
          {status?.finality && (
            <TechnicalDetails summary="When a batch counts as final" testId="sync-finality-technical">
              <Text size="xs" c="dimmed" data-testid="sync-finality">
                {status.finality}
              </Text>
            </TechnicalDetails>
          )}
        </Stack>
      )}
    </StatusCard>
  );
}

function QueueCard({ status }: { status: SyncStatus | undefined }): ReactElement {
  const kinds = status ? Object.entries(status.queue.byKind).filter(([, n]) => n > 0).sort((a, b) => b[1] - a[1]) : [];
  const batches = status?.batches;
  return (
    <StatusCard
      title="Queue"
      icon={<OutboxIcon size={16} />}
      loading={!status}
      testId="sync-queue"
      badge={
        status && (
          <Badge color={status.queue.total === 0 ? 'teal' : 'blue'} variant="light" size="sm" data-testid="sync-queue-total" data-value={status.queue.total} style={{ flexShrink: 0 }}>
            {status.queue.total === 0 ? 'Empty' : `${formatCount(status.queue.total)} not yet confirmed`}
          </Badge>
        )
      }
    >
      {status && batches && (
        <Stack gap={6}>
          {kinds.length === 0 ? (
            <Text size="sm" c="dimmed">
              Every recorded event is confirmed on chain.
            </Text>
          ) : (
            <Table withRowBorders={false} verticalSpacing={1} horizontalSpacing={0} fz="sm" data-testid="sync-queue-kinds">
              <Table.Thead>
                <Table.Tr>
                  <Table.Th>Kind</Table.Th>
                  <Table.Th ta="right">Not yet confirmed</Table.Th>
                </Table.Tr>
              </Table.Thead>
              <Table.Tbody>
                {kinds.map(([kind, n]) => (
                  <Table.Tr key={kind} data-testid={`sync-queue-kind-${kind}`} data-value={n}>
                    <Table.Td>{humanizeKind(kind)}</Table.Td>
                    <Table.Td ta="right">{formatCount(n)}</Table.Td>
                  </Table.Tr>
                ))}
              </Table.Tbody>
            </Table>
          )}
          <Text size="xs" c="dimmed">
            Batches: {formatCount(batches.confirmed)} confirmed · {formatCount(batches.sent + batches.signed)} in flight · {formatCount(batches.pending)} pending
            {batches.failed > 0 ? ` · ${formatCount(batches.failed)} failed` : ''}
          </Text>
        </Stack>
      )}
    </StatusCard>
  );
}

export function SyncOverview({ status, live, liveBlock }: { status: SyncStatus | undefined; live: LiveSyncState | null; liveBlock: number | null }): ReactElement {
  return (
    <SimpleGrid cols={{ base: 1, md: 2, xl: 4 }} spacing="md">
      <ChainCard status={status} liveBlock={liveBlock} />
      <SignerCard status={status} />
      <SenderCard status={status} live={live} />
      <QueueCard status={status} />
    </SimpleGrid>
  );
}
