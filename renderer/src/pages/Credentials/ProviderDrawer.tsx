// One provider in full: who they are, each credential with its verdict, reason and time checked (with Verify and,
// for roles that may, suspend / revoke / mark active), and the verification trail, newest first.
import { Alert, Anchor, Badge, Button, Code, DataList, Drawer, Group, Loader, Menu, Paper, Stack, Table, Text, Title, Tooltip } from '@mantine/core';
import { useEffect, useRef, useState, type ReactElement } from 'react';
import type { CredentialCheckEntry, CredentialView, ProviderDetail, VerificationResult } from '../../../../main/api/credentials';
import { ApiCallError, invoke } from '../../api/client';
import { useApiQuery } from '../../api/hooks';
import { useSession } from '../../auth/SessionContext';
import { ErrorBanner } from '../../components/ErrorBanner';
import { formatAge, formatDateTime } from '../../components/format';
import { hrefFor } from '../../shell/router';
import { checkLabel, expiryText, localizeTimes, STATUS_ACTION_VIEW, statusActions, TRIGGER_LABELS, verdictView, type StatusAction } from './credentialLabels';
import classes from './Credentials.module.css';

export function VerdictBadge({ check, testId = 'verdict-badge' }: { check: CredentialView['check']; testId?: string }): ReactElement {
  const view = verdictView(check.verdict);
  return (
    <Tooltip label={view.meaning} multiline w={280} withArrow>
      <Badge color={check.verdict === 'verified' ? 'teal.9' : view.color} variant={check.verdict === 'verified' ? 'filled' : 'light'} size="md" data-testid={testId} data-verdict={check.verdict ?? 'unchecked'} style={{ minWidth: 'max-content' }}>
        {checkLabel(check)}
      </Badge>
    </Tooltip>
  );
}

const OUTBOX_STATE_TEXT: Record<string, string> = {
  pending: 'waiting to be sent to the chain',
  batched: 'in a batch for the chain',
  sent: 'sent to the chain, awaiting confirmation',
  confirmed: 'confirmed on chain',
  failed: 'failed to reach the chain (see Sync)',
};

function shortAddress(address: string): string {
  return address.length > 14 ? `${address.slice(0, 8)}…${address.slice(-6)}` : address;
}

