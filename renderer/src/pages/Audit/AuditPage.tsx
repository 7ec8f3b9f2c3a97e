// Audit: the tamper-evident trail of every access and change — filtered, paged, printable and exportable — with
// integrity verification, per-entry proofs and the break-glass review list. Reading it is itself recorded.
import { Alert, Button, Center, Group, Loader, Paper, Stack, Tabs, Text } from '@mantine/core';
import { useEffect, useMemo, useState, type ReactElement } from 'react';
import type { AuditEntryView, AuditVerifyReport } from '../../../../main/api/audit';
import { ApiCallError, invoke } from '../../api/client';
import { downloadFile } from '../../api/files';
import { useSession } from '../../auth/SessionContext';
import { ACTION_LABELS, actionLabel, actorName } from '../../components/auditLabels';
import { ErrorBanner } from '../../components/ErrorBanner';
import { LoadMoreFooter } from '../../components/LoadMoreFooter';
import { formatCount, formatDateTime, humanizeRole } from '../../components/format';
import { AuditIcon } from '../../components/icons';
import { PageHeader } from '../../components/PageHeader';
import { navigate, useLocation } from '../../shell/router';
import type { PageDefinition } from '../types';
import { AuditFilters, type ActorOption } from './AuditFilters';
import { AuditTable } from './AuditTable';
import { BreakGlassPanel } from './BreakGlassPanel';
import { DisclosuresPanel } from './DisclosuresPanel';
import { StaffAlertsPanel } from './StaffAlertsPanel';
import { EntryDrawer } from './EntryDrawer';
import { filterFromQuery, isEmptyFilter, queryFromFilter, toApiFilter, type FilterForm } from './filters';
import { useAuditTrail } from './useAuditTrail';
import { VerifyPanel } from './VerifyPanel';

type Tab = 'trail' | 'break-glass' | 'disclosures';

function asError(channel: 'audit.verify' | 'audit.exportCsv' | 'audit.list', err: unknown): ApiCallError {
  return err instanceof ApiCallError ? err : new ApiCallError(channel, 'INTERNAL', String(err));
}

/** Filters in words, for the printed report and the line above the table. */
function describeFilter(form: FilterForm, actors: readonly ActorOption[]): string {
  const parts: string[] = [];
  if (form.patientId) parts.push(`patient ${form.patientId}`);
  if (form.actorId) parts.push(`staff member ${actors.find((a) => a.id === form.actorId)?.label ?? form.actorId}`);
  if (form.action) parts.push(`action “${actionLabel(form.action)}”`);
  if (form.from) parts.push(`from ${form.from}`);
  if (form.to) parts.push(`to ${form.to}`);
  return parts.length ? parts.join(', ') : 'no filter (all entries)';
}

