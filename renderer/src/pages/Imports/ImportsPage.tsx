// Imports: bring consents in from CSV and FHIR files. Preview a file's mapping, run a dry run or the import in the
// background (progress pushed as job.progress; cancel at any time), read its summary and rejects, resume an
// interrupted run, and browse the history. The page can be left while an import runs and shows it on return.
import { Badge, Button, Center, CloseButton, Group, Loader, Paper, Stack, Text, Title } from '@mantine/core';
import { useEffect, useRef, useState, type ReactElement } from 'react';
import type { ImportRunSummary } from '../../../../main/api/imports';
import { ApiCallError, invoke } from '../../api/client';
import { useApiQuery } from '../../api/hooks';
import { useSession } from '../../auth/SessionContext';
import { ErrorBanner } from '../../components/ErrorBanner';
import { formatDateTime } from '../../components/format';
import { ImportsIcon } from '../../components/icons';
import { LoadMoreFooter } from '../../components/LoadMoreFooter';
import { PageHeader } from '../../components/PageHeader';
import { navigate, useLocation } from '../../shell/router';
import type { PageDefinition } from '../types';
import { ImportHistory } from './ImportHistory';
import { NewImportPanel } from './NewImportPanel';
import { RunProgress, StateBadge } from './RunProgress';
import { describeStarter, effectiveState, isFinished, isResumable, type LiveProgress } from './runProgress';
import { RunSummary } from './RunSummary';
import { useImportRuns } from './useImportRuns';

function asError(channel: 'imports.resume' | 'imports.start' | 'jobs.cancel', err: unknown): ApiCallError {
  return err instanceof ApiCallError ? err : new ApiCallError(channel, 'INTERNAL', String(err));
}

interface RunPanelProps {
  run: ImportRunSummary;
  live: LiveProgress | undefined;
  me: { id: string; name: string } | null;
  mayRun: boolean;
  /** imports.run and patients.view: the rejects file holds identity. */
  mayDownload: boolean;
  onClose: () => void;
  onStarted: (started: { runId: number; jobId: string }) => void;
}

