// Consents: who may see which patient's records, for what purpose, until when. A virtualized table over keyset
// pages (fast with millions of rows), filters and search, a consent's detail and history, grant by form, revoke
// with a reason, FHIR R4 export of a selection, and the Check access panel (#/consents/access).
import { Button, Group, Loader, Paper, Stack, Tabs, Text } from '@mantine/core';
import { useCallback, useEffect, useMemo, useState, type ReactElement } from 'react';
import type { ConsentDetail, ConsentSort, ConsentSortColumn } from '../../../../main/api/consents';
import type { BulkRevokeResult, BulkSelection, UndoableBulkRevoke } from '../../../../main/api/consents-bulk';
import { ApiCallError, invoke } from '../../api/client';
import { useSession } from '../../auth/SessionContext';
import { ErrorBanner } from '../../components/ErrorBanner';
import { formatCount } from '../../components/format';
import { ConsentsIcon } from '../../components/icons';
import { PageHeader } from '../../components/PageHeader';
import { SuccessNotice } from '../../components/SuccessNotice';
import { hrefFor, navigate, useLocation } from '../../shell/router';
import type { PageDefinition } from '../types';
import { AccessCheckPanel, type AccessQuestion } from './AccessCheckPanel';
import { BulkRevokeDialog } from './BulkRevokeDialog';
import { BulkRevokeNotice } from './BulkRevokeNotice';
import { ConsentDrawer } from './ConsentDrawer';
import { ConsentExportPanel, type StartedExport } from './ConsentExportPanel';
import { ConsentFilters } from './ConsentFilters';
import { ConsentsTable } from './ConsentsTable';
import { filterFromQuery, isEmptyFilter, nextSort, queryFromFilter, queryFromSort, sortFromQuery, toApiFilter, type FilterForm } from './filters';
import { GrantConsentDialog } from './GrantConsentDialog';
import { patientRef, patientTitle } from './labels';
import { patientLabel } from './PatientPicker';
import { useConsentPages } from './useConsentPages';

const EXPORT_MAX_IDS = 100_000;

type Tab = 'list' | 'access';

function totalText(total: { count: number; exact: boolean } | null, loaded: number, filtered: boolean): string {
  if (!total) return `${formatCount(loaded)} loaded`;
  const n = `${formatCount(total.count)}${total.exact ? '' : '+'}`;
  const noun = total.count === 1 && total.exact ? 'consent' : 'consents';
  return `${n} ${noun}${filtered ? ' match' : ''} · ${formatCount(loaded)} loaded${loaded < total.count ? ', scroll for more' : ''}`;
}

function matchedText(m: { patients: number; providers: number }): string {
  const part = (n: number, one: string) => `${formatCount(n)} ${one}${n === 1 ? '' : 's'}`;
  return `${part(m.patients, 'patient')} and ${part(m.providers, 'provider')}`;
}

interface ExportState {
  pending: boolean;
  result: StartedExport | null;
  error: ApiCallError | null;
}

