// The outcome of one import: what was accepted, updated, refused and skipped, where the rejects file is, and the
// first refused rows with their column and reason. A dry run says what an import would do and wrote nothing.
import { Alert, Badge, Code, Group, Paper, SimpleGrid, Stack, Table, Text } from '@mantine/core';
import type { ReactElement, ReactNode } from 'react';
import type { ImportRunDetail, ImportRunSummary } from '../../../../main/api/imports';
import { CopyText } from '../../components/CopyText';
import { DownloadButton } from './DownloadButton';
import { formatCount } from '../../components/format';
import { failureAdvice, splitReason, type RunState } from './runProgress';

function Count({ label, value, testId, color, hint }: { label: string; value: number; testId: string; color?: string; hint: string }): ReactElement {
  return (
    <Paper withBorder p="xs" radius="sm" data-testid={testId} data-value={value} title={hint}>
      <Text size="xs" c="dimmed">
        {label}
      </Text>
      <Text fz="xl" fw={700} c={value > 0 ? color : undefined} style={{ fontVariantNumeric: 'tabular-nums' }}>
        {formatCount(value)}
      </Text>
    </Paper>
  );
}

function RejectReason({ reason }: { reason: string }): ReactElement {
  const parts = splitReason(reason);
  return (
    <Stack gap={2}>
      {parts.map((p, i) => (
        <Group key={i} gap={6} wrap="nowrap" align="baseline">
          {p.column && (
            <Code fz="xs" c="var(--custodian-text-danger)" style={{ whiteSpace: 'nowrap' }}>
              {p.column}
            </Code>
          )}
          <Text size="xs">{p.reason}</Text>
        </Group>
      ))}
    </Stack>
  );
}

export function SampleRejects({ rejects, total, fhir }: { rejects: ImportRunDetail['sampleRejects']; total: number; fhir: boolean }): ReactElement | null {
  if (rejects.length === 0) return null;
  const noun = fhir ? 'resources' : 'rows';
  return (
    <Stack gap={4}>
      <Text size="sm" fw={600}>
        {rejects.length < total ? `The first ${formatCount(rejects.length)} of ${formatCount(total)} refused ${noun}` : `Refused ${total === 1 ? noun.slice(0, -1) : noun}`}
      </Text>
      <Table withTableBorder verticalSpacing={4} horizontalSpacing={8} fz="xs" data-testid="import-rejects-table">
        <Table.Thead>
          <Table.Tr>
            <Table.Th w={90}>{fhir ? 'Resource' : 'Row'}</Table.Th>
            <Table.Th>{fhir ? 'Reason' : 'Column and reason'}</Table.Th>
          </Table.Tr>
        </Table.Thead>
        <Table.Tbody>
          {rejects.map((r) => (
            <Table.Tr key={r.row} data-testid="import-reject-row" data-row={r.row}>
              <Table.Td style={{ fontVariantNumeric: 'tabular-nums', verticalAlign: 'top' }}>{formatCount(r.row)}</Table.Td>
              <Table.Td>
                <RejectReason reason={r.reason} />
              </Table.Td>
            </Table.Tr>
          ))}
        </Table.Tbody>
      </Table>
      <Text size="xs" c="dimmed">
        {fhir
          ? 'Resources are numbered from 1 in file order (NDJSON lines or Bundle entries).'
          : 'Row numbers count data rows from 1 (the header is not counted); the rejects file also gives each row’s line in the file.'}
      </Text>
    </Stack>
  );
}

export function RejectsFile({ runId, path, rejected, fhir, mayDownload }: { runId: number; path: string; rejected: number; fhir: boolean; mayDownload: boolean }): ReactElement {
  return (
    <Stack gap={4} data-testid="import-rejects-file">
      <Text size="sm">
        {rejected === 0
          ? `Nothing was refused; the rejects file is empty${fhir ? '' : ' apart from its header'}:`
          : fhir
            ? 'The refused resources, one JSON object per line with the resource number, the reason and the original, are in:'
            : 'The refused rows, exactly as read, with their row, line and reason (columns reject_row, reject_line, reject_reason), are in:'}
      </Text>
      <Group gap="xs" wrap="nowrap">
        <Code fz="xs" style={{ wordBreak: 'break-all' }} data-testid="import-rejects-path">
          {path}
        </Code>
        <CopyText value={path} label="Copy path" testId="import-rejects-copy" />
      </Group>
      {mayDownload && <DownloadButton kind="rejects" id={runId} label="Download rejects" ariaLabel={`Download the rejects file of run ${runId}`} testId="import-rejects-download" />}
      <Text size="xs" c="dimmed">
        On the computer running Custodian{fhir ? '' : '; cells a spreadsheet could read as a formula start with an apostrophe'}. Fix what was refused and import
        the corrected file: what was already imported is recognised and skipped.
      </Text>
    </Stack>
  );
}

export interface RunSummaryProps {
  run: ImportRunSummary;
  state: RunState;
  detail: ImportRunDetail | undefined;
  actions?: ReactNode;
  /** Whether the signed-in role may download the rejects file (imports.run; main checks again). */
  mayDownload?: boolean;
}

