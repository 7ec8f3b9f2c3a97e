// One consent in full (consents.get): its terms, patient, source, document hash, the versions it replaced or that
// replaced it, and its history (created, superseded, revoked, expired: by whom, when, why). Revoke asks a reason.
import { Alert, Anchor, Badge, Button, Code, Drawer, Group, Loader, Stack, Text, Textarea, Timeline, Title, UnstyledButton } from '@mantine/core';
import { hrefFor } from '../../shell/router';
import { useEffect, useState, type FormEvent, type ReactElement } from 'react';
import type { ConsentDetail, ConsentHistoryEntry } from '../../../../main/api/consents';
import { ApiCallError, invoke } from '../../api/client';
import { CopyText } from '../../components/CopyText';
import { ErrorBanner } from '../../components/ErrorBanner';
import { formatDateTime } from '../../components/format';
import classes from './Consents.module.css';
import { ConflictsList } from '../Sync/ConflictsList';
import { CATEGORY_LABELS, DECISION_COLORS, describePeriod, describeSource, isSourceLike, patientRef, patientTitle, PURPOSE_LABELS, STATUS_COLORS, STATUS_LABELS } from './labels';

const ACTION_LABELS: Record<ConsentHistoryEntry['action'], string> = {
  create: 'Recorded',
  supersede: 'Superseded',
  revoke: 'Revoked',
  expire: 'Expired',
};
const ACTION_COLORS: Record<ConsentHistoryEntry['action'], string> = { create: 'teal', supersede: 'blue', revoke: 'red', expire: 'gray' };

const DETAIL_LABELS: Record<string, string> = { by: 'by', reason: 'reason', row: 'file row', run: 'import', supersededBy: 'replaced by consent', changed: 'changed', supersedes: 'replaces consent' };

