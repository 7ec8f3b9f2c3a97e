// A FHIR export while it runs and once done: the export is a worker job in main, so this follows its pushed
// progress (done of total, rate, time left), offers Cancel, and links the finished NDJSON file for download.
import { Alert, Button, Group, Progress, Stack, Text } from '@mantine/core';
import { useEffect, useState, type ReactElement } from 'react';
import type { ConsentExport } from '../../../../main/api/consents';
import type { JobProgress } from '../../../../main/api/events';
import type { JobState } from '../../../../main/api/system';
import { ApiCallError, invoke, subscribe } from '../../api/client';
import { ErrorBanner } from '../../components/ErrorBanner';
import { formatBytes, formatCount, formatDuration } from '../../components/format';
import { DownloadButton } from '../Imports/DownloadButton';

export interface StartedExport {
  exportId: string;
  what: string;
}

const FINISHED: ReadonlySet<JobState> = new Set(['succeeded', 'failed', 'cancelled', 'interrupted']);

export function ConsentExportPanel({ started, onClose }: { started: StartedExport; onClose: () => void }): ReactElement {
  const [progress, setProgress] = useState<JobProgress | null>(null);
  const [info, setInfo] = useState<ConsentExport | null>(null);
  const [error, setError] = useState<ApiCallError | null>(null);
  const [cancelling, setCancelling] = useState(false);
  const state: JobState = info?.state ?? progress?.state ?? 'running';
  const finished = FINISHED.has(state);

  useEffect(() => {
    let live = true;
    const read = () =>
      invoke('consents.exportGet', { exportId: started.exportId }).then(
        (value) => live && setInfo(FINISHED.has(value.state) ? value : null),
        (err: unknown) => live && setError(err instanceof ApiCallError ? err : new ApiCallError('consents.exportGet', 'INTERNAL', String(err))),
      );
    const off = subscribe('job.progress', (p) => {
      if (p.jobId !== started.exportId) return;
      // Never backwards: a late message must not undo a newer one.
      setProgress((prev) => (prev && prev.done > p.done && !FINISHED.has(p.state) ? prev : p));
      if (FINISHED.has(p.state)) void read();
    });
    // The job may have finished before this subscription: read its state once too.
    void read();
    return () => {
      live = false;
      off();
    };
  }, [started.exportId]);

  const cancel = async (): Promise<void> => {
    setCancelling(true);
    try {
      await invoke('consents.exportCancel', { exportId: started.exportId });
    } catch (err) {
      setError(err instanceof ApiCallError ? err : new ApiCallError('consents.exportCancel', 'INTERNAL', String(err)));
      setCancelling(false);
    }
  };

  const done = progress?.done ?? 0;
  const total = progress?.total ?? null;
  const percent = total ? Math.min(100, (done / total) * 100) : null;
  const color = state === 'succeeded' ? 'teal' : state === 'running' || state === 'queued' ? 'blue' : state === 'cancelled' ? 'gray' : 'red';
  const title = state === 'succeeded' ? 'FHIR export ready' : state === 'cancelled' ? 'FHIR export cancelled' : finished ? 'FHIR export failed' : 'Exporting consents as FHIR…';
  return (
    <Alert
      color={color}
      variant="light"
      title={title}
      withCloseButton={finished}
      closeButtonLabel="Dismiss"
      onClose={onClose}
      data-testid="consents-export-result"
      data-state={state}
      data-count={info?.count ?? ''}
    >
      <Stack gap={6}>
        {!finished && (
          <>
            <Progress
              value={percent ?? 100}
              striped
              animated
              size="lg"
              aria-label={`Progress of the FHIR export (${started.what})`}
              aria-valuetext={total ? `${formatCount(done)} of ${formatCount(total)} consents` : 'counting'}
              data-testid="consents-export-progress"
            />
            <Group justify="space-between" wrap="nowrap">
              <Text size="sm" style={{ fontVariantNumeric: 'tabular-nums' }}>
                {total !== null ? `${formatCount(done)} of ${formatCount(total)} consents` : 'Counting the consents to export…'}
                {progress && progress.rate > 0 ? ` · ${formatCount(Math.round(progress.rate))}/s` : ''}
                {progress?.etaSeconds ? ` · about ${formatDuration(progress.etaSeconds)} left` : ''}
              </Text>
              <Button size="xs" variant="default" color="red" onClick={() => void cancel()} loading={cancelling} data-testid="consents-export-cancel">
                Cancel
              </Button>
            </Group>
          </>
        )}
        {state === 'succeeded' && info && (
          <>
            <Text size="sm">
              {formatCount(info.count)} FHIR R4 Consent {info.count === 1 ? 'resource' : 'resources'} ({started.what}; superseded versions are left out) written as
              NDJSON: <strong data-testid="consents-export-file">{info.fileName}</strong>
              {info.sizeBytes !== null ? ` (${formatBytes(info.sizeBytes)})` : ''}.
            </Text>
            <Group gap="xs">
              <DownloadButton kind="export" id={info.exportId} label="Download NDJSON" ariaLabel={`Download ${info.fileName}`} testId="consents-export-download" variant="filled" />
            </Group>
            <Text size="xs" c="dimmed">
              The file holds patient identifiers: keep it where patient records may be kept. Each download is recorded in the audit trail.
            </Text>
          </>
        )}
        {state === 'cancelled' && <Text size="sm">Stopped on request; no file was kept.</Text>}
        {(state === 'failed' || state === 'interrupted') && <Text size="sm">{info?.error ?? 'The export stopped before it finished; no file was kept. Start it again.'}</Text>}
        {error && <ErrorBanner title="Could not follow the export" error={error} />}
      </Stack>
    </Alert>
  );
}
