import { TechnicalDetails } from '../../components/TechnicalDetails';
import { Badge, Code, DataList, Text } from '@mantine/core';
import type { ReactElement } from 'react';
import type { ChainStatus, ConnectionHealth } from '../../../../main/api/system';
import { describeChain, describeHealth } from '../../components/chainStatus';
import { formatCount, formatDateTime } from '../../components/format';
import { ChainIcon } from '../../components/icons';
import { StatusCard } from '../../components/StatusCard';

function shortAddress(address: string): string {
  return address.length > 14 ? `${address.slice(0, 8)}…${address.slice(-6)}` : address;
}

/** The chain card leads with the shared connection health (the status bar and the Sync page show the same). */
export function ChainCard({ chain, health, loading }: { chain: ChainStatus | undefined; health: ConnectionHealth | undefined; loading: boolean }): ReactElement {
  const view = chain ? describeChain(chain) : null;
  const healthView = health ? describeHealth(health) : null;
  return (
    <StatusCard
      title="Chain"
      icon={<ChainIcon size={16} />}
      loading={loading || !chain}
      testId="card-chain"
      badge={
        healthView && (
          <Badge color={healthView.color} variant="light" size="sm" data-testid="dashboard-chain-state" data-state={health?.state}>
            {health?.state === 'offline' ? 'Offline' : healthView.label}
          </Badge>
        )
      }
    >
      {health && healthView && health.state !== 'connected' && (
        <Text size="sm" fw={600} mb="xs" c={healthView.color === 'red' ? 'red.8' : undefined} data-testid="dashboard-chain-health" data-state={health.state} data-since={health.since ?? undefined} data-queued={health.queued} role="status">
          {healthView.label}
        </Text>
      )}
      {chain && (
        <DataList size="sm" gap={6} labelWidth={110}>
          <DataList.Item>
            <DataList.ItemLabel>Mode</DataList.ItemLabel>
            <DataList.ItemValue>{chain.mode === 'embedded' ? 'Embedded devnet (this computer)' : 'External network'}</DataList.ItemValue>
          </DataList.Item>
          {chain.state === 'connecting' && (
            <DataList.Item>
              <DataList.ItemLabel>Trying since</DataList.ItemLabel>
              <DataList.ItemValue>{formatDateTime(chain.since)}</DataList.ItemValue>
            </DataList.Item>
          )}
          {health?.state === 'offline' && (
            <>
              <DataList.Item>
                <DataList.ItemLabel>Offline since</DataList.ItemLabel>
                <DataList.ItemValue data-testid="dashboard-chain-offline-since">{formatDateTime(health.since)}</DataList.ItemValue>
              </DataList.Item>
              <DataList.Item>
                <DataList.ItemLabel>Queued</DataList.ItemLabel>
                <DataList.ItemValue data-testid="dashboard-chain-queued">{formatCount(health.queued)}</DataList.ItemValue>
              </DataList.Item>
              <DataList.Item>
                <DataList.ItemLabel>Reason</DataList.ItemLabel>
                <DataList.ItemValue>{health.reason}</DataList.ItemValue>
              </DataList.Item>
            </>
          )}
          {chain.state === 'mismatch' && (
            <DataList.Item>
              <DataList.ItemLabel>Problem</DataList.ItemLabel>
              <DataList.ItemValue>{view?.detail}</DataList.ItemValue>
            </DataList.Item>
          )}
        </DataList>
      )}
          {chain && chain.state === 'connected' && health?.state !== 'offline' && (
            <TechnicalDetails testId="dashboard-chain-technical">
              <DataList size="sm" gap={6} labelWidth={110}>
              {chain.rpcUrl && (
                <DataList.Item>
                  <DataList.ItemLabel>RPC URL</DataList.ItemLabel>
                  <DataList.ItemValue>
                    <Code fz="xs" style={{ wordBreak: 'break-all' }} data-testid="dashboard-chain-rpc-url">
                      {chain.rpcUrl}
                    </Code>
                  </DataList.ItemValue>
                </DataList.Item>
              )}
              <DataList.Item>
                <DataList.ItemLabel>Chain id</DataList.ItemLabel>
                <DataList.ItemValue>{chain.chainId}</DataList.ItemValue>
              </DataList.Item>
              <DataList.Item>
                <DataList.ItemLabel>Latest block</DataList.ItemLabel>
                <DataList.ItemValue>{formatCount(chain.blockNumber)}</DataList.ItemValue>
              </DataList.Item>
              <DataList.Item>
                <DataList.ItemLabel>Contracts</DataList.ItemLabel>
                <DataList.ItemValue>
                  {Object.keys(chain.contracts).length === 0 ? (
                    <Text size="sm" c="dimmed">
                      None deployed yet
                    </Text>
                  ) : (
                    Object.entries(chain.contracts).map(([name, address]) => (
                      <Text key={name} size="xs" title={address}>
                        {name} <Code fz="xs">{shortAddress(address)}</Code>
                      </Text>
                    ))
                  )}
                </DataList.ItemValue>
              </DataList.Item>
              </DataList>
            </TechnicalDetails>
          )}
      {health && health.state !== 'connected' && (
        <Text size="xs" mt="sm">
          Records are still saved on this computer; their events wait in the outbox until the chain is reachable.
        </Text>
      )}
    </StatusCard>
  );
}
