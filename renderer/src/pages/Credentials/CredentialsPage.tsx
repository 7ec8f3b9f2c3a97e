// Credentials: the directory of healthcare professionals and whether their credentials hold up — signed by a
// registered issuer, in date, active on the registry. Verify one or all, import a roster, suspend or revoke.
import { Button, Code, Group, NativeSelect, Paper, Skeleton, Stack, Text, TextInput } from '@mantine/core';
import { useDebouncedValue } from '@mantine/hooks';
import { useEffect, useMemo, useState, type ReactElement } from 'react';
import {
  CREDENTIAL_VERDICTS,
  type CredentialVerdict,
  type CredentialView,
  type ProviderStanding,
  type ProviderSummary,
  type StatusChangeResult,
} from '../../../../main/api/credentials';
import { ApiCallError, invoke } from '../../api/client';
import { useApiQuery } from '../../api/hooks';
import { useSession } from '../../auth/SessionContext';
import { ErrorBanner } from '../../components/ErrorBanner';
import { LoadMoreFooter } from '../../components/LoadMoreFooter';
import { formatCount } from '../../components/format';
import { CredentialsIcon } from '../../components/icons';
import { PageHeader } from '../../components/PageHeader';
import { navigate, useLocation } from '../../shell/router';
import type { PageDefinition } from '../types';
import { RosterImportDialog, StatusChangeDialog, type StatusChangeTarget } from './CredentialDialogs';
import { checkLabel, STANDING_VIEW, STATUS_ACTION_VIEW, VERDICT_VIEW, type StatusAction } from './credentialLabels';
import { DirectoryTable } from './DirectoryTable';
import { JobPanel } from './JobPanel';
import { RosterImportSummary, VerifyAllSummary } from './JobSummaries';
import { ProviderDrawer } from './ProviderDrawer';
import { RosterHistory } from './RosterHistory';
import { ROSTER_IMPORT_KIND, useCredentialJobs, VERIFY_ALL_KIND } from './useCredentialJobs';

const PAGE_SIZE = 50;
// providers.list is audited: searching waits for a pause in typing rather than reading on every key.
const SEARCH_DEBOUNCE_MS = 450;
const STANDINGS = Object.keys(STANDING_VIEW) as ProviderStanding[];

interface Filter {
  search: string;
  standing: ProviderStanding | '';
  verdict: CredentialVerdict | '';
}

function asError(channel: 'credentials.verifyAll' | 'jobs.cancel' | 'providers.list', err: unknown): ApiCallError {
  return err instanceof ApiCallError ? err : new ApiCallError(channel, 'INTERNAL', String(err));
}

