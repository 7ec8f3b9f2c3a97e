// Settings → Workstation: what this workstation is configured to use (read-only) and where a deployment sets it.
import { TechnicalDetails } from '../../components/TechnicalDetails';
import { Badge, Code, DataList, Group, List, Paper, SimpleGrid, Skeleton, Stack, Table, Text, Title } from '@mantine/core';
import type { ReactElement, ReactNode } from 'react';
import type { ChainStatus, SystemStatus } from '../../../../main/api/system';
import { describeChain } from '../../components/chainStatus';
import { useSession } from '../../auth/SessionContext';
import { ErrorBanner } from '../../components/ErrorBanner';
import { formatBytes, formatCount, humanizeRole } from '../../components/format';
import { useSystemStatus } from '../../shell/SystemStatusContext';
import { FacilitySecretFingerprint } from './FacilitySecretSection';

export function Section({ title, id, children, aside }: { title: string; id: string; children: ReactNode; aside?: ReactNode }): ReactElement {
  return (
    <Paper component="section" withBorder radius="md" p="md" aria-labelledby={id} data-testid={id}>
      <Group justify="space-between" mb="sm">
        <Title order={2} fz="md" id={id}>
          {title}
        </Title>
        {aside}
      </Group>
      {children}
    </Paper>
  );
}

function ChainConfiguration({ chain }: { chain: ChainStatus }): ReactElement {
  const view = describeChain(chain);
  const chainId = chain.state === 'connected' ? chain.chainId : chain.state === 'mismatch' ? chain.expectedChainId : null;
  const contracts = chain.state === 'connected' ? Object.entries(chain.contracts) : [];
  return (
    <Stack gap="sm">
      <DataList size="sm" gap={6} labelWidth={150}>
        <DataList.Item>
          <DataList.ItemLabel>Mode</DataList.ItemLabel>
          <DataList.ItemValue data-testid="settings-chain-mode">
            {chain.mode === 'embedded' ? 'Embedded devnet — a local chain started with the app, for trying Custodian out' : 'External network'}
          </DataList.ItemValue>
        </DataList.Item>
        <DataList.Item>
          <DataList.ItemLabel>Connection</DataList.ItemLabel>
          <DataList.ItemValue>
            {view.label}
            {chain.state !== 'connected' && ` — ${view.detail}`}
          </DataList.ItemValue>
        </DataList.Item>
      </DataList>
      <TechnicalDetails testId="settings-chain-technical">
      <DataList size="sm" gap={6} labelWidth={150} mb="sm">
        <DataList.Item>
          <DataList.ItemLabel>RPC URL</DataList.ItemLabel>
          <DataList.ItemValue data-testid="settings-chain-rpc-url">{chain.rpcUrl ? <Code fz="xs">{chain.rpcUrl}</Code> : 'Not known yet'}</DataList.ItemValue>
        </DataList.Item>
        <DataList.Item>
          <DataList.ItemLabel>Chain id</DataList.ItemLabel>
          <DataList.ItemValue data-testid="settings-chain-id">{chainId ?? 'Not known yet'}</DataList.ItemValue>
        </DataList.Item>
        {chain.state === 'connected' && (
          <DataList.Item>
            <DataList.ItemLabel>Latest block</DataList.ItemLabel>
            <DataList.ItemValue>{formatCount(chain.blockNumber)}</DataList.ItemValue>
          </DataList.Item>
        )}
      </DataList>
      <div>
        <Text size="sm" fw={600} mb={4}>
          Contract addresses
        </Text>
        {contracts.length === 0 ? (
          <Text size="sm" c="dimmed">
            {chain.state === 'connected' ? 'No contracts are deployed on this chain yet.' : 'Shown once the chain is connected.'}
          </Text>
        ) : (
          <Table fz="sm" verticalSpacing={4} withTableBorder data-testid="settings-contracts">
            <Table.Thead>
              <Table.Tr>
                <Table.Th>Contract</Table.Th>
                <Table.Th>Address</Table.Th>
              </Table.Tr>
            </Table.Thead>
            <Table.Tbody>
              {contracts.map(([name, address]) => (
                <Table.Tr key={name}>
                  <Table.Td>{name}</Table.Td>
                  <Table.Td>
                    <Code fz="xs">{address}</Code>
                  </Table.Td>
                </Table.Tr>
              ))}
            </Table.Tbody>
          </Table>
        )}
      </div>
      </TechnicalDetails>
    </Stack>
  );
}