function CredentialCard({
  c,
  onVerify,
  verifying,
  onAction,
}: {
  c: CredentialView;
  onVerify: (() => void) | null;
  verifying: boolean;
  onAction: ((action: StatusAction) => void) | null;
}): ReactElement {
  const actions = statusActions(c);
  return (
    <Paper withBorder radius="sm" p="sm" data-testid="credential-card" data-credential-id={c.id} data-verdict={c.check.verdict ?? 'unchecked'} data-number={c.number}>
      <Stack gap={6}>
        <Group justify="space-between" wrap="nowrap" align="flex-start">
          <Stack gap={0}>
            <Text fw={600} size="sm">
              {c.typeLabel}
            </Text>
            <Text size="xs" c="dimmed">
              {c.jurisdiction} · number <span className={classes.mono}>{c.number}</span>
            </Text>
          </Stack>
          <Group gap={6} wrap="nowrap">
            <VerdictBadge check={c.check} />
            {onVerify && (
              <Button size="compact-xs" variant="light" onClick={onVerify} loading={verifying} aria-label={`Verify ${c.typeLabel} ${c.number}`} data-testid="credential-verify">
                Verify
              </Button>
            )}
            {onAction && actions.length > 0 && (
              <Menu position="bottom-end" withinPortal>
                <Menu.Target>
                  <Button size="compact-xs" variant="default" aria-label={`Change the status of ${c.typeLabel} ${c.number}`} data-testid="credential-status-menu">
                    Status…
                  </Button>
                </Menu.Target>
                <Menu.Dropdown>
                  {actions.map((a) => (
                    <Menu.Item key={a} color={a === 'revoked' ? 'red' : undefined} onClick={() => onAction(a)} data-testid={`credential-action-${a}`}>
                      {STATUS_ACTION_VIEW[a].menu}
                    </Menu.Item>
                  ))}
                </Menu.Dropdown>
              </Menu>
            )}
          </Group>
        </Group>
        <DataList size="xs" gap={2} labelWidth={110}>
          <DataList.Item>
            <DataList.ItemLabel>Valid</DataList.ItemLabel>
            <DataList.ItemValue>
              <Group gap={6}>
                <Text size="xs">
                  {c.validFrom} to {c.validUntil}
                </Text>
                <Text size="xs" c={c.expiringSoon || c.daysToExpiry < 0 ? 'var(--mantine-color-orange-light-color)' : 'dimmed'} fw={c.expiringSoon ? 600 : undefined} data-testid="credential-expiry">
                  {expiryText(c)}
                </Text>
              </Group>
            </DataList.ItemValue>
          </DataList.Item>
          <DataList.Item>
            <DataList.ItemLabel>Finding</DataList.ItemLabel>
            <DataList.ItemValue>
              <Text size="xs" data-testid="credential-reason">
                {c.check.reason ? localizeTimes(c.check.reason) : 'Not verified yet: press Verify, or Verify all.'}
              </Text>
            </DataList.ItemValue>
          </DataList.Item>
          <DataList.Item>
            <DataList.ItemLabel>Checked</DataList.ItemLabel>
            <DataList.ItemValue>
              <Text size="xs" data-testid="credential-checked-at">
                {c.check.checkedAt ? formatDateTime(c.check.checkedAt) : 'never'}
                {c.check.lastVerifiedAt && c.check.verdict !== 'verified' ? ` · last verified ${formatDateTime(c.check.lastVerifiedAt)}` : ''}
              </Text>
            </DataList.ItemValue>
          </DataList.Item>
          <DataList.Item>
            <DataList.ItemLabel>Issuer</DataList.ItemLabel>
            <DataList.ItemValue>
              <Code fz="xs" title={c.issuer}>
                {shortAddress(c.issuer)}
              </Code>
              <Text span size="xs" c="dimmed" ml={6}>
                chain {c.chainId}, registry <span title={c.registry}>{shortAddress(c.registry)}</span>
              </Text>
            </DataList.ItemValue>
          </DataList.Item>
        </DataList>
        {c.localStatus && (
          <Alert
            color={c.localStatus.status === 'active' ? 'teal' : c.localStatus.status === 'revoked' ? 'red' : 'orange'}
            variant="light"
            p={6}
            data-testid="credential-local-status"
            data-status={c.localStatus.status}
          >
            <Text size="xs">
              {c.localStatus.status === 'active' ? 'Marked active' : c.localStatus.status === 'revoked' ? 'Revoked' : 'Suspended'} here by {c.localStatus.actor} on{' '}
              {formatDateTime(c.localStatus.at)}: “{c.localStatus.reason}”. The change is {OUTBOX_STATE_TEXT[c.localStatus.outboxState ?? ''] ?? 'recorded here'}.
            </Text>
          </Alert>
        )}
      </Stack>
    </Paper>
  );
}