function CredentialsPage(): ReactElement {
  const { can } = useSession();
  const { query } = useLocation();

  // --- Directory: first page polled never (audited), read again after imports, verifications and changes. ---
  const [filter, setFilter] = useState<Filter>({ search: '', standing: '', verdict: '' });
  const [debouncedSearch] = useDebouncedValue(filter.search.trim(), SEARCH_DEBOUNCE_MS);
  const listInput = useMemo(
    () => ({
      limit: PAGE_SIZE,
      ...(debouncedSearch ? { search: debouncedSearch } : {}),
      ...(filter.standing ? { standing: filter.standing } : {}),
      ...(filter.verdict ? { verdict: filter.verdict } : {}),
    }),
    [debouncedSearch, filter.standing, filter.verdict],
  );
  const first = useApiQuery('providers.list', listInput);
  const settings = useApiQuery('credentials.settings', {});
  const [more, setMore] = useState<{ key: number | null; providers: ProviderSummary[]; nextCursor: string | null }>({ key: null, providers: [], nextCursor: null });
  const [loadingMore, setLoadingMore] = useState(false);
  const [moreError, setMoreError] = useState<ApiCallError | null>(null);
  const extra = more.key === first.updatedAt ? more : null;
  const providers = [...(first.data?.providers ?? []), ...(extra?.providers ?? [])];
  const nextCursor = extra ? extra.nextCursor : (first.data?.nextCursor ?? null);
  const loadMore = async (): Promise<void> => {
    if (!nextCursor) return;
    setLoadingMore(true);
    setMoreError(null);
    try {
      const page = await invoke('providers.list', { ...listInput, cursor: nextCursor });
      setMore({ key: first.updatedAt, providers: [...(extra?.providers ?? []), ...page.providers], nextCursor: page.nextCursor });
    } catch (err) {
      setMoreError(asError('providers.list', err));
    } finally {
      setLoadingMore(false);
    }
  };
  const filtered = filter.search.trim() !== '' || filter.standing !== '' || filter.verdict !== '';

  // --- Provider drawer follows the address (#/credentials?provider=12): the dashboard links to it. ---
  const providerParam = Number(query.get('provider'));
  const providerId = Number.isSafeInteger(providerParam) && providerParam > 0 ? providerParam : null;
  const [drawerVersion, setDrawerVersion] = useState(0);
  const [drawerNotice, setDrawerNotice] = useState<{ text: string; outboxId: number | null } | null>(null);
  const openProvider = (id: number): void => {
    setDrawerNotice(null);
    navigate('credentials', undefined, { provider: String(id) });
  };

  // --- Jobs: bulk verification and roster import. ---
  const jobs = useCredentialJobs();
  const verifyJob = jobs.latest[VERIFY_ALL_KIND];
  const importJob = jobs.latest[ROSTER_IMPORT_KIND];
  const [shownJobs, setShownJobs] = useState<Set<string>>(new Set());
  const [dismissed, setDismissed] = useState<Set<string>>(new Set());
  const visible = (job: typeof verifyJob): boolean => !!job && !dismissed.has(job.id) && (shownJobs.has(job.id) || (job.state !== 'succeeded' && job.state !== 'failed' && job.state !== 'cancelled' && job.state !== 'interrupted'));
  const refetchDirectory = first.refetch;
  const [importsEnded, setImportsEnded] = useState(0);
  jobs.onFinished((job) => {
    if (job.kind === ROSTER_IMPORT_KIND) setImportsEnded((n) => n + 1);
    refetchDirectory();
    setDrawerVersion((v) => v + 1);
  });
  // A job seen running (here or elsewhere) keeps its panel after it ends, until dismissed.
  useEffect(() => {
    for (const job of [verifyJob, importJob]) {
      if (job && !shownJobs.has(job.id) && (job.state === 'running' || job.state === 'queued')) setShownJobs((prev) => new Set(prev).add(job.id));
    }
  }, [verifyJob, importJob, shownJobs]);

  const [startingVerify, setStartingVerify] = useState(false);
  const [actionError, setActionError] = useState<{ title: string; error: ApiCallError } | null>(null);
  const verifyAll = async (): Promise<void> => {
    setStartingVerify(true);
    setActionError(null);
    try {
      const job = await invoke('credentials.verifyAll', { onlyDue: false });
      setShownJobs((prev) => new Set(prev).add(job.id));
      jobs.track(job);
    } catch (err) {
      setActionError({ title: 'Verify all did not start', error: asError('credentials.verifyAll', err) });
    } finally {
      setStartingVerify(false);
    }
  };
  const [cancelling, setCancelling] = useState<string | null>(null);
  const cancel = async (jobId: string): Promise<void> => {
    setCancelling(jobId);
    try {
      await invoke('jobs.cancel', { jobId });
    } catch (err) {
      setActionError({ title: 'The job was not cancelled', error: asError('jobs.cancel', err) });
    } finally {
      setCancelling(null);
    }
  };

  const [importOpen, setImportOpen] = useState(false);
  // Roster jobs started here as a dry run (the job row does not say; the dialog does).
  const [checkJobs, setCheckJobs] = useState<Set<string>>(new Set());
  const [statusTarget, setStatusTarget] = useState<StatusChangeTarget | null>(null);
  const onStatusChanged = (result: StatusChangeResult, action: StatusAction): void => {
    setStatusTarget(null);
    const c = result.credential;
    setDrawerNotice({
      text: `${STATUS_ACTION_VIEW[action].done}: ${c.typeLabel} ${c.number} now reads “${checkLabel(c.check)}”. The change is queued for the chain.`,
      outboxId: result.outboxId,
    });
    setDrawerVersion((v) => v + 1);
    refetchDirectory();
  };

  const verifyRunning = !!verifyJob && (verifyJob.state === 'running' || verifyJob.state === 'queued');
  const importRunning = !!importJob && (importJob.state === 'running' || importJob.state === 'queued');

  return (
    <>
      <PageHeader
        title={credentialsPage.label}
        description={credentialsPage.description}
        permission={credentialsPage.permission}
        actions={
          <Group gap="xs" wrap="nowrap">
            {can('imports.run') && (
              <Button size="xs" variant="default" onClick={() => setImportOpen(true)} disabled={importRunning} data-testid="credentials-import">
                Import roster…
              </Button>
            )}
            {can('credentials.verify') && (
              <Button size="xs" onClick={() => void verifyAll()} loading={startingVerify} disabled={verifyRunning} data-testid="credentials-verify-all">
                {verifyRunning ? 'Verifying…' : 'Verify all'}
              </Button>
            )}
          </Group>
        }
      />
      <Stack gap="md">
        {actionError && <ErrorBanner title={actionError.title} error={actionError.error} />}
        {importJob && visible(importJob) && (
          <JobPanel
            job={importJob}
            title={checkJobs.has(importJob.id) ? 'Roster check (nothing stored)' : 'Roster import'}
            unit="rows read"
            testId="roster-import-job"
            onCancel={can('imports.run') ? () => void cancel(importJob.id) : null}
            cancelling={cancelling === importJob.id}
            onDismiss={() => setDismissed((prev) => new Set(prev).add(importJob.id))}
            summary={importJob.state === 'succeeded' || importJob.state === 'cancelled' ? <RosterImportSummary job={importJob} /> : undefined}
          />
        )}
        {verifyJob && visible(verifyJob) && (
          <JobPanel
            job={verifyJob}
            title="Verify all credentials"
            unit="credentials checked"
            testId="verify-all-job"
            onCancel={can('imports.run') ? () => void cancel(verifyJob.id) : null}
            cancelling={cancelling === verifyJob.id}
            onDismiss={() => setDismissed((prev) => new Set(prev).add(verifyJob.id))}
            summary={verifyJob.state === 'succeeded' || verifyJob.state === 'cancelled' ? <VerifyAllSummary job={verifyJob} /> : undefined}
          />
        )}

        <Paper withBorder radius="md" p="sm">
          <Group gap="sm" align="flex-end" wrap="wrap">
            <TextInput
              label="Search"
              placeholder="Name or NPI"
              description="Name starts with, or NPI digits"
              w={260}
              value={filter.search}
              onChange={(e) => {
                const search = e.currentTarget.value;
                setFilter((f) => ({ ...f, search }));
              }}
              data-testid="credentials-search"
            />
            <NativeSelect
              label="Standing"
              description="Provider overall"
              value={filter.standing}
              onChange={(e) => {
                const standing = e.currentTarget.value as ProviderStanding | '';
                setFilter((f) => ({ ...f, standing }));
              }}
              data={[{ value: '', label: 'Any standing' }, ...STANDINGS.map((s) => ({ value: s, label: STANDING_VIEW[s].label }))]}
              data-testid="credentials-filter-standing"
            />
            <NativeSelect
              label="Has a credential that is"
              description="Last verdict"
              value={filter.verdict}
              onChange={(e) => {
                const verdict = e.currentTarget.value as CredentialVerdict | '';
                setFilter((f) => ({ ...f, verdict }));
              }}
              data={[{ value: '', label: 'Any verdict' }, ...CREDENTIAL_VERDICTS.map((v) => ({ value: v, label: VERDICT_VIEW[v].label }))]}
              data-testid="credentials-filter-verdict"
            />
            <Button variant="default" size="sm" disabled={!filtered} onClick={() => setFilter({ search: '', standing: '', verdict: '' })} data-testid="credentials-filter-clear">
              Clear
            </Button>
          </Group>
        </Paper>

        {first.error && <ErrorBanner title="Could not read the directory" error={first.error} stale={!!first.data} onRetry={refetchDirectory} />}
        {first.loading && !first.data && (
          <Stack gap={6} role="status" aria-busy="true" aria-label="Loading the directory" data-testid="credentials-loading">
            <Skeleton height={16} />
            <Skeleton height={16} />
            <Skeleton height={16} />
          </Stack>
        )}
        {first.data && providers.length === 0 && (
          <Paper withBorder radius="md" p="lg" data-testid="credentials-empty">
            {filtered ? (
              <Text size="sm">No provider matches this search or filter.</Text>
            ) : (
              <Stack gap="xs" align="flex-start">
                <Text size="sm" fw={600}>
                  The directory is empty.
                </Text>
                <Text size="sm">
                  Import a roster: a CSV of providers and their credentials, signed by the issuing boards (<Code fz="xs">custodian credentials issue</Code> signs one for set-up and
                  tests).
                </Text>
                {can('imports.run') && (
                  <Button size="xs" variant="light" onClick={() => setImportOpen(true)}>
                    Import roster…
                  </Button>
                )}
              </Stack>
            )}
          </Paper>
        )}
        {providers.length > 0 && (
          <Stack gap={6}>
            <Text size="xs" c="dimmed" data-testid="credentials-count">
              {formatCount(providers.length)} {providers.length === 1 ? 'provider' : 'providers'} shown, by name{nextCursor ? ' · more below' : ''}
            </Text>
            <DirectoryTable providers={providers} expiringDays={settings.data?.expiringDays ?? 30} onOpen={(p) => openProvider(p.id)} />
            {moreError && <ErrorBanner title="Could not read more providers" error={moreError} onRetry={() => void loadMore()} />}
            <LoadMoreFooter hasMore={Boolean(nextCursor)} loading={loadingMore} onLoadMore={() => void loadMore()} label={`Show ${PAGE_SIZE} more`} testId="credentials-load-more" size="xs" />
          </Stack>
        )}
        {can('imports.view') && <RosterHistory version={importsEnded} />}
      </Stack>

      <ProviderDrawer
        providerId={providerId}
        onClose={() => navigate('credentials')}
        onChanged={refetchDirectory}
        onStatusAction={(credential: CredentialView, providerName: string, action: StatusAction) => setStatusTarget({ credential, providerName, action })}
        version={drawerVersion}
        notice={drawerNotice}
        onDismissNotice={() => setDrawerNotice(null)}
      />
      <RosterImportDialog
        opened={importOpen}
        onClose={() => setImportOpen(false)}
        onStarted={(started, dryRun) => {
          setImportOpen(false);
          if (dryRun) setCheckJobs((prev) => new Set(prev).add(started.job.id));
          setShownJobs((prev) => new Set(prev).add(started.job.id));
          jobs.track(started.job);
        }}
      />
      <StatusChangeDialog target={statusTarget} onClose={() => setStatusTarget(null)} onChanged={onStatusChanged} />
    </>
  );
}

export const credentialsPage: PageDefinition = {
  id: 'credentials',
  label: 'Credentials',
  description: 'Check that the professionals behind access requests are who they claim and licensed now: signed by a registered issuer, in date, and active on the registry.',
  section: 'Records',
  icon: CredentialsIcon,
  permission: 'credentials.view',
  Component: CredentialsPage,
};
