// The always-visible footer: database, chain connection, outbox depth and the signed-in staff member.
// Values carry stable data-testids (and raw data-value attributes) for e2e tests and support scripts.
import { Anchor, Box, Divider, Group, Text, Tooltip } from '@mantine/core';
import type { ReactElement, ReactNode } from 'react';
import type { ChainStatus, ConnectionHealth } from '../../../main/api/system';
import { usePushConnectionState } from '../api/hooks';
import { describeHealth } from '../components/chainStatus';
import { formatCount, formatDateTime, humanizeRole } from '../components/format';
import { ChainIcon, DatabaseIcon, OutboxIcon, UserIcon } from '../components/icons';
import { hrefFor } from './router';
import { useSystemStatus } from './SystemStatusContext';
import classes from './StatusBar.module.css';

function Segment({ icon, label, children, grow }: { icon: ReactNode; label: string; children: ReactNode; grow?: boolean }): ReactElement {
  return (
    <Group gap={6} wrap="nowrap" className={grow ? classes.grow : classes.segment} role="group" aria-label={label}>
      <Box c="dimmed" className={classes.icon}>
        {icon}
      </Box>
      {children}
    </Group>
  );
}

const DOT: Record<ConnectionHealth['state'], string> = {
  connected: 'var(--mantine-color-teal-6)',
  connecting: 'var(--mantine-color-yellow-6)',
  offline: 'var(--mantine-color-red-6)',
  mismatch: 'var(--mantine-color-orange-6)',
  disabled: 'var(--mantine-color-gray-6)',
};

/** The connection health (shared with the Dashboard and the Sync page), with the chain's id and height when up. */
function ChainSegment({ chain, health }: { chain: ChainStatus; health: ConnectionHealth }): ReactElement {
  const view = describeHealth(health);
  return (
    <Tooltip
      label={health.state === 'connected' && chain.state === 'connected' ? `${view.detail} Chain id ${chain.chainId}, block ${formatCount(chain.blockNumber)}.` : view.detail}
      multiline
      maw={420}
      withArrow
      openDelay={300}
    >
      <Group gap={6} wrap="nowrap" data-testid="status-chain" data-state={health.state} data-since={health.since ?? undefined} data-queued={health.queued} tabIndex={0} className={classes.focusable}>
        <span className={classes.dot} style={{ background: DOT[health.state] }} aria-hidden="true" />
        <Text span size="xs" fw={600} aria-live="polite" data-testid="status-chain-label">
          {view.label}
        </Text>
        <Text span size="xs">
          · {chain.mode === 'embedded' ? 'embedded devnet' : 'external network'}
        </Text>
        {/* Chain id and height are technical details: in the tooltip (on hover or focus), and as data for support scripts. */}
        {health.state === 'connected' && chain.state === 'connected' && (
          <span hidden>
            <span data-testid="status-chain-id" data-value={chain.chainId}>
              {chain.chainId}
            </span>
            <span data-testid="status-block-number" data-value={chain.blockNumber}>
              {chain.blockNumber}
            </span>
          </span>
        )}

        {chain.state === 'mismatch' && (
          <Text span size="xs">
            · expected {chain.expectedChainId}, node reports{' '}
            <span data-testid="status-chain-id" data-value={chain.actualChainId}>
              {chain.actualChainId}
            </span>
          </Text>
        )}
      </Group>
    </Tooltip>
  );
}

export function StatusBar(): ReactElement {
  const { status, error, loading, updatedAt } = useSystemStatus();
  const push = usePushConnectionState();

  if (!status) {
    return (
      <Group h="100%" px="sm" gap="xs" data-testid="status-bar">
        <Text size="xs" c={error ? 'red.8' : 'dimmed'} data-testid="status-unavailable">
          {loading ? 'Reading status…' : `Status unavailable — ${error?.code ?? 'UNKNOWN'}: ${error?.message ?? ''}`}
        </Text>
      </Group>
    );
  }

  const { database, chain, outbox, principal } = status;
  // The queue depth of the shared health (the same number the chain segment and the Sync page show).
  const queued = status.health.queued;
  return (
    <Group h="100%" px="sm" gap="sm" wrap="nowrap" data-testid="status-bar" className={classes.bar}>
      <Segment icon={<DatabaseIcon size={14} />} label="Database" grow>
        <Text span size="xs" truncate className={classes.mono} data-testid="status-db-path" title={database.path}>
          {database.path}
        </Text>
        <Text span size="xs" className={classes.nowrap}>
          schema v
          <span data-testid="status-schema-version" data-value={database.schemaVersion}>
            {database.schemaVersion}
          </span>
        </Text>
      </Segment>
      <Divider orientation="vertical" />
      <Segment icon={<ChainIcon size={14} />} label="Chain connection">
        <ChainSegment chain={chain} health={status.health} />
      </Segment>
      <Divider orientation="vertical" />
      <Segment icon={<OutboxIcon size={14} />} label="Outbox">
        <Text span size="xs" data-testid="status-outbox" data-value={queued} fw={queued > 0 ? 600 : undefined} className={classes.nowrap}>
          {queued === 0 ? 'Outbox empty' : `${formatCount(queued)} queued`}
        </Text>
        {outbox.conflicts > 0 && (
          <Tooltip label="Consent changes made here that another workstation's change beat. Open the Sync page to accept the chain's state or re-apply yours." multiline maw={320} withArrow>
            <Anchor href={hrefFor('sync')} size="xs" fw={600} c="var(--custodian-text-warning)" className={classes.nowrap} data-testid="status-conflicts" data-value={outbox.conflicts}>
              · {formatCount(outbox.conflicts)} {outbox.conflicts === 1 ? 'conflict' : 'conflicts'}
            </Anchor>
          </Tooltip>
        )}
      </Segment>
      <Divider orientation="vertical" />
      <Segment icon={<UserIcon size={14} />} label="Signed in">
        {principal.role === 'anonymous' ? (
          <Text span size="xs" data-testid="status-principal" data-role="anonymous" className={classes.nowrap}>
            Not signed in
          </Text>
        ) : (
          <Text span size="xs" data-testid="status-principal" data-role={principal.role} className={classes.nowrap}>
            {principal.name} <Text span size="xs" c="dimmed">({humanizeRole(principal.role)})</Text>
          </Text>
        )}
      </Segment>
      {(error || push === 'retrying') && (
        <>
          <Divider orientation="vertical" />
          <Text span size="xs" c="var(--custodian-text-danger)" fw={600} className={classes.nowrap} data-testid="status-stale" role="status">
            {error ? `Stale since ${formatDateTime(updatedAt)} (${error.code})` : 'Live updates reconnecting…'}
          </Text>
        </>
      )}
    </Group>
  );
}