function TrailTable({ trail, credentials, ownId, ownName }: { trail: readonly CredentialCheckEntry[]; credentials: readonly CredentialView[]; ownId: string | null; ownName: string | null }): ReactElement {
  const byId = new Map(credentials.map((c) => [c.id, c]));
  const who = (actor: string | null): string => {
    if (actor === null) return '—';
    if (actor === 'system') return 'Custodian (schedule)';
    if (actor === ownId && ownName) return ownName;
    return `Staff ${actor.slice(0, 8)}`;
  };
  return (
    // The trail is wider than the drawer (dates in full, in the person's locale): its scrolling viewport takes focus so
    // keyboard users can scroll it (axe scrollable-region-focusable).
    <Table.ScrollContainer minWidth={700} scrollAreaProps={{ viewportProps: { tabIndex: 0, role: 'region', 'aria-label': 'Verification history' } }}>
      <Table striped withTableBorder verticalSpacing={3} horizontalSpacing={6} fz="xs" data-testid="credential-trail">
        <Table.Thead>
          <Table.Tr>
            <Table.Th className={classes.nowrap}>Checked</Table.Th>
            <Table.Th>Number</Table.Th>
            <Table.Th>Verdict</Table.Th>
            <Table.Th>Reason</Table.Th>
            <Table.Th>How, by whom</Table.Th>
            <Table.Th ta="right">Block</Table.Th>
          </Table.Tr>
        </Table.Thead>
        <Table.Tbody>
          {trail.map((t) => {
            const c = byId.get(t.credentialId);
            const view = verdictView(t.verdict);
            return (
              <Table.Tr key={t.id} data-testid="credential-trail-row" data-verdict={t.verdict}>
                <Table.Td className={classes.nowrap}>{formatDateTime(t.checkedAt)}</Table.Td>
                <Table.Td className={classes.nowrap} title={c ? `${c.typeLabel}, ${c.jurisdiction}` : undefined}>
                  {c ? c.number : `#${t.credentialId}`}
                </Table.Td>
                <Table.Td>
                  <Badge color={view.color} variant="light" size="xs" style={{ minWidth: 'max-content' }}>
                    {view.label}
                  </Badge>
                </Table.Td>
                <Table.Td maw={280}>
                  <Text size="xs" lineClamp={2} title={localizeTimes(t.reason)}>
                    {localizeTimes(t.reason)}
                  </Text>
                </Table.Td>
                <Table.Td className={classes.nowrap} title={t.actor ?? undefined}>
                  {TRIGGER_LABELS[t.trigger]}
                  <Text span size="xs" c="dimmed">
                    {' · '}
                    {who(t.actor)}
                  </Text>
                </Table.Td>
                <Table.Td ta="right" className={classes.mono}>
                  {t.blockNumber ?? '—'}
                </Table.Td>
              </Table.Tr>
            );
          })}
        </Table.Tbody>
      </Table>
    </Table.ScrollContainer>
  );
}

export interface ProviderDrawerProps {
  providerId: number | null;
  onClose: () => void;
  /** A credential's status changed or was verified: the directory reads again. */
  onChanged: () => void;
  onStatusAction: (credential: CredentialView, providerName: string, action: StatusAction) => void;
  /** Bumped by the page after a status change, so the drawer reads the provider again. */
  version: number;
  notice: { text: string; outboxId: number | null } | null;
  onDismissNotice: () => void;
}

