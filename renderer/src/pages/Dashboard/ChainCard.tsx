import { Badge, Code, DataList, Text } from '@mantine/core';
import type { ReactElement } from 'react';
import type { ChainStatus } from '../../../../main/api/system';
import { describeChain } from '../../components/chainStatus';
import { formatCount, formatDateTime } from '../../components/format';
import { ChainIcon } from '../../components/icons';
import { StatusCard } from '../../components/StatusCard';

function shortAddress(address: string): string {
  return address.length > 14 ? `${address.slice(0, 8)}…${address.slice(-6)}` : address;
}

export function ChainCard({ chain, loading }: { chain: ChainStatus | undefined; loading: boolean }): ReactElement {
  const view = chain ? describeChain(chain) : null;
  return (
    <StatusCard
      title="Chain"
      icon={<ChainIcon size={16} />}
      loading={loading || !chain}
      testId="card-chain"
      badge={
        view && (
          <Badge color={view.color} variant="light" size="sm" data-testid="dashboard-chain-state">
            {chain?.state === 'offline' ? 'Offline' : view.label}
          </Badge>
        )
      }
    >
      {chain && (
        <DataList size="sm" gap={6} labelWidth={110}>
          <DataList.Item>
            <DataList.ItemLabel>Mode</DataList.ItemLabel>
            <DataList.ItemValue>{chain.mode === 'embedded' ? 'Embedded devnet (this computer)' : 'External network'}</DataList.ItemValue>
          </DataList.Item>
          {chain.rpcUrl && (
            <DataList.Item>
              <DataList.ItemLabel>RPC URL</DataList.ItemLabel>
              <DataList.ItemValue>
                <Code fz="xs" style={{ wordBreak: 'break-all' }}>
                  {chain.rpcUrl}
                </Code>
              </DataList.ItemValue>
            </DataList.Item>
          )}
          {chain.state === 'connected' && (
            <>
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
            </>
          )}
          {chain.state === 'connecting' && (
            <DataList.Item>
              <DataList.ItemLabel>Trying since</DataList.ItemLabel>
              <DataList.ItemValue>{formatDateTime(chain.since)}</DataList.ItemValue>
            </DataList.Item>
          )}
          {chain.state === 'offline' && (
            <>
              <DataList.Item>
                <DataList.ItemLabel>Offline since</DataList.ItemLabel>
                <DataList.ItemValue>{formatDateTime(chain.since)}</DataList.ItemValue>
              </DataList.Item>
              <DataList.Item>
                <DataList.ItemLabel>Reason</DataList.ItemLabel>
                <DataList.ItemValue>{chain.reason}</DataList.ItemValue>
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
      {chain && chain.state !== 'connected' && (
        <Text size="xs" mt="sm">
          Records are still saved on this computer; their events wait in the outbox until the chain is reachable.
        </Text>
      )}
    </StatusCard>
  );
}