function AuditPage(): ReactElement {
  const { sub, query } = useLocation();
  const { principal } = useSession();
  const tab: Tab = sub === 'break-glass' ? 'break-glass' : sub === 'disclosures' ? 'disclosures' : 'trail';
  const queryKey = query.toString();
  const applied = useMemo(() => filterFromQuery(new URLSearchParams(queryKey)), [queryKey]);
  const apiFilter = useMemo(() => {
    const r = toApiFilter(applied);
    return r.ok ? r.filter : null;
  }, [applied]);
  const trail = useAuditTrail(tab === 'trail' ? apiFilter : null);

  // Staff members and actions seen so far fill the filter lists (the auditor role cannot list staff accounts).
  const [actors, setActors] = useState<Map<string, string>>(new Map());
  const [seenActions, setSeenActions] = useState<Set<string>>(new Set());
  useEffect(() => {
    if (trail.entries.length === 0) return;
    setActors((prev) => {
      const next = new Map(prev);
      for (const e of trail.entries) if (e.actor && !next.has(e.actor.id)) next.set(e.actor.id, e.actor.id === 'anonymous' ? 'Not signed in' : `${actorName(e.actor)}${e.actor.role && e.actor.role !== 'anonymous' ? ` (${humanizeRole(e.actor.role)})` : ''}`);
      return next.size === prev.size ? prev : next;
    });
    setSeenActions((prev) => {
      const next = new Set(prev);
      for (const e of trail.entries) next.add(e.action);
      return next.size === prev.size ? prev : next;
    });
  }, [trail.entries]);
  const actorOptions = useMemo<ActorOption[]>(() => [...actors].map(([id, label]) => ({ id, label })).sort((a, b) => a.label.localeCompare(b.label)), [actors]);
  const actionOptions = useMemo(() => [...new Set([...Object.keys(ACTION_LABELS), ...seenActions])].sort((a, b) => actionLabel(a).localeCompare(actionLabel(b))), [seenActions]);

  const [open, setOpen] = useState<AuditEntryView | null>(null);
  const [openError, setOpenError] = useState<ApiCallError | null>(null);
  const openById = async (id: number): Promise<void> => {
    setOpenError(null);
    try {
      const page = await invoke('audit.list', { cursor: id + 1, limit: 1 });
      const entry = page.entries[0];
      if (entry?.id === id) setOpen(entry);
      else setOpenError(new ApiCallError('audit.list', 'AUDIT_ENTRY_NOT_FOUND', `Entry #${id} is not in the trail (it may have been deleted).`));
    } catch (err) {
      setOpenError(asError('audit.list', err));
    }
  };

  const [verify, setVerify] = useState<{ pending: boolean; report: AuditVerifyReport | null; error: ApiCallError | null }>({ pending: false, report: null, error: null });
  const runVerify = async (): Promise<void> => {
    setVerify({ pending: true, report: null, error: null });
    try {
      setVerify({ pending: false, report: await invoke('audit.verify', { depth: 'full' }), error: null });
    } catch (err) {
      setVerify({ pending: false, report: null, error: asError('audit.verify', err) });
    }
  };

  // The report is written in main (formula-safe cells), then handed over as a file: a download in browser mode, the
  // save dialog in the desktop app. Main checks audit.view and records both the export and each hand-over.
  const [exported, setExported] = useState<{ pending: boolean; result: { fileName: string; rows: number; saved: boolean } | null; error: ApiCallError | null }>({ pending: false, result: null, error: null });
  const runExport = async (): Promise<void> => {
    if (!apiFilter) return;
    setExported({ pending: true, result: null, error: null });
    try {
      const written = await invoke('audit.exportCsv', apiFilter);
      const handed = await downloadFile('audit', written.fileName);
      setExported({ pending: false, result: { fileName: handed.fileName, rows: written.rows, saved: handed.saved }, error: null });
    } catch (err) {
      setExported({ pending: false, result: null, error: asError('audit.exportCsv', err) });
    }
  };

  const applyFilter = (form: FilterForm): void => navigate('audit', undefined, queryFromFilter(form));
  const filterText = describeFilter(applied, actorOptions);

  return (
    <>
      <PageHeader
        title={auditPage.label}
        description={auditPage.description}
        permission={auditPage.permission}
        actions={
          <Group gap="xs" wrap="nowrap" className="custodian-no-print">
            <Button size="xs" onClick={() => void runVerify()} loading={verify.pending} data-testid="audit-verify">
              Verify integrity
            </Button>
            <Button size="xs" variant="default" onClick={() => void runExport()} loading={exported.pending} disabled={!apiFilter || tab !== 'trail'} data-testid="audit-export">
              Export CSV
            </Button>
            <Button size="xs" variant="default" onClick={() => window.print()} disabled={tab !== 'trail'} data-testid="audit-print">
              Print
            </Button>
          </Group>
        }
      />
      <Stack gap="md">
        {tab === 'trail' && (
        <div className="custodian-print-only" data-testid="audit-print-header">
          <Text fw={700}>Custodian audit report</Text>
          <Text size="sm">
            Printed {formatDateTime(Date.now())} by {principal?.name ?? '—'} · Filter: {filterText} · {formatCount(trail.entries.length)} entries, newest first
            {trail.hasMore ? ' (more exist: load them before printing, or export CSV)' : ''}
          </Text>
        </div>
        )}
        {verify.pending && (
          <Paper withBorder p="sm" radius="md" data-testid="audit-verify-pending">
            <Group gap="sm">
              <Loader size="xs" />
              <Text size="sm">Recomputing the hash chain and the signed tree heads, and comparing them with the chain…</Text>
            </Group>
          </Paper>
        )}
        {verify.error && <ErrorBanner title="Integrity check could not run" error={verify.error} onRetry={() => void runVerify()} />}
        {verify.report && <VerifyPanel report={verify.report} onOpenEntry={(id) => void openById(id)} onClose={() => setVerify({ pending: false, report: null, error: null })} />}
        {exported.error && <ErrorBanner title="The CSV report was not written" error={exported.error} />}
        {exported.result && (
          <Alert
            color={exported.result.saved ? 'teal' : 'gray'}
            variant="light"
            title={exported.result.saved ? 'CSV report downloaded' : 'CSV report not saved'}
            withCloseButton
            closeButtonLabel="Dismiss"
            onClose={() => setExported({ pending: false, result: null, error: null })}
            data-testid="audit-export-result"
            data-saved={exported.result.saved}
            className="custodian-no-print"
          >
            <Stack gap={4}>
              <Text size="sm">
                {formatCount(exported.result.rows)} {exported.result.rows === 1 ? 'entry' : 'entries'} ({filterText}){' '}
                {exported.result.saved ? `as ${exported.result.fileName}.` : 'were exported, but the save dialog was dismissed.'}
              </Text>
              <Text size="xs" c="dimmed">
                Cells that a spreadsheet could read as a formula are prefixed with an apostrophe. The export and the download are both recorded in the trail.
              </Text>
            </Stack>
          </Alert>
        )}
        {openError && <ErrorBanner title="Could not open the entry" error={openError} />}
        <StaffAlertsPanel />

        <Tabs value={tab} onChange={(v) => navigate('audit', v === 'break-glass' || v === 'disclosures' ? v : undefined, v === 'break-glass' || v === 'disclosures' ? undefined : queryFromFilter(applied))} keepMounted={false} variant="outline">
          <Tabs.List mb="sm" className="custodian-no-print">
            <Tabs.Tab value="trail" data-testid="audit-tab-trail">
              Trail
            </Tabs.Tab>
            <Tabs.Tab value="break-glass" data-testid="audit-tab-break-glass">
              Break-glass review
            </Tabs.Tab>
            <Tabs.Tab value="disclosures" data-testid="audit-tab-disclosures">
              Accounting of disclosures
            </Tabs.Tab>
          </Tabs.List>
          <Tabs.Panel value="trail">
            <Stack gap="sm">
              <AuditFilters applied={applied} actors={actorOptions} actions={actionOptions} onApply={applyFilter} />
              {!apiFilter && (
                <Alert color="orange" variant="light" p="xs">
                  <Text size="sm">The filter in the address is not valid; correct it above or clear it.</Text>
                </Alert>
              )}
              {trail.error && <ErrorBanner title="Could not read the audit trail" error={trail.error} stale={trail.entries.length > 0} onRetry={trail.reload} />}
              {trail.loading && (
                <Center py="lg" data-testid="audit-loading">
                  <Group gap="sm">
                    <Loader size="sm" />
                    <Text size="sm">Reading the trail…</Text>
                  </Group>
                </Center>
              )}
              {!trail.loading && !trail.error && trail.entries.length === 0 && (
                <Paper withBorder p="lg" radius="md" ta="center" data-testid="audit-empty">
                  <Text size="sm" fw={600}>
                    {isEmptyFilter(applied) ? 'The trail is empty.' : 'No entries match this filter.'}
                  </Text>
                  <Text size="sm" c="dimmed">
                    {isEmptyFilter(applied) ? 'Every sign-in, view and change appears here as it happens.' : 'Widen the dates or clear a filter.'}
                  </Text>
                </Paper>
              )}
              {!trail.loading && trail.entries.length > 0 && (
                <>
                  <Text size="xs" c="dimmed" className="custodian-no-print" data-testid="audit-count">
                    {formatCount(trail.entries.length)} {trail.entries.length === 1 ? 'entry' : 'entries'}
                    {trail.hasMore ? ' shown (more below)' : ''}, newest first · {filterText}
                  </Text>
                  <AuditTable entries={trail.entries} onOpen={setOpen} />
                  <LoadMoreFooter
                    hasMore={trail.hasMore}
                    loading={trail.loadingMore}
                    onLoadMore={trail.loadMore}
                    label="Load older entries"
                    testId="audit-load-more"
                    size="xs"
                    className="custodian-no-print"
                  />
                </>
              )}
            </Stack>
          </Tabs.Panel>
          <Tabs.Panel value="break-glass">
            <BreakGlassPanel onOpen={setOpen} />
          </Tabs.Panel>
          <Tabs.Panel value="disclosures">
            <DisclosuresPanel {...(Number(query.get('patient')) > 0 ? { initialPatient: Number(query.get('patient')) } : {})} />
          </Tabs.Panel>
        </Tabs>
      </Stack>
      <EntryDrawer entry={open} onClose={() => setOpen(null)} />
    </>
  );
}

export const auditPage: PageDefinition = {
  id: 'audit',
  label: 'Audit',
  description: 'The tamper-evident trail of every access and change, and proof that it matches what was anchored on chain.',
  section: 'Integrity',
  icon: AuditIcon,
  permission: 'audit.view',
  Component: AuditPage,
};