function historyDetail(detail: Record<string, unknown> | null, actor: string, me: { id: string; name: string } | null): string | null {
  if (!detail) return null;
  const parts: string[] = [];
  for (const [k, v] of Object.entries(detail)) {
    if (v === null || v === undefined || v === '') continue;
    // "by" repeats the entry's actor on a form grant: say it once.
    if (k === 'by' && typeof v === 'string' && describeSource(v, me) === describeSource(actor, me)) continue;
    const label = DETAIL_LABELS[k] ?? k.replace(/([a-z])([A-Z])/g, '$1 $2').replace(/_/g, ' ').toLowerCase();
    const text = Array.isArray(v) ? v.join(', ') : typeof v === 'object' ? JSON.stringify(v) : String(v);
    parts.push(`${label}: ${isSourceLike(text) ? describeSource(text, me) : k === 'run' ? `#${text}` : text}`);
  }
  return parts.length ? parts.join(' · ') : null;
}

function ConsentLink({ id, onOpen }: { id: number; onOpen: (id: number) => void }): ReactElement {
  return (
    <UnstyledButton className={classes.idLink} onClick={() => onOpen(id)} aria-label={`Open consent ${id}`}>
      #{id}
    </UnstyledButton>
  );
}

function RevokeForm({ consent, onRevoked, onCancel }: { consent: ConsentDetail; onRevoked: (d: ConsentDetail) => void; onCancel: () => void }): ReactElement {
  const [reason, setReason] = useState('');
  const [fieldError, setFieldError] = useState<string | null>(null);
  const [failure, setFailure] = useState<ApiCallError | null>(null);
  const [pending, setPending] = useState(false);
  const submit = async (event: FormEvent): Promise<void> => {
    event.preventDefault();
    if (reason.trim().length < 3) {
      setFieldError('Say why the consent is revoked (at least 3 characters): it is kept in the consent’s history and the audit trail.');
      return;
    }
    setPending(true);
    setFailure(null);
    try {
      onRevoked(await invoke('consents.revoke', { id: consent.id, reason: reason.trim() }));
    } catch (err) {
      setFailure(err instanceof ApiCallError ? err : new ApiCallError('consents.revoke', 'INTERNAL', String(err)));
    } finally {
      setPending(false);
    }
  };
  return (
    <form onSubmit={(e) => void submit(e)} noValidate data-testid="revoke-form">
      <Stack gap="xs" p="sm" style={{ border: '1px solid var(--mantine-color-red-3)', borderRadius: 'var(--mantine-radius-sm)' }}>
        <Text size="sm" fw={600}>
          Revoke consent #{consent.id}
        </Text>
        <Text size="xs">
          From now on it no longer counts in access decisions. The consent stays on file as revoked, with your reason, and the change is sent to the
          chain.
        </Text>
        <Textarea
          label="Reason"
          description="For example: patient withdrew consent by letter dated 2025-11-20."
          value={reason}
          onChange={(e) => {
            setReason(e.currentTarget.value);
            setFieldError(null);
          }}
          error={fieldError}
          required
          autosize
          minRows={2}
          maxLength={500}
          data-autofocus
          data-testid="revoke-reason"
        />
        {failure && <ErrorBanner title="The consent was not revoked" error={failure} />}
        <Group justify="flex-end" gap="sm">
          <Button variant="default" onClick={onCancel} disabled={pending}>
            Keep it
          </Button>
          <Button type="submit" color="red" loading={pending} data-testid="revoke-submit">
            Revoke consent
          </Button>
        </Group>
      </Stack>
    </form>
  );
}

export interface ConsentDrawerProps {
  consentId: number | null;
  onClose: () => void;
  onOpen: (id: number) => void;
  onChanged: (d: ConsentDetail) => void;
  onCheckAccess: (d: ConsentDetail) => void;
  mayRevoke: boolean;
  me: { id: string; name: string } | null;
  /** audit.view: a link to this patient's accounting of disclosures on the Audit page. */
  mayAccount?: boolean;
  /** Rows of the list changed (a re-applied conflict wrote a new row): read the list again. */
  onListChanged?: () => void;
}

export function ConsentDrawer({ consentId, onClose, onOpen, onChanged, onCheckAccess, mayRevoke, me, mayAccount = false, onListChanged }: ConsentDrawerProps): ReactElement {
  const [state, setState] = useState<{ id: number | null; detail: ConsentDetail | null; error: ApiCallError | null }>({ id: null, detail: null, error: null });
  const [revoking, setRevoking] = useState(false);
  const [revokedNotice, setRevokedNotice] = useState(false);
  const [nonce, setNonce] = useState(0);
  const [reapplied, setReapplied] = useState<{ id: number; replaced: number } | null>(null);

  useEffect(() => {
    setRevoking(false);
    setRevokedNotice(false);
    if (consentId === null) return;
    let cancelled = false;
    setState((s) => ({ id: consentId, detail: s.detail?.id === consentId ? s.detail : null, error: null }));
    invoke('consents.get', { id: consentId }).then(
      (detail) => !cancelled && setState({ id: consentId, detail, error: null }),
      (err: unknown) => !cancelled && setState({ id: consentId, detail: null, error: err instanceof ApiCallError ? err : new ApiCallError('consents.get', 'INTERNAL', String(err)) }),
    );
    return () => {
      cancelled = true;
    };
  }, [consentId, nonce]);

  const d = state.detail && state.detail.id === consentId ? state.detail : null;
  return (
    <Drawer
      opened={consentId !== null}
      onClose={onClose}
      position="right"
      size={560}
      title={
        <Group gap="xs">
          <Title order={2} fz="h4">
            Consent #{consentId}
          </Title>
          {d && (
            <>
              <Badge color={DECISION_COLORS[d.decision]} variant="light" size="md" tt="none">
                {d.decision}
              </Badge>
              <Badge color={STATUS_COLORS[d.status]} variant="light" size="md" tt="none" data-testid="consent-detail-status" data-status={d.status}>
                {STATUS_LABELS[d.status]}
              </Badge>
            </>
          )}
        </Group>
      }
      closeButtonProps={{ 'aria-label': 'Close consent detail' }}
      data-testid="consent-drawer"
    >
      {state.error && <ErrorBanner title="Could not read the consent" error={state.error} onRetry={() => setNonce((n) => n + 1)} />}
      {!d && !state.error && (
        <Group gap="sm" py="md">
          <Loader size="sm" />
          <Text size="sm">Reading the consent…</Text>
        </Group>
      )}
      {d && (
        <Stack gap="md" data-testid="consent-detail" data-consent-id={d.id}>
          <ConflictsList
            compact
            consentId={d.id}
            mySigner={null}
            onResolved={(result) => {
              onListChanged?.();
              if (result.consentId !== null && result.consentId !== d.id) {
                setReapplied({ id: result.consentId, replaced: d.id });
                onOpen(result.consentId);
              } else setNonce((n) => n + 1);
            }}
          />
          {reapplied?.id === d.id && (
            <Alert color="teal" variant="light" py="xs" data-testid="consent-reapplied-notice">
              <Text size="sm">
                Your change is written again as this consent (it replaces #{reapplied.replaced}) and queued for the chain. At the next sync it replaces the other
                workstation’s change there and on every workstation.
              </Text>
            </Alert>
          )}
          {revokedNotice && (
            <Alert color="teal" variant="light" py="xs" data-testid="consent-revoked-notice">
              <Text size="sm">Revoked. It no longer counts in access decisions; the change is queued for the chain.</Text>
            </Alert>
          )}
          <dl className={classes.dl}>
            <dt>Patient</dt>
            <dd>
              <Text size="sm" fw={600} span>
                {patientTitle(d.patient)}
              </Text>
              <Text size="xs" c="dimmed" data-testid="consent-patient-ref">
                {patientRef(d.patient)}
              </Text>
              {mayAccount && (
                <Anchor size="xs" href={hrefFor('audit', 'disclosures', { patient: String(d.patient.id) })} data-testid="consent-patient-disclosures">
                  Accounting of disclosures for this patient
                </Anchor>
              )}
            </dd>
            <dt>Grantee</dt>
            <dd>
              <Code>{d.grantee}</Code> {d.granteeKind === 'npi' ? 'provider (NPI)' : 'organisation'}
            </dd>
            <dt>Decision</dt>
            <dd>{d.decision === 'permit' ? 'Permit: the grantee may access' : 'Deny: the grantee may not access'}</dd>
            <dt>Purpose</dt>
            <dd>
              <Code>{d.purpose}</Code> {PURPOSE_LABELS[d.purpose]}
            </dd>
            <dt>Data category</dt>
            <dd>{CATEGORY_LABELS[d.category]}</dd>
            <dt>Period (UTC)</dt>
            <dd>
              {describePeriod(d.periodStart, d.periodEnd)}
              <Text size="xs" c="dimmed">
                The end is inclusive: a date covers its whole day.
              </Text>
            </dd>
            <dt>Status</dt>
            <dd data-testid="consent-detail-status-text">
              {STATUS_LABELS[d.status]}
              {d.revokedReason ? ` — ${d.revokedReason}` : ''}
              {d.supersededBy !== null && (
                <>
                  {' '}
                  by <ConsentLink id={d.supersededBy} onOpen={onOpen} />
                </>
              )}
            </dd>
            {d.supersedes.length > 0 && (
              <>
                <dt>Replaces</dt>
                <dd>
                  <Group gap={6}>
                    {d.supersedes.map((id) => (
                      <ConsentLink key={id} id={id} onOpen={onOpen} />
                    ))}
                  </Group>
                </dd>
              </>
            )}
            <dt>External id</dt>
            <dd>{d.externalId ? <Code>{d.externalId}</Code> : '—'}</dd>
            <dt>Source</dt>
            <dd>
              {describeSource(d.source, me)}
              {d.importRunId !== null && d.sourceRow !== null ? `, row ${d.sourceRow}` : ''}
            </dd>
            <dt>Document hash</dt>
            <dd>
              <Stack gap={4} align="flex-start">
                <Code fz={11} style={{ wordBreak: 'break-all' }} data-testid="consent-detail-hash">
                  {d.documentHash}
                </Code>
                <CopyText value={d.documentHash} label="Copy hash" />
              </Stack>
            </dd>
            <dt>Recorded / changed</dt>
            <dd>
              {formatDateTime(d.createdAt)} / {formatDateTime(d.updatedAt)}
            </dd>
          </dl>

          <Group gap="sm">
            <Button variant="default" onClick={() => onCheckAccess(d)} data-testid="consent-check-access">
              Check access for this patient and grantee
            </Button>
            {mayRevoke && d.status === 'active' && !revoking && (
              <Button color="red" variant="light" onClick={() => setRevoking(true)} data-testid="consent-revoke">
                Revoke…
              </Button>
            )}
          </Group>
          {revoking && (
            <RevokeForm
              consent={d}
              onCancel={() => setRevoking(false)}
              onRevoked={(updated) => {
                setState({ id: updated.id, detail: updated, error: null });
                setRevoking(false);
                setRevokedNotice(true);
                onChanged(updated);
              }}
            />
          )}

          <Stack gap="xs">
            <Title order={3} fz="h6">
              History
            </Title>
            {d.history.length === 0 ? (
              <Text size="sm" c="dimmed">
                No history recorded.
              </Text>
            ) : (
              <Timeline bulletSize={14} lineWidth={2} active={d.history.length - 1} data-testid="consent-history">
                {d.history.map((h, i) => {
                  const note = historyDetail(h.detail, h.actor, me);
                  return (
                    <Timeline.Item
                      key={i}
                      color={ACTION_COLORS[h.action]}
                      title={<Text size="sm" fw={600}>{ACTION_LABELS[h.action]}</Text>}
                      data-testid="consent-history-entry"
                      data-action={h.action}
                    >
                      <Text size="xs">
                        {formatDateTime(h.at)} · {describeSource(h.actor, me)}
                      </Text>
                      {note && (
                        <Text size="xs" c="dimmed">
                          {note}
                        </Text>
                      )}
                    </Timeline.Item>
                  );
                })}
              </Timeline>
            )}
          </Stack>
        </Stack>
      )}
    </Drawer>
  );
}
