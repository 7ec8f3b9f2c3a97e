// Sync: how events recorded here leave for the chain. The connection, the signer, the sender's live state and the
// queue; the batches with their transactions; the controls (sync now, pause, resume, retry); one event in full.
import { Alert, Badge, Button, Group, NativeSelect, NumberInput, Paper, SegmentedControl, Skeleton, Stack, Switch, Text, Title, Tooltip } from '@mantine/core';
import { useCallback, useEffect, useRef, useState, type FormEvent, type ReactElement } from 'react';
import { SYNC_BATCH_STATES, type SyncBatchState, type SyncBatchSummary, type SyncNowResult } from '../../../../main/api/sync';
import { ApiCallError, invoke } from '../../api/client';
import { useApiQuery, usePushEvent } from '../../api/hooks';
import { useSession } from '../../auth/SessionContext';
import { ErrorBanner } from '../../components/ErrorBanner';
import { formatCount, formatDateTime } from '../../components/format';
import { SyncIcon } from '../../components/icons';
import { PageHeader } from '../../components/PageHeader';
import { SuccessNotice } from '../../components/SuccessNotice';
import { navigate, useLocation } from '../../shell/router';
import { useSystemStatus } from '../../shell/SystemStatusContext';
import type { PageDefinition } from '../types';
import { BatchesTable } from './BatchesTable';
import { ConflictsList } from './ConflictsList';
import { EventDrawer } from './EventDrawer';
import { SyncOverview, type LiveSyncState } from './SyncOverview';
import { BATCH_STATE_VIEW, batchInFlight, shortHex } from './syncLabels';

const BATCH_LIMIT = 100;
// sync.status and sync.batches are audited reads: the page reads again on the sender's pushed state changes and
// while a batch is moving, and only slowly otherwise, so an open Sync page does not flood the audit trail.
const REFRESH_ACTIVE_MS = 3000;
const REFRESH_IDLE_MS = 60_000;

type Action = 'now' | 'pause' | 'resume' | 'seal';

function asError(channel: Parameters<typeof invoke>[0], err: unknown): ApiCallError {
  return err instanceof ApiCallError ? err : new ApiCallError(channel, 'INTERNAL', String(err));
}

function describeSyncNow(r: SyncNowResult): { ok: boolean; text: string } {
  const counts = `${formatCount(r.sent)} ${r.sent === 1 ? 'batch' : 'batches'} sent, ${formatCount(r.confirmed)} confirmed`;
  switch (r.outcome) {
    case 'worked':
      return { ok: true, text: `Sync ran: ${counts}.` };
    case 'idle':
      return { ok: true, text: 'Sync ran: nothing was left waiting — everything queued has been sent.' };
    case 'paused':
      return { ok: false, text: 'Sending is paused: resume it first.' };
    case 'busy':
      return { ok: false, text: 'Another Custodian process is syncing this data folder; it sends the queue.' };
    case 'offline':
      return { ok: false, text: `The chain is offline${r.message ? ` (${r.message})` : ''}. The queue is kept and sent when it returns.` };
    case 'failed':
      return { ok: false, text: `Sync failed${r.message ? `: ${r.message}` : '.'}` };
  }
}