function ConsentsPage(): ReactElement {
  const { sub, query } = useLocation();
  const tab: Tab = sub === 'access' ? 'access' : 'list';
  const { principal, can } = useSession();
  const me = principal ? { id: principal.id, name: principal.name } : null;
  const mayGrant = can('consents.grant');
  const mayRevoke = can('consents.revoke');
  const mayExport = can('consents.export');
  const canSearchPatients = can('patients.view');

  const queryKey = query.toString();
  const applied = useMemo(() => filterFromQuery(new URLSearchParams(queryKey)), [queryKey]);
  const apiFilter = useMemo(() => toApiFilter(applied), [applied]);
  const sort = useMemo(() => sortFromQuery(new URLSearchParams(queryKey)), [queryKey]);
  const pages = useConsentPages(apiFilter, sort);
  const [patientFilterLabel, setPatientFilterLabel] = useState<string | null>(null);

  // Filter changes replace the address rather than stacking history entries for every keystroke.
  // The sort lives in the address beside the filters: each keeps the other.
  const applyView = useCallback((form: FilterForm, s: ConsentSort | null) => {
    const next = hrefFor('consents', undefined, { ...queryFromFilter(form), ...queryFromSort(s) });
    if (window.location.hash !== next) window.location.replace(next);
  }, []);
  const applyFilter = useCallback((form: FilterForm) => applyView(form, sort), [applyView, sort]);
  const sortBy = useCallback((column: ConsentSortColumn) => applyView(applied, nextSort(sort, column)), [applyView, applied, sort]);

  const [openId, setOpenId] = useState<number | null>(null);
  // Other screens link to one consent (#/consents?consent=12, e.g. from a sync conflict): open its drawer.
  const linked = Number(query.get('consent'));
  useEffect(() => {
    if (Number.isSafeInteger(linked) && linked > 0) setOpenId(linked);
  }, [linked]);
  const [selection, setSelection] = useState<Set<number>>(new Set());
  const [granting, setGranting] = useState(false);
  const [notice, setNotice] = useState<string | null>(null);
  const [exported, setExported] = useState<ExportState>({ pending: false, result: null, error: null });
  const [question, setQuestion] = useState<AccessQuestion | null>(null);
  const [bulkRevoke, setBulkRevoke] = useState<{ what: string; selection: BulkSelection } | null>(null);
  const [bulkDone, setBulkDone] = useState<BulkRevokeResult | UndoableBulkRevoke | null>(null);
  // The person's own latest bulk revoke still open to undo (kept by main across reloads and restarts): offered again.
  useEffect(() => {
    if (!mayRevoke) return;
    let live = true;
    invoke('consents.bulkRevokesMine', {})
      .then((mine) => {
        if (live && mine[0]) setBulkDone((shown) => shown ?? mine[0]!);
      })
      .catch(() => undefined);
    return () => {
      live = false;
    };
  }, [mayRevoke]);
  const maySelect = mayExport || mayRevoke;

  const toggle = (id: number): void =>
    setSelection((prev) => {
      const next = new Set(prev);
      if (next.has(id)) next.delete(id);
      else next.add(id);
      return next;
    });
  const toggleAll = (select: boolean): void => setSelection(select ? new Set(pages.rows.map((r) => r.id)) : new Set());

  const runExport = async (selectionOnly: boolean): Promise<void> => {
    const ids = [...selection];
    const what = selectionOnly ? `${formatCount(ids.length)} selected` : isEmptyFilter(applied) ? 'all' : 'all matching';
    setExported({ pending: true, result: null, error: null });
    try {
      const r = await invoke('consents.exportFhir', selectionOnly ? { ids } : { filter: apiFilter });
      setExported({ pending: false, result: { exportId: r.exportId, what }, error: null });
    } catch (err) {
      setExported({ pending: false, result: null, error: err instanceof ApiCallError ? err : new ApiCallError('consents.exportFhir', 'INTERNAL', String(err)) });
    }
  };

  const onGranted = (d: ConsentDetail): void => {
    setGranting(false);
    setNotice(`Consent #${d.id} recorded: ${d.decision} ${d.purpose} ${d.category} for ${d.grantee}, patient ${patientTitle(d.patient)} (${patientRef(d.patient)}).`);
    pages.reload();
    setOpenId(d.id);
  };

  const checkAccessFor = (d: ConsentDetail): void => {
    setQuestion({
      grantee: d.grantee,
      patient: { id: d.patient.id, label: patientLabel(d.patient) },
      purpose: d.purpose === 'ETREAT' ? 'TREAT' : d.purpose,
      category: d.category,
    });
    setOpenId(null);
    navigate('consents', 'access');
  };

  const filtered = !isEmptyFilter(applied);
  const selectedCount = selection.size;

  return (
    <>
      <PageHeader
        title={consentsPage.label}
        description={consentsPage.description}
        permission={consentsPage.permission}
        actions={
          mayGrant && (
            <Button onClick={() => setGranting(true)} data-testid="consents-grant">
              Record a consent
            </Button>
          )
        }
      />
      <Tabs value={tab} onChange={(v) => navigate('consents', v === 'access' ? 'access' : undefined, v === 'access' ? undefined : { ...queryFromFilter(applied), ...queryFromSort(sort) })} keepMounted={false} variant="outline">
        <Tabs.List mb="sm">
          <Tabs.Tab value="list" data-testid="consents-tab-list">
            Consents
          </Tabs.Tab>
          <Tabs.Tab value="access" data-testid="consents-tab-access">
            Check access
          </Tabs.Tab>
        </Tabs.List>
        <Tabs.Panel value="list">
          <Stack gap="sm">
            {notice && <SuccessNotice onClose={() => setNotice(null)}>{notice}</SuccessNotice>}
            {bulkDone && <BulkRevokeNotice key={bulkDone.bulkId} done={bulkDone} onChanged={pages.reload} onClose={() => setBulkDone(null)} />}
            <ConsentFilters applied={applied} onApply={applyFilter} canSearchPatients={canSearchPatients} patientLabel={patientFilterLabel} onPatientLabel={setPatientFilterLabel} />
            <Group justify="space-between" gap="xs" wrap="nowrap">
              {/* How long the first page took is for support and benchmarks (data-first-page-ms), not for people. */}
              <Text size="xs" c="dimmed" data-testid="consents-count" data-total={pages.total?.count ?? ''} data-loaded={pages.rows.length} data-first-page-ms={pages.firstPageMs ?? undefined}>
                {pages.loading ? 'Reading…' : totalText(pages.total, pages.rows.length, filtered)}
                {!pages.loading && pages.search && ` · search matched ${matchedText(pages.search)}`}
              </Text>
              {maySelect && (
                <Group gap="xs" wrap="nowrap">
                  {selectedCount > 0 && (
                    <>
                      <Text size="xs" fw={600} data-testid="consents-selected-count">
                        {formatCount(selectedCount)} selected
                      </Text>
                      <Button variant="subtle" size="xs" onClick={() => setSelection(new Set())}>
                        Clear selection
                      </Button>
                    </>
                  )}
                  {mayRevoke && (
                    <>
                      <Button
                        size="xs"
                        // Outline, not light: red text on the light red fill failed axe's contrast (AA) once enabled.
                        variant="outline"
                        color="red.9"
                        disabled={selectedCount === 0}
                        onClick={() => setBulkRevoke({ what: `selected (${formatCount(selectedCount)})`, selection: { ids: [...selection] } })}
                        data-testid="consents-revoke-selected"
                      >
                        Revoke selected…
                      </Button>
                      {filtered && (
                        <Button
                          size="xs"
                          variant="default"
                          disabled={pages.rows.length === 0}
                          onClick={() => setBulkRevoke({ what: 'matching the filters', selection: { filter: apiFilter } })}
                          data-testid="consents-revoke-matching"
                        >
                          Revoke all matching…
                        </Button>
                      )}
                    </>
                  )}
                  {mayExport && (
                  <>
                  <Button
                    size="xs"
                    variant="light"
                    onClick={() => void runExport(true)}
                    disabled={selectedCount === 0 || selectedCount > EXPORT_MAX_IDS}
                    loading={exported.pending}
                    data-testid="consents-export-selected"
                    title="FHIR R4 Consent resources, one per line (NDJSON)"
                  >
                    Export selected as FHIR
                  </Button>
                  <Button
                    size="xs"
                    variant="default"
                    onClick={() => void runExport(false)}
                    disabled={pages.rows.length === 0}
                    loading={exported.pending}
                    data-testid="consents-export-all"
                  >
                    {filtered ? 'Export all matching' : 'Export all'}
                  </Button>
                  </>
                  )}
                </Group>
              )}
            </Group>
            {exported.error && <ErrorBanner title="The FHIR export did not start" error={exported.error} />}
            {exported.result && (
              <ConsentExportPanel
                key={exported.result.exportId}
                started={exported.result}
                onClose={() => setExported({ pending: false, result: null, error: null })}
              />
            )}
            {pages.search?.capped && (
              <Text size="xs" c="var(--custodian-text-warning)" data-testid="consents-search-capped">
                The search matches too many patients or providers to show every consent: type more of the name or MRN.
              </Text>
            )}
            {pages.error && <ErrorBanner title="Could not read the consents" error={pages.error} stale={pages.rows.length > 0} onRetry={pages.reload} />}
            {pages.loading && pages.rows.length === 0 && (
              <Paper withBorder p="lg" radius="sm" data-testid="consents-loading">
                <Group gap="sm" justify="center">
                  <Loader size="sm" />
                  <Text size="sm">Reading consents…</Text>
                </Group>
              </Paper>
            )}
            {!pages.loading && !pages.error && pages.rows.length === 0 && (
              <Paper withBorder p="lg" radius="sm" ta="center" data-testid="consents-empty">
                <Text size="sm" fw={600}>
                  {filtered ? 'No consent matches these filters.' : 'No consents on file yet.'}
                </Text>
                <Text size="sm" c="dimmed">
                  {filtered
                    ? 'Search matches any part of an MRN, a patient’s name or a provider’s name, or the start of an NPI. Clear a filter to see more.'
                    : 'Import a CSV or FHIR file on the Imports page, or record a consent with the button above.'}
                </Text>
              </Paper>
            )}
            {pages.rows.length > 0 && (
              <ConsentsTable
                rows={pages.rows}
                hasMore={pages.hasMore}
                loadingMore={pages.loadingMore}
                onLoadMore={pages.loadMore}
                onOpen={(row) => setOpenId(row.id)}
                openId={openId}
                selection={maySelect ? selection : null}
                onToggle={toggle}
                onToggleAll={toggleAll}
                me={me}
                sort={sort}
                onSort={sortBy}
              />
            )}
          </Stack>
        </Tabs.Panel>
        <Tabs.Panel value="access">
          <AccessCheckPanel initial={question} canSearchPatients={canSearchPatients} onOpenConsent={setOpenId} />
        </Tabs.Panel>
      </Tabs>
      <ConsentDrawer
        consentId={openId}
        onClose={() => setOpenId(null)}
        onOpen={setOpenId}
        onChanged={(d) => pages.replaceRow(d)}
        onCheckAccess={checkAccessFor}
        mayRevoke={mayRevoke}
        me={me}
        mayAccount={can('audit.view')}
        onListChanged={pages.reload}
      />
      {mayRevoke && (
        <BulkRevokeDialog
          selection={bulkRevoke}
          onClose={() => setBulkRevoke(null)}
          onDone={(done) => {
            setBulkRevoke(null);
            setSelection(new Set());
            setBulkDone(done);
            pages.reload();
          }}
        />
      )}
      {mayGrant && <GrantConsentDialog opened={granting} onClose={() => setGranting(false)} onGranted={onGranted} />}
    </>
  );
}

export const consentsPage: PageDefinition = {
  id: 'consents',
  label: 'Consents',
  description: 'Patients’ consents to share their records: who may see what, for which purpose, until when. Check an access and see why.',
  section: 'Records',
  icon: ConsentsIcon,
  permission: 'consents.view',
  Component: ConsentsPage,
};