function RunPanel({ run, live, me, mayRun, mayDownload, onClose, onStarted }: RunPanelProps): ReactElement {
  const state = effectiveState(run, live);
  const finished = isFinished(state);
  // The panel opens above the form and the history: bring it into view (after starting, or picking a past run).
  const panelRef = useRef<HTMLDivElement>(null);
  useEffect(() => {
    // Braces: newer Chromium returns a promise from scrollIntoView, which React would take for a cleanup.
    void panelRef.current?.scrollIntoView({ block: 'nearest' });
  }, []);
  const detail = useApiQuery('imports.get', { runId: run.id }, { enabled: finished });
  const { refetch } = detail;
  // The list may lag the pushed end of a run by a moment: read the run itself again once it has finished.
  useEffect(() => {
    if (finished) refetch();
  }, [finished, refetch]);
  const shown: ImportRunSummary = detail.data && detail.data.id === run.id && finished ? detail.data : run;

  const [action, setAction] = useState<{ pending: 'cancel' | 'resume' | 'again' | null; error: ApiCallError | null; cancelRequested: boolean }>({
    pending: null,
    error: null,
    cancelRequested: false,
  });
  const cancel = async (): Promise<void> => {
    if (!run.jobId) return;
    setAction({ pending: 'cancel', error: null, cancelRequested: false });
    try {
      const r = await invoke('jobs.cancel', { jobId: run.jobId });
      setAction({ pending: null, error: null, cancelRequested: r.cancelled });
    } catch (err) {
      setAction({ pending: null, error: asError('jobs.cancel', err), cancelRequested: false });
    }
  };
  const resume = async (): Promise<void> => {
    setAction({ pending: 'resume', error: null, cancelRequested: false });
    try {
      onStarted(await invoke('imports.resume', { runId: run.id }));
      setAction({ pending: null, error: null, cancelRequested: false });
    } catch (err) {
      setAction({ pending: null, error: asError('imports.resume', err), cancelRequested: false });
    }
  };
  const again = async (dryRun: boolean): Promise<void> => {
    setAction({ pending: 'again', error: null, cancelRequested: false });
    try {
      onStarted(await invoke('imports.start', { rerunOf: run.id, format: run.format, dryRun }));
      setAction({ pending: null, error: null, cancelRequested: false });
    } catch (err) {
      setAction({ pending: null, error: asError('imports.start', err), cancelRequested: false });
    }
  };

  const actions = mayRun && finished && (
    <Group gap="sm">
      {isResumable(state) && (
        <Button color="orange" onClick={() => void resume()} loading={action.pending === 'resume'} data-testid="import-resume-selected">
          Resume from checkpoint
        </Button>
      )}
      {run.dryRun && state === 'succeeded' && (
        <Button onClick={() => void again(false)} loading={action.pending === 'again'} data-testid="import-after-dry-run">
          Import this file
        </Button>
      )}
      {(state === 'cancelled' || state === 'failed' || (!run.dryRun && state === 'succeeded')) &&
        (run.fileKept ? (
          <Button variant="default" onClick={() => void again(run.dryRun)} loading={action.pending === 'again'} data-testid="import-run-again">
            {run.dryRun ? 'Dry-run the file again' : 'Import the file again'}
          </Button>
        ) : (
          <Text size="sm" c="dimmed" data-testid="import-file-gone">
            The file is no longer kept (an upload is removed once its import commits): choose it again above to import it again.
          </Text>
        ))}
    </Group>
  );

  return (
    <Paper ref={panelRef} withBorder radius="md" p="md" data-testid="import-run" data-run-id={run.id} data-state={state}>
      <Stack gap="sm">
        <Group justify="space-between" wrap="nowrap" align="flex-start">
          <Stack gap={2}>
            <Group gap="xs">
              <Title order={2} fz="h5">
                {run.dryRun ? 'Dry run' : 'Import'} #{run.id}: {run.fileName}
              </Title>
              <StateBadge state={state} dryRun={run.dryRun} />
              {run.dryRun && (
                <Badge size="sm" variant="outline" color="gray" tt="none">
                  nothing written
                </Badge>
              )}
            </Group>
            <Text size="xs" c="dimmed" style={{ wordBreak: 'break-all' }}>
              {run.format.toUpperCase()} · {run.filePath} · started {formatDateTime(run.createdAt)} by {describeStarter(run.startedBy, me)}
              {run.finishedAt ? ` · finished ${formatDateTime(run.finishedAt)}` : ''}
            </Text>
          </Stack>
          <CloseButton aria-label="Close this summary" onClick={onClose} />
        </Group>
        {action.error && <ErrorBanner title="That did not work" error={action.error} />}
        {!finished && (
          <RunProgress
            run={run}
            state={state}
            live={live}
            onCancel={mayRun && run.jobId ? () => void cancel() : null}
            cancelPending={action.pending === 'cancel'}
            cancelRequested={action.cancelRequested}
          />
        )}
        {finished && (
          <>
            {detail.error && <ErrorBanner title="Could not read the details of this run" error={detail.error} onRetry={refetch} />}
            <RunSummary run={shown} state={state} detail={detail.data?.id === run.id ? detail.data : undefined} actions={actions} mayDownload={mayDownload} />
          </>
        )}
      </Stack>
    </Paper>
  );
}