export function ProviderDrawer({ providerId, onClose, onChanged, onStatusAction, version, notice, onDismissNotice }: ProviderDrawerProps): ReactElement {
  const { can, principal } = useSession();
  // providers.get is audited: read once per opening (and after a change), never polled.
  const query = useApiQuery('providers.get', { providerId: providerId ?? 1 }, { enabled: providerId !== null });
  const [verifying, setVerifying] = useState<number | null>(null);
  const [verifyError, setVerifyError] = useState<ApiCallError | null>(null);
  const [lastResult, setLastResult] = useState<VerificationResult | null>(null);
  const { refetch } = query;

  const seenVersion = useRef(version);
  useEffect(() => {
    if (seenVersion.current === version) return;
    seenVersion.current = version;
    refetch();
  }, [version, refetch]);

  const verify = async (c: CredentialView): Promise<void> => {
    setVerifying(c.id);
    setVerifyError(null);
    setLastResult(null);
    try {
      setLastResult(await invoke('credentials.verify', { credentialId: c.id }));
      refetch();
      onChanged();
    } catch (err) {
      setVerifyError(err instanceof ApiCallError ? err : new ApiCallError('credentials.verify', 'INTERNAL', String(err)));
    } finally {
      setVerifying(null);
    }
  };

  const detail: ProviderDetail | null = query.data && query.data.provider.id === providerId ? query.data : null;
  const p = detail?.provider;
  const mayVerify = can('credentials.verify');
  return (
    <Drawer opened={providerId !== null} onClose={onClose} position="right" size={840} title={p ? p.name : 'Provider'} closeButtonProps={{ 'aria-label': 'Close the provider' }} data-testid="provider-drawer">
      {query.error && <ErrorBanner title="Could not read the provider" error={query.error} onRetry={refetch} />}
      {!detail && !query.error && (
        <Group gap="xs">
          <Loader size="xs" />
          <Text size="sm">Reading the provider…</Text>
        </Group>
      )}
      {detail && p && (
        <Stack gap="md" key={p.id}>
          <DataList size="sm" gap={4} labelWidth={140}>
            <DataList.Item>
              <DataList.ItemLabel>NPI</DataList.ItemLabel>
              <DataList.ItemValue className={classes.mono} data-testid="provider-npi">
                {p.npi}
              </DataList.ItemValue>
            </DataList.Item>
            <DataList.Item>
              <DataList.ItemLabel>Organization</DataList.ItemLabel>
              <DataList.ItemValue>{p.organization ?? '—'}</DataList.ItemValue>
            </DataList.Item>
            <DataList.Item>
              <DataList.ItemLabel>Specialty</DataList.ItemLabel>
              <DataList.ItemValue>{p.specialty ?? '—'}</DataList.ItemValue>
            </DataList.Item>
            <DataList.Item>
              <DataList.ItemLabel>In the directory</DataList.ItemLabel>
              <DataList.ItemValue>
                since {formatDateTime(p.createdAt)}
                <Text span size="xs" c="dimmed">
                  {' '}
                  · from {p.source.startsWith('roster:') ? `roster import #${p.source.slice(7)}` : p.source}
                </Text>
              </DataList.ItemValue>
            </DataList.Item>
          </DataList>

          {notice && (
            <Alert color="teal" variant="light" withCloseButton closeButtonLabel="Dismiss" onClose={onDismissNotice} p="xs" data-testid="provider-notice" role="status">
              <Text size="sm">
                {notice.text}
                {notice.outboxId !== null && can('sync.view') && (
                  <>
                    {' '}
                    <Anchor href={hrefFor('sync', undefined, { event: String(notice.outboxId) })} size="sm" data-testid="provider-notice-outbox">
                      Follow outbox event #{notice.outboxId} on the Sync page
                    </Anchor>
                  </>
                )}
              </Text>
            </Alert>
          )}
          {verifyError && <ErrorBanner title="The verification did not run" error={verifyError} />}
          {lastResult && (
            <Text size="xs" c="dimmed" data-testid="provider-last-check">
              Checked {formatDateTime(lastResult.checkedAt)}:{' '}
              {lastResult.chain ? `registry ${shortAddress(lastResult.chain.registry)} on chain ${lastResult.chain.chainId}, block ${lastResult.chain.blockNumber}` : 'the registry was not reached'}.
              {lastResult.cached && (
                <span data-testid="provider-cached-verdict" data-age-seconds={lastResult.cached.ageSeconds ?? undefined}>
                  {' '}
                  {lastResult.cached.lastVerifiedAt && lastResult.cached.ageSeconds !== null
                    ? `This answer rests on the cached verification of ${formatDateTime(lastResult.cached.lastVerifiedAt)} (${formatAge(lastResult.cached.ageSeconds)} old).`
                    : 'It was never verified against the registry.'}
                </span>
              )}
            </Text>
          )}

          <Stack gap="xs">
            <Title order={3} fz="sm">
              Credentials ({detail.credentials.length})
            </Title>
            {detail.credentials.length === 0 && (
              <Text size="sm" c="dimmed">
                The roster listed this provider without a credential.
              </Text>
            )}
            {detail.credentials.map((c) => (
              <CredentialCard
                key={c.id}
                c={c}
                verifying={verifying === c.id}
                onVerify={mayVerify ? () => void verify(c) : null}
                onAction={mayVerify ? (a) => onStatusAction(c, p.name, a) : null}
              />
            ))}
            {!mayVerify && (
              <Text size="xs" c="dimmed">
                Verifying and changing a credential’s status needs a records manager or an IT administrator.
              </Text>
            )}
          </Stack>

          <Stack gap="xs">
            <Title order={3} fz="sm">
              Verification trail
            </Title>
            {detail.trail.length === 0 ? (
              <Text size="sm" c="dimmed" data-testid="credential-trail-empty">
                No verification yet.
              </Text>
            ) : (
              <TrailTable trail={detail.trail} credentials={detail.credentials} ownId={principal?.id ?? null} ownName={principal?.name ?? null} />
            )}
            <Text size="xs" c="dimmed">
              Every check is also in the audit trail. The newest 200 checks are shown.
            </Text>
          </Stack>
        </Stack>
      )}
    </Drawer>
  );
}