function Workstation({ status }: { status: SystemStatus }): ReactElement {
  return (
    <DataList size="sm" gap={6} labelWidth={150}>
      <DataList.Item>
        <DataList.ItemLabel>Database file</DataList.ItemLabel>
        <DataList.ItemValue>
          <Code fz="xs" style={{ wordBreak: 'break-all' }}>
            {status.database.path}
          </Code>
        </DataList.ItemValue>
      </DataList.Item>
      <DataList.Item>
        <DataList.ItemLabel>Schema version</DataList.ItemLabel>
        <DataList.ItemValue>
          {status.database.schemaVersion} ({formatCount(status.database.migrations)} migrations, {formatBytes(status.database.sizeBytes)})
        </DataList.ItemValue>
      </DataList.Item>
      <DataList.Item>
        <DataList.ItemLabel>Application</DataList.ItemLabel>
        <DataList.ItemValue>
          Custodian {status.app.version} ({status.app.runtime === 'electron' ? 'desktop app' : status.app.runtime === 'browser' ? 'browser mode' : status.app.runtime})
        </DataList.ItemValue>
      </DataList.Item>
      <DataList.Item>
        <DataList.ItemLabel>Signed in as</DataList.ItemLabel>
        <DataList.ItemValue>
          {status.principal.name} ({humanizeRole(status.principal.role)})
        </DataList.ItemValue>
      </DataList.Item>
    </DataList>
  );
}

export function WorkstationPanel(): ReactElement {
  const { status, error, refetch } = useSystemStatus();
  const { can } = useSession();
  return (
    <>
      <Stack gap="md">
        {error && <ErrorBanner title="Could not read the current configuration" error={error} stale={!!status} onRetry={refetch} />}
        <SimpleGrid cols={{ base: 1, lg: 2 }} spacing="md">
          <Section
            title="Chain connection"
            id="settings-chain"
            aside={
              <Badge variant="outline" color="gray" size="sm">
                Read-only
              </Badge>
            }
          >
            {status ? <ChainConfiguration chain={status.chain} /> : <Skeleton height={120} />}
          </Section>
          <Section title="This workstation" id="settings-workstation">
            {status ? <Workstation status={status} /> : <Skeleton height={120} />}
          </Section>
        </SimpleGrid>
        {can('settings.configure') && (
          <Section title="Facility secret" id="settings-facility-secret">
            <FacilitySecretFingerprint />
          </Section>
        )}
        {/* Configuration vocabulary (RPC URL, chain id, keystore) is for whoever configures: records staff read none of it. */}
        {can('settings.configure') && (
        <Section title="How a deployment is configured" id="settings-howto">
          <Stack gap="xs">
            <Text size="sm">
              These values cannot be changed from the console yet. An IT administrator sets them before Custodian starts,
              in the <Code>config.json</Code> file inside the data folder or through <Code>CUSTODIAN_*</Code> environment
              variables (environment variables win):
            </Text>
            <List size="sm" spacing={2}>
              <List.Item>
                <b>RPC URL</b> — the network's JSON-RPC endpoint; without one, Custodian runs its embedded devnet.
              </List.Item>
              <List.Item>
                <b>Chain id</b> — checked against the node at every connection; a different id stops all sending.
              </List.Item>
              <List.Item>
                <b>Contract addresses</b> — the deployed consent ledger, audit anchor and credential registry.
              </List.Item>
              <List.Item>
                <b>Signer</b> — an encrypted keystore file, unlocked by a passphrase from the environment or, in the desktop
                app, once below so that the operating system keychain keeps the key.
              </List.Item>
            </List>
            <Text size="sm">
              Restart Custodian after a change. For the exact file format and variable names, see{' '}
              <b>README: Configuration</b>.
            </Text>
          </Stack>
        </Section>
        )}
      </Stack>
    </>
  );
}