function ImportsPage(): ReactElement {
  const { sub } = useLocation();
  const { principal, can } = useSession();
  const mayRun = can('imports.run');
  // The rejects file holds rows as read (names, MRNs): main refuses it without patients.view (minimum necessary).
  const mayDownloadRejects = mayRun && can('patients.view');
  const me = principal ? { id: principal.id, name: principal.name } : null;
  const history = useImportRuns();
  const { runs, live, reload } = history;

  // The run shown above the history: the one in the address (#/imports/12), else one still running when the page
  // opens (so leaving and coming back during an import shows its progress again).
  const subId = /^\d+$/.test(sub) ? Number(sub) : null;
  const [followId, setFollowId] = useState<number | null>(null);
  const activeRun = runs.find((r) => !isFinished(effectiveState(r, r.jobId ? live[r.jobId] : undefined)));
  useEffect(() => {
    if (subId === null && followId === null && activeRun) setFollowId(activeRun.id);
  }, [subId, followId, activeRun]);
  const selectedId = subId ?? followId;
  const selected = selectedId === null ? undefined : runs.find((r) => r.id === selectedId);

  const select = (id: number | null): void => {
    setFollowId(null);
    navigate('imports', id === null ? undefined : String(id));
  };
  const onStarted = (started: { runId: number; jobId: string }): void => {
    reload();
    select(started.runId);
  };

  const [resume, setResume] = useState<{ id: number | null; error: ApiCallError | null }>({ id: null, error: null });
  const resumeRun = async (run: ImportRunSummary): Promise<void> => {
    setResume({ id: run.id, error: null });
    try {
      onStarted(await invoke('imports.resume', { runId: run.id }));
      setResume({ id: null, error: null });
    } catch (err) {
      setResume({ id: null, error: asError('imports.resume', err) });
    }
  };

  const interrupted = runs.filter((r) => effectiveState(r, r.jobId ? live[r.jobId] : undefined) === 'interrupted');

  return (
    <>
      <PageHeader
        title={importsPage.label}
        description={importsPage.description}
        permission={importsPage.permission}
        actions={
          <Button variant="default" onClick={reload} data-testid="import-refresh">
            Refresh
          </Button>
        }
      />
      <Stack gap="md">
        {mayRun && interrupted.length > 0 && (
          <Paper withBorder radius="md" p="sm" bg="orange.0" data-testid="import-interrupted-notice">
            <Group justify="space-between">
              <Text size="sm">
                {interrupted.length === 1
                  ? `Import #${interrupted[0]!.id} (${interrupted[0]!.fileName}) was interrupted when Custodian stopped. Resume it to finish from its last checkpoint.`
                  : `${interrupted.length} imports were interrupted when Custodian stopped. Resume them from the history below.`}
              </Text>
              {interrupted.length === 1 && (
                <Button color="orange" onClick={() => void resumeRun(interrupted[0]!)} loading={resume.id === interrupted[0]!.id} data-testid="import-resume-interrupted">
                  Resume
                </Button>
              )}
            </Group>
          </Paper>
        )}
        {resume.error && <ErrorBanner title="Could not resume" error={resume.error} />}
        {selected && <RunPanel key={selected.id} run={selected} live={selected.jobId ? live[selected.jobId] : undefined} me={me} mayRun={mayRun} mayDownload={mayDownloadRejects} onClose={() => select(null)} onStarted={onStarted} />}
        {mayRun && <NewImportPanel onStarted={onStarted} />}
        {selectedId !== null && !selected && !history.loading && (
          <Text size="sm" c="dimmed">
            Import #{selectedId} is not in the history shown below.
          </Text>
        )}

        <Stack gap="xs">
          <Group justify="space-between">
            <Title order={2} fz="h5">
              History
            </Title>
            {history.active && (
              <Group gap={6}>
                <Loader size={12} />
                <Text size="xs" c="dimmed">
                  An import is running; this list follows it.
                </Text>
              </Group>
            )}
          </Group>
          {history.error && <ErrorBanner title="Could not read the history of imports" error={history.error} stale={runs.length > 0} onRetry={reload} />}
          {history.loading && (
            <Center py="lg" data-testid="import-history-loading">
              <Group gap="sm">
                <Loader size="sm" />
                <Text size="sm">Reading the history…</Text>
              </Group>
            </Center>
          )}
          {!history.loading && !history.error && runs.length === 0 && (
            <Paper withBorder p="lg" radius="md" ta="center" data-testid="import-history-empty">
              <Text size="sm" fw={600}>
                No imports yet.
              </Text>
              <Text size="sm" c="dimmed">
                {mayRun
                  ? 'Choose or drop a CSV or FHIR file above, preview it, then run a dry run or the import. Each run is listed here with its counts and rejects.'
                  : 'Imports run by records managers and IT administrators are listed here with their counts and rejects.'}
              </Text>
            </Paper>
          )}
          {runs.length > 0 && (
            <ImportHistory
              runs={runs}
              live={live}
              selectedId={selectedId}
              me={me}
              onSelect={(run) => select(run.id)}
              onResume={mayRun ? (run) => void resumeRun(run) : null}
              mayDownloadRejects={mayDownloadRejects}
              resumingId={resume.id}
            />
          )}
          <LoadMoreFooter hasMore={history.hasMore} loading={history.loadingMore} onLoadMore={history.loadMore} label="Show older entries" testId="import-history-more" />
        </Stack>
      </Stack>
    </>
  );
}

export const importsPage: PageDefinition = {
  id: 'imports',
  label: 'Imports',
  description: 'Bring consents in from CSV and FHIR files: preview the mapping, dry-run, import in the background with progress, read rejects, resume.',
  section: 'Records',
  icon: ImportsIcon,
  permission: 'imports.view',
  Component: ImportsPage,
};
