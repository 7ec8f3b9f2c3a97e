import { Badge, Code, DataList } from '@mantine/core';
import type { ReactElement } from 'react';
import type { DatabaseStatus } from '../../../../main/api/system';
import { formatBytes, formatCount } from '../../components/format';
import { DatabaseIcon } from '../../components/icons';
import { StatusCard } from '../../components/StatusCard';

export function DatabaseCard({ database, loading }: { database: DatabaseStatus | undefined; loading: boolean }): ReactElement {
  return (
    <StatusCard
      title="Database"
      icon={<DatabaseIcon size={16} />}
      loading={loading || !database}
      testId="card-database"
      badge={
        <Badge color="teal" variant="light" size="sm">
          Open
        </Badge>
      }
    >
      {database && (
        <DataList size="sm" gap={6} labelWidth={110}>
          <DataList.Item>
            <DataList.ItemLabel>File</DataList.ItemLabel>
            <DataList.ItemValue>
              <Code fz="xs" style={{ wordBreak: 'break-all' }} data-testid="dashboard-db-path">
                {database.path}
              </Code>
            </DataList.ItemValue>
          </DataList.Item>
          <DataList.Item>
            <DataList.ItemLabel>Schema version</DataList.ItemLabel>
            <DataList.ItemValue data-testid="dashboard-schema-version">{database.schemaVersion}</DataList.ItemValue>
          </DataList.Item>
          <DataList.Item>
            <DataList.ItemLabel>Migrations</DataList.ItemLabel>
            <DataList.ItemValue>{formatCount(database.migrations)} applied</DataList.ItemValue>
          </DataList.Item>
          <DataList.Item>
            <DataList.ItemLabel>Size on disk</DataList.ItemLabel>
            <DataList.ItemValue>{formatBytes(database.sizeBytes)}</DataList.ItemValue>
          </DataList.Item>
        </DataList>
      )}
    </StatusCard>
  );
}
