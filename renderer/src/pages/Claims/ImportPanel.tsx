// Bulk claims: start an import of a CSV chosen or dropped here (uploaded, or picked in main's dialog; the page holds
// its id, never a path) as a job in main, and the recent runs with their counts. The format: claim_id,facility,mrn,rendering_npi,payer_id,service_date,codes,amount.
import { Button, Code, Group, Paper, Stack, Table, Text } from '@mantine/core';
import type { IncomingFile } from '../../../../main/api/imports';
import { useState, type FormEvent, type ReactElement } from 'react';
import { ApiCallError, invoke } from '../../api/client';
import { useApiQuery } from '../../api/hooks';
import { ErrorBanner } from '../../components/ErrorBanner';
import { ImportFileChooser } from '../Imports/ImportFileChooser';

export function ImportPanel({ mayImport }: { mayImport: boolean }): ReactElement {
  const runs = useApiQuery('claims.importRuns', { limit: 20 }, { refreshMs: 1500 });
  const [chosen, setChosen] = useState<IncomingFile | null>(null);
  const [error, setError] = useState<ApiCallError | null>(null);
  const [pending, setPending] = useState(false);

  const start = (e: FormEvent): void => {
    e.preventDefault();
    if (!chosen) return;
    setPending(true);
    setError(null);
    invoke('claims.import', { uploadId: chosen.uploadId })
      .then(() => {
        setChosen(null);
        return runs.refetch();
      })
      .catch((err: unknown) => setError(err instanceof ApiCallError ? err : new ApiCallError('claims.import', 'INTERNAL', String(err))))
      .finally(() => setPending(false));
  };

  return (
    <Stack gap="md">
      {mayImport && (
        <Paper withBorder p="md" component="form" onSubmit={start} aria-label="Import claims">
          <Group align="flex-end">
            <Stack gap={4} style={{ flex: 1 }}>
              <ImportFileChooser chosen={chosen} onChosen={setChosen} label="Claims CSV file" accept=".csv,.txt,.json,.ndjson,.jsonl" kinds="a claims CSV file or FHIR R4 Claim resources (NDJSON or Bundle JSON)" idPrefix="claims-import" />
              <Text size="xs" c="dimmed">
                Header: <Code>claim_id,facility,mrn,rendering_npi,payer_id,service_date,codes,amount</Code>
              </Text>
            </Stack>
            <Button type="submit" loading={pending} disabled={chosen === null} data-testid="claims-import-start">
              Import
            </Button>
          </Group>
        </Paper>
      )}
      {error && <ErrorBanner error={error} title="The import could not start" />}
      {runs.error && <ErrorBanner error={runs.error} title="Could not load claim imports" stale={runs.data !== undefined} />}
      <Table striped withTableBorder data-testid="claims-import-runs" aria-label="Claim import runs">
        <Table.Thead>
          <Table.Tr>
            <Table.Th>Run</Table.Th>
            <Table.Th>File</Table.Th>
            <Table.Th>State</Table.Th>
            <Table.Th>Rows</Table.Th>
            <Table.Th>Pass</Table.Th>
            <Table.Th>Fail</Table.Th>
            <Table.Th>Unchanged</Table.Th>
            <Table.Th>Rejected</Table.Th>
          </Table.Tr>
        </Table.Thead>
        <Table.Tbody>
          {(runs.data ?? []).map((r) => (
            <Table.Tr key={r.id} data-testid="claims-import-run" data-state={r.state}>
              <Table.Td>{r.id}</Table.Td>
              <Table.Td>{r.fileName}</Table.Td>
              <Table.Td>{r.state}</Table.Td>
              <Table.Td>{r.rowsRead}</Table.Td>
              <Table.Td>{r.passed}</Table.Td>
              <Table.Td>{r.failed}</Table.Td>
              <Table.Td>{r.duplicate}</Table.Td>
              <Table.Td title={r.rejectsPath ?? undefined}>{r.rejected}</Table.Td>
            </Table.Tr>
          ))}
        </Table.Tbody>
      </Table>
      {runs.data?.length === 0 && <Text size="sm" c="dimmed">No claim imports yet.</Text>}
    </Stack>
  );
}