export function RunSummary({ run, state, detail, actions, mayDownload = false }: RunSummaryProps): ReactElement {
  const error = run.error;
  const dry = run.dryRun;
  return (
    <Stack gap="sm" data-testid="import-summary" data-state={state}>
      {state === 'succeeded' && (
        <Alert color={run.rejected > 0 ? 'orange' : 'teal'} variant="light" py="xs" data-testid="import-summary-headline">
          <Text size="sm">
            {dry
              ? `Dry run of ${run.fileName}: nothing was written. ${formatCount(run.rowsRead)} ${run.format === 'fhir' ? 'resources' : 'rows'} checked; an import would add ${formatCount(run.accepted)}, update ${formatCount(run.updated)}, skip ${formatCount(run.duplicate)} already on file and refuse ${formatCount(run.rejected)}.`
              : `Imported ${run.fileName}: ${formatCount(run.rowsRead)} ${run.format === 'fhir' ? 'resources' : 'rows'} read, ${formatCount(run.consentsWritten)} consent${run.consentsWritten === 1 ? '' : 's'} written${run.rejected > 0 ? `, ${formatCount(run.rejected)} refused (see below)` : ''}.`}
          </Text>
        </Alert>
      )}
      {state === 'failed' && (
        <Alert color="red" variant="light" title={dry ? 'The dry run stopped' : 'The import stopped'} data-testid="import-failed" data-error-code={error?.code ?? undefined}>
          <Stack gap={4}>
            <Group gap="xs" align="baseline" wrap="nowrap">
              {error?.code && <Code c="var(--custodian-text-danger)">{error.code}</Code>}
              <Text size="sm">{error?.message ?? 'The job failed without a message.'}</Text>
            </Group>
            <Text size="xs" data-testid="import-failed-advice">
              {failureAdvice(error?.code ?? null, dry)}
            </Text>
          </Stack>
        </Alert>
      )}
      {state === 'interrupted' && (
        <Alert color="orange" variant="light" title="Interrupted" data-testid="import-interrupted">
          <Text size="sm">
            Custodian stopped while this {dry ? 'dry run' : 'import'} was running. {formatCount(run.rowsRead)} rows were committed; resuming continues from the last
            checkpoint and ends with exactly the rows a run without the interruption would have.
          </Text>
        </Alert>
      )}
      {state === 'cancelled' && (
        <Alert color="gray" variant="light" title="Cancelled" data-testid="import-cancelled">
          <Text size="sm">
            Stopped on request after {formatCount(run.rowsRead)} rows. {dry ? 'Nothing was written.' : 'The rows committed before the stop are kept; importing the same file again adds only the rest.'}
          </Text>
        </Alert>
      )}
      <SimpleGrid cols={{ base: 2, sm: 3, lg: 6 }} spacing="xs">
        <Count label={run.format === 'fhir' ? 'Resources read' : 'Rows read'} value={run.rowsRead} testId="import-count-read" hint="Data rows (CSV) or Consent resources (FHIR) read from the file" />
        <Count label={dry ? 'Would be added' : 'Accepted'} value={run.accepted} testId="import-count-accepted" color="teal.8" hint="New consents" />
        <Count label={dry ? 'Would update' : 'Updated'} value={run.updated} testId="import-count-updated" color="blue.8" hint="Same external id with new terms: the old version is superseded (or revoked when the source says it is no longer in force)" />
        <Count label="Skipped as duplicate" value={run.duplicate} testId="import-count-duplicate" hint="Already on file with the same terms: nothing written" />
        <Count label={dry ? 'Would be refused' : 'Rejected'} value={run.rejected} testId="import-count-rejected" color="red.8" hint="Refused rows: see the rejects file" />
        <Count label={dry ? 'Would be written' : 'Consents written'} value={run.consentsWritten} testId="import-count-written" hint={dry ? 'Consent rows an import would write (new consents and new versions of updated ones); a dry run writes none' : 'Consent rows written, including new versions of updated ones'} />
      </SimpleGrid>
      {detail && detail.ignoredColumns.length > 0 && (
        <Group gap={6}>
          <Text size="xs">Columns ignored (not consent columns):</Text>
          {detail.ignoredColumns.map((c) => (
            <Badge key={c} variant="outline" color="gray" size="sm" tt="none">
              {c}
            </Badge>
          ))}
        </Group>
      )}
      {run.rejectsPath && (run.rejected > 0 || isDone(state)) && <RejectsFile runId={run.id} path={run.rejectsPath} rejected={run.rejected} fhir={run.format === 'fhir'} mayDownload={mayDownload} />}
      {detail && <SampleRejects rejects={detail.sampleRejects} total={run.rejected} fhir={run.format === 'fhir'} />}
      {actions}
    </Stack>
  );
}

function isDone(state: RunState): boolean {
  return state === 'succeeded' || state === 'cancelled' || state === 'failed' || state === 'interrupted';
}