function SyncPage(): ReactElement {
  const { can } = useSession();
  const { query } = useLocation();
  const { status: system } = useSystemStatus();
  const [stateFilter, setStateFilter] = useState<SyncBatchState | ''>('');
  const [conflictView, setConflictView] = useState<'open' | 'all'>('open');
  // Chain columns (batch id, transaction, block, gas) are for IT staff: off by default.
  const [technical, setTechnical] = useState(false);
  const [active, setActive] = useState(false);
  const refreshMs = active ? REFRESH_ACTIVE_MS : REFRESH_IDLE_MS;
  const status = useApiQuery('sync.status', {}, { refreshMs });
  const batches = useApiQuery('sync.batches', stateFilter ? { limit: BATCH_LIMIT, state: stateFilter } : { limit: BATCH_LIMIT }, { refreshMs });
  const refetchStatus = status.refetch;
  const refetchBatches = batches.refetch;
  const refetchAll = useCallback(() => {
    refetchStatus();
    refetchBatches();
  }, [refetchStatus, refetchBatches]);

  // Live state from the sender; each change also reads the status and batches again (coalesced).
  const [live, setLive] = useState<LiveSyncState | null>(null);
  const pendingRead = useRef<ReturnType<typeof setTimeout> | null>(null);
  usePushEvent('sync.state', (state) => {
    const at = Date.now();
    setLive((prev) => ({ state, at, lastFailure: state.state === 'failed' ? { state, at } : prev?.lastFailure }));
    if (pendingRead.current) return;
    pendingRead.current = setTimeout(() => {
      pendingRead.current = null;
      refetchAll();
    }, 400);
  });
  useEffect(() => () => {
    if (pendingRead.current) clearTimeout(pendingRead.current);
  }, []);

  const s = status.data;
  // The shared connection health (pushed to every display), else the one this page read.
  const health = system?.health ?? s?.health;
  const required = s?.confirmationsRequired ?? 1;
  const moving = (batches.data ?? []).some((b) => batchInFlight(b.state, b.confirmations, required)) || (s ? s.queue.total > 0 && !s.paused && s.connection === 'connected' : false);
  useEffect(() => setActive(moving), [moving]);

  const [pending, setPending] = useState<Action | null>(null);
  const [notice, setNotice] = useState<{ ok: boolean; text: string } | null>(null);
  const [actionError, setActionError] = useState<{ title: string; error: ApiCallError } | null>(null);
  const act = async (action: Action): Promise<void> => {
    setPending(action);
    setNotice(null);
    setActionError(null);
    try {
      if (action === 'now') setNotice(describeSyncNow(await invoke('sync.now', {})));
      else if (action === 'pause') {
        await invoke('sync.pause', {});
        setNotice({ ok: true, text: 'Sending is paused. Events keep being recorded and queued; nothing leaves until you resume.' });
      } else if (action === 'resume') {
        await invoke('sync.resume', {});
        setNotice({ ok: true, text: 'Sending resumed.' });
      } else {
        const sealed = await invoke('audit.batchNow', {});
        setNotice(
          sealed.head
            ? { ok: true, text: `Signed a tree head of ${formatCount(sealed.head.treeSize)} audit entries; it is queued for anchoring.` }
            : sealed.unsignedReason
              ? { ok: false, text: `No tree head signed: ${sealed.unsignedReason}` }
              : { ok: true, text: 'No audit entries were waiting to be sealed.' },
        );
      }
    } catch (err) {
      const channel = action === 'now' ? 'sync.now' : action === 'pause' ? 'sync.pause' : action === 'resume' ? 'sync.resume' : 'audit.batchNow';
      const title = action === 'now' ? 'Sync did not run' : action === 'seal' ? 'No audit batch was sealed' : `Could not ${action} sending`;
      setActionError({ title, error: asError(channel, err) });
    } finally {
      setPending(null);
      refetchAll();
    }
  };

  const [retrying, setRetrying] = useState<string | null>(null);
  const retry = async (batch: SyncBatchSummary): Promise<void> => {
    setRetrying(batch.id);
    setNotice(null);
    setActionError(null);
    try {
      const r = await invoke('sync.retryBatch', { batchId: batch.id });
      setNotice(r.retried ? { ok: true, text: `Batch ${shortHex(batch.id, 10, 6)} is back in the queue and is being sent again.` } : { ok: false, text: `Batch ${shortHex(batch.id, 10, 6)} is no longer failed; nothing to retry.` });
    } catch (err) {
      setActionError({ title: `Batch ${shortHex(batch.id, 10, 6)} was not retried`, error: asError('sync.retryBatch', err) });
    } finally {
      setRetrying(null);
      refetchAll();
    }
  };

  // The event drawer follows the address (#/sync?event=12), so other screens can link to an event.
  const eventParam = Number(query.get('event'));
  const eventId = Number.isSafeInteger(eventParam) && eventParam > 0 ? eventParam : null;
  const [lookup, setLookup] = useState<string | number>('');
  const openEvent = (e: FormEvent): void => {
    e.preventDefault();
    const id = Number(lookup);
    if (Number.isSafeInteger(id) && id > 0) navigate('sync', undefined, { event: String(id) });
  };

  const disabled = s?.connection === 'disabled';
  const paused = s?.paused ?? false;
  const newestBatchBlock = Math.max(-1, ...(batches.data ?? []).map((b) => b.blockNumber ?? -1));
  const systemBlock = system?.chain.state === 'connected' ? system.chain.blockNumber : null;
  const chainBlock = systemBlock === null && newestBatchBlock < 0 ? null : Math.max(systemBlock ?? -1, newestBatchBlock);

  return (
    <>
      <PageHeader
        title={syncPage.label}
        description={syncPage.description}
        permission={syncPage.permission}
        actions={
          <Group gap="xs" wrap="nowrap">
            {can('sync.run') && (
              <Tooltip label="Seal the audit entries not yet in a batch and queue their Merkle root for anchoring" withArrow multiline w={260}>
                <Button size="xs" variant="default" onClick={() => void act('seal')} loading={pending === 'seal'} disabled={pending !== null && pending !== 'seal'} data-testid="sync-seal-audit">
                  Seal audit batch
                </Button>
              </Tooltip>
            )}
            {can('sync.configure') &&
              (paused ? (
                <Button size="xs" variant="default" onClick={() => void act('resume')} loading={pending === 'resume'} disabled={disabled || (pending !== null && pending !== 'resume')} data-testid="sync-resume">
                  Resume sending
                </Button>
              ) : (
                <Button size="xs" variant="default" color="orange" onClick={() => void act('pause')} loading={pending === 'pause'} disabled={disabled || (pending !== null && pending !== 'pause')} data-testid="sync-pause">
                  Pause sending
                </Button>
              ))}
            {can('sync.run') && (
              <Tooltip label={paused ? 'Sending is paused: resume it first' : 'Send what is queued now and wait for the receipts'} withArrow disabled={!paused && !disabled}>
                <Button size="xs" onClick={() => void act('now')} loading={pending === 'now'} disabled={disabled || paused || (pending !== null && pending !== 'now')} data-testid="sync-now">
                  Sync now
                </Button>
              </Tooltip>
            )}
          </Group>
        }
      />
      <Stack gap="md">
        {notice && (
          notice.ok ? (
            <SuccessNotice onClose={() => setNotice(null)} testId="sync-feedback">
              {notice.text}
            </SuccessNotice>
          ) : (
            <Alert color="orange" variant="light" withCloseButton closeButtonLabel="Dismiss" onClose={() => setNotice(null)} role="status" data-testid="sync-feedback" py="xs">
              <Text size="sm">{notice.text}</Text>
            </Alert>
          )
        )}
        {actionError && <ErrorBanner title={actionError.title} error={actionError.error} />}
        {status.error && <ErrorBanner title="Could not read the sync status" error={status.error} stale={!!s} onRetry={refetchStatus} />}
        {health?.state === 'offline' && (
          // The shared connection health: the same "since" and count as the status bar and the Dashboard.
          <Alert color="orange" variant="light" title={`Offline since ${formatDateTime(health.since)}`} data-testid="sync-offline" data-since={health.since}>
            <Text size="sm">
              {formatCount(health.queued)} {health.queued === 1 ? 'event is' : 'events are'} queued and safe on this workstation. The sender retries with back-off and sends them
              when the node returns; the console keeps working meanwhile.
            </Text>
          </Alert>
        )}
        {s && paused && (
          <Alert color="orange" variant="light" data-testid="sync-paused-notice" py="xs">
            <Text size="sm">
              Sending is paused: {formatCount(s.queue.total)} {s.queue.total === 1 ? 'event waits' : 'events wait'}. Events keep being recorded and queued.
              {can('sync.configure') ? ' Resume sending to let them go.' : ' An IT administrator can resume sending.'}
            </Text>
          </Alert>
        )}

        <SyncOverview status={s} live={live} liveBlock={chainBlock} />

        <Paper component="section" withBorder radius="md" p="md" aria-labelledby="sync-conflicts-title" data-testid="sync-conflicts">
          <Group justify="space-between" align="flex-end" mb="sm" wrap="wrap" gap="sm">
            <Stack gap={0}>
              <Group gap="xs">
                <Title order={2} fz="md" id="sync-conflicts-title">
                  Conflicts
                </Title>
                {s && (
                  <Badge color={s.openConflicts > 0 ? 'orange' : 'teal'} variant="light" size="sm" data-testid="sync-conflicts-open" data-value={s.openConflicts}>
                    {s.openConflicts === 0 ? 'None open' : `${formatCount(s.openConflicts)} open`}
                  </Badge>
                )}
              </Group>
              <Text size="xs" c="dimmed">
                Consent changes made here that another workstation’s change beat. The consent shows the winner until you accept it or re-apply yours.
              </Text>
            </Stack>
            <SegmentedControl
              size="xs"
              value={conflictView}
              onChange={(v) => setConflictView(v === 'all' ? 'all' : 'open')}
              data={[
                { value: 'open', label: 'Open' },
                { value: 'all', label: 'All' },
              ]}
              aria-label="Which conflicts to show"
              data-testid="sync-conflicts-view"
            />
          </Group>
          <ConflictsList
            includeResolved={conflictView === 'all'}
            mySigner={s?.signer.address ?? null}
            refreshKey={s?.openConflicts}
            onResolved={refetchAll}
            onOpenConsent={(id) => navigate('consents', undefined, { consent: String(id) })}
          />
        </Paper>

        <Paper component="section" withBorder radius="md" p="md" aria-labelledby="sync-batches-title">
          <Group justify="space-between" align="flex-end" mb="sm" wrap="wrap" gap="sm">
            <Stack gap={0}>
              <Title order={2} fz="md" id="sync-batches-title">
                Batches
              </Title>
              <Text size="xs" c="dimmed">
                Newest first{batches.data ? ` · ${formatCount(batches.data.length)} shown${batches.data.length >= BATCH_LIMIT ? ` (the latest ${BATCH_LIMIT})` : ''}` : ''}
                {batches.updatedAt ? ` · read ${formatDateTime(batches.updatedAt)}` : ''}
              </Text>
            </Stack>
            <Group gap="sm" align="flex-end" wrap="wrap">
              <Switch size="xs" label="Technical details" checked={technical} onChange={(e) => setTechnical(e.currentTarget.checked)} data-testid="sync-batches-technical" mb={6} />
              <NativeSelect
                label="Status"
                size="xs"
                value={stateFilter}
                onChange={(e) => setStateFilter(e.currentTarget.value as SyncBatchState | '')}
                data={[{ value: '', label: 'All batches' }, ...SYNC_BATCH_STATES.map((st) => ({ value: st, label: BATCH_STATE_VIEW[st].label }))]}
                data-testid="sync-batches-filter"
              />
              <form onSubmit={openEvent}>
                <Group gap={6} align="flex-end" wrap="nowrap">
                  <NumberInput
                    label="Outbox event #"
                    size="xs"
                    w={130}
                    min={1}
                    allowDecimal={false}
                    allowNegative={false}
                    hideControls
                    value={lookup}
                    onChange={setLookup}
                    placeholder="e.g. 12"
                    data-testid="sync-event-lookup"
                  />
                  <Button type="submit" size="xs" variant="default" disabled={!lookup} data-testid="sync-event-open">
                    Open event
                  </Button>
                </Group>
              </form>
            </Group>
          </Group>
          {batches.error && <ErrorBanner title="Could not read the batches" error={batches.error} stale={!!batches.data} onRetry={refetchBatches} />}
          {batches.loading && !batches.data && (
            <Stack gap={6} role="status" aria-busy="true" aria-label="Loading batches">
              <Skeleton height={14} />
              <Skeleton height={14} />
              <Skeleton height={14} />
            </Stack>
          )}
          {batches.data && batches.data.length === 0 && (
            <Text size="sm" c="dimmed" data-testid="sync-batches-empty">
              {stateFilter
                ? `No ${BATCH_STATE_VIEW[stateFilter].label.toLowerCase()} batches.`
                : 'No batches yet. Consent changes, credential status changes and audit roots are grouped into batches here as they are sent to the chain.'}
            </Text>
          )}
          {batches.data && batches.data.length > 0 && (
            <BatchesTable batches={batches.data} confirmationsRequired={required} onRetry={can('sync.run') ? (b) => void retry(b) : null} retrying={retrying} technical={technical} />
          )}
        </Paper>
      </Stack>
      <EventDrawer eventId={eventId} confirmationsRequired={required} onClose={() => navigate('sync')} />
    </>
  );
}

export const syncPage: PageDefinition = {
  id: 'sync',
  label: 'Sync',
  description: 'Consent changes, credential status changes and audit roots recorded here are batched and sent to the chain. Follow the connection, the sender and each batch.',
  section: 'Integrity',
  icon: SyncIcon,
  permission: 'sync.view',
  Component: SyncPage,
};
