// Consent conflicts: changes of this workstation that lost under the ordering rule (main/sync/README.md), each with
// what was written here, what the consent shows now, who won and why, and the two ways out: accept the chain's
// state, or re-apply mine (a new change with a fresh stamp that wins by the rule). A table on the Sync page; a
// notice at the top of the consent drawer.
import { Alert, Button, Group, Popover, Stack, Table, Text, Tooltip, UnstyledButton } from '@mantine/core';
import { useEffect, useState, type ReactElement } from 'react';
import type { ConsentConflictSummary, ConflictResolution, ResolveConflictResult } from '../../../../main/api/sync';
import { ApiCallError, invoke } from '../../api/client';
import { useApiQuery } from '../../api/hooks';
import { useSession } from '../../auth/SessionContext';
import { DenseTable, type DenseTableColumn } from '../../components/DenseTable';
import { ErrorBanner } from '../../components/ErrorBanner';
import { formatDateTime } from '../../components/format';
import { describeSource } from '../Consents/labels';
import { changeWord, conflictConsentText, CONFLICT_REASON_TEXT, nowNote, resolutionText, resolveBlocked, winnerText } from './conflictLabels';
import classes from './Sync.module.css';

const CONFLICT_COLUMNS: readonly DenseTableColumn[] = [
  { label: '#' },
  { label: 'Consent' },
  { label: 'Your change' },
  { label: 'Shown here now' },
  { label: 'Won by' },
  { label: 'Why' },
  { label: 'Found', nowrap: true },
];

export interface ConflictsListProps {
  /** Only this consent's key history (the drawer); every conflict otherwise. */
  consentId?: number;
  /** Resolved ones too. */
  includeResolved?: boolean;
  /** This workstation's signer, to name a winner that is this workstation. */
  mySigner: string | null;
  /** A value that changes when conflicts may have changed (e.g. the open count): read again. */
  refreshKey?: unknown;
  /** The drawer's form: one notice per open conflict instead of a table. */
  compact?: boolean;
  onResolved?: (result: ResolveConflictResult, conflict: ConsentConflictSummary) => void;
  onOpenConsent?: (consentId: number) => void;
}

function asError(err: unknown): ApiCallError {
  return err instanceof ApiCallError ? err : new ApiCallError('sync.resolveConflict', 'INTERNAL', String(err));
}

function ReapplyButton({ conflict, pending, disabledReason, onConfirm }: { conflict: ConsentConflictSummary; pending: boolean; disabledReason: string | null; onConfirm: () => void }): ReactElement {
  const [opened, setOpened] = useState(false);
  const what = conflict.mine ? changeWord(conflict.mine).toLowerCase() : 'change';
  return (
    <Popover opened={opened} onChange={setOpened} position="bottom-end" withArrow shadow="md" width={300} trapFocus>
      <Popover.Target>
        <Tooltip label={disabledReason ?? 'Write your change again with a fresh stamp: it replaces the chain’s state at the next sync'} withArrow multiline w={260}>
          <Button size="compact-xs" variant="outline" color="orange" disabled={disabledReason !== null} loading={pending} onClick={() => setOpened((o) => !o)} data-testid="conflict-reapply">
            Re-apply mine
          </Button>
        </Tooltip>
      </Popover.Target>
      <Popover.Dropdown>
        <Stack gap="xs">
          <Text size="sm">
            Make your {what} the consent’s state again? It replaces what the other workstation wrote, here now and on every workstation after the next sync.
          </Text>
          <Group justify="flex-end" gap="xs">
            <Button size="compact-sm" variant="default" onClick={() => setOpened(false)}>
              Cancel
            </Button>
            <Button
              size="compact-sm"
              color="orange"
              onClick={() => {
                setOpened(false);
                onConfirm();
              }}
              data-testid="conflict-reapply-confirm"
            >
              Re-apply my {what}
            </Button>
          </Group>
        </Stack>
      </Popover.Dropdown>
    </Popover>
  );
}

function Actions({ conflict, mayResolve, pending, onResolve }: { conflict: ConsentConflictSummary; mayResolve: boolean; pending: ConflictResolution | null; onResolve: (r: ConflictResolution) => void }): ReactElement {
  const { principal } = useSession();
  const me = principal ? { id: principal.id, name: principal.name } : null;
  const done = resolutionText(conflict, (id) => describeSource(id, me));
  if (done) {
    return (
      <Text size="xs" c="dimmed" data-testid="conflict-resolution" data-resolution={conflict.resolution}>
        {done}, {formatDateTime(conflict.resolvedAt)}
      </Text>
    );
  }
  if (!mayResolve) {
    return (
      <Text size="xs" c="dimmed" data-testid="conflict-no-permission">
        A records manager resolves this.
      </Text>
    );
  }
  const blocked = resolveBlocked(conflict);
  return (
    <Group gap={6} wrap="nowrap">
      <Tooltip label={blocked.accept ?? 'Keep what the chain holds: the consent already shows it here'} withArrow multiline w={260}>
        <Button size="compact-xs" variant="default" disabled={blocked.accept !== null || pending !== null} loading={pending === 'accepted'} onClick={() => onResolve('accepted')} data-testid="conflict-accept">
          Accept the chain’s state
        </Button>
      </Tooltip>
      <ReapplyButton conflict={conflict} pending={pending === 'reapplied'} disabledReason={blocked.reapply ?? (pending !== null ? 'Working…' : null)} onConfirm={() => onResolve('reapplied')} />
    </Group>
  );
}

function NowText({ c }: { c: ConsentConflictSummary }): ReactElement {
  if (!c.now) return <Text span size="xs">—</Text>;
  const note = nowNote(c);
  return (
    <>
      <Text span size="xs">
        {changeWord(c.now)}
      </Text>
      {note && (
        <Text size="xs" c="dimmed">
          {note}
        </Text>
      )}
    </>
  );
}

export function ConflictsList({ consentId, includeResolved = false, mySigner, refreshKey, compact = false, onResolved, onOpenConsent }: ConflictsListProps): ReactElement | null {
  const { can } = useSession();
  const mayResolve = can('consents.revoke');
  const input = consentId === undefined ? { open: !includeResolved, limit: 200 } : { open: !includeResolved, consentId, limit: 50 };
  const mayView = can('sync.view');
  const conflicts = useApiQuery('sync.conflicts', input, { enabled: mayView });
  const refetch = conflicts.refetch;
  useEffect(() => {
    if (refreshKey !== undefined) refetch();
  }, [refreshKey, refetch]);

  const [pending, setPending] = useState<{ id: number; resolution: ConflictResolution } | null>(null);
  const [failure, setFailure] = useState<{ id: number; error: ApiCallError } | null>(null);
  const [notice, setNotice] = useState<string | null>(null);
  const resolve = async (c: ConsentConflictSummary, resolution: ConflictResolution): Promise<void> => {
    setPending({ id: c.id, resolution });
    setFailure(null);
    setNotice(null);
    try {
      const result = await invoke('sync.resolveConflict', { id: c.id, resolution });
      setNotice(
        !result.resolved
          ? `Conflict #${c.id} was already resolved.`
          : resolution === 'accepted'
            ? `Conflict #${c.id} closed: the consent keeps the chain’s state.`
            : `Your change is written again as consent #${result.consentId} and queued for the chain; it replaces the other workstation’s change at the next sync.`,
      );
      onResolved?.(result, c);
    } catch (err) {
      setFailure({ id: c.id, error: asError(err) });
    } finally {
      setPending(null);
      refetch();
    }
  };

  const rows = conflicts.data ?? [];
  const pendingFor = (c: ConsentConflictSummary) => (pending?.id === c.id ? pending.resolution : null);
  const feedback = (
    <>
      {notice && (
        <Alert color="teal" variant="light" py="xs" withCloseButton closeButtonLabel="Dismiss" onClose={() => setNotice(null)} data-testid="conflict-feedback" role="status">
          <Text size="sm">{notice}</Text>
        </Alert>
      )}
      {failure && <ErrorBanner title={`Conflict #${failure.id} was not resolved`} error={failure.error} />}
      {conflicts.error && <ErrorBanner title="Could not read the consent conflicts" error={conflicts.error} stale={!!conflicts.data} onRetry={refetch} />}
    </>
  );

  if (!mayView) return null;
  if (compact) {
    const open = rows.filter((c) => c.resolution === null);
    if (open.length === 0 && !notice && !failure && !conflicts.error) return null;
    return (
      <Stack gap="xs" data-testid="consent-conflicts">
        {feedback}
        {open.map((c) => (
          <Alert key={c.id} color="orange" variant="light" title={`Sync conflict: your ${c.mine ? changeWord(c.mine).toLowerCase() : 'change'} did not take effect`} data-testid="consent-conflict" data-conflict-id={c.id} data-reason={c.reason}>
            <Stack gap={6}>
              <Text size="sm">{CONFLICT_REASON_TEXT[c.reason].detail}</Text>
              <Text size="xs">
                Yours: {c.mine ? changeWord(c.mine) : '—'} at {formatDateTime(c.myAt)} · Won by: {winnerText(c, mySigner)}
                {c.winningAt ? ` at ${formatDateTime(c.winningAt)}` : ''} · Shown here now: {c.now ? changeWord(c.now) : '—'}
                {nowNote(c) ? ` (${nowNote(c)})` : ''}
              </Text>
              <Actions conflict={c} mayResolve={mayResolve} pending={pendingFor(c)} onResolve={(r) => void resolve(c, r)} />
            </Stack>
          </Alert>
        ))}
      </Stack>
    );
  }

  return (
    <Stack gap="xs">
      {feedback}
      {conflicts.data && rows.length === 0 && (
        <Text size="sm" c="dimmed" data-testid="sync-conflicts-empty">
          {includeResolved ? 'No consent conflicts have been raised on this workstation.' : 'No open conflicts: every consent change of this workstation took effect.'}
        </Text>
      )}
      {rows.length > 0 && (
        <DenseTable columns={CONFLICT_COLUMNS} actions minWidth={1080} testId="sync-conflicts-table">
          {rows.map((c) => (
            <Table.Tr key={c.id} data-testid="sync-conflict-row" data-conflict-id={c.id} data-reason={c.reason} data-resolution={c.resolution ?? 'open'}>
              <Table.Td>{c.id}</Table.Td>
              <Table.Td>
                {onOpenConsent ? (
                  <UnstyledButton onClick={() => onOpenConsent(c.now?.consentId ?? c.consentId)} aria-label={`Open consent ${c.now?.consentId ?? c.consentId}`} data-testid="conflict-open-consent">
                    <Text span size="xs" c="var(--custodian-text-link)" td="underline">
                      {conflictConsentText(c)}
                    </Text>
                  </UnstyledButton>
                ) : (
                  conflictConsentText(c)
                )}
              </Table.Td>
              <Table.Td className={classes.nowrap}>
                <Text span size="xs" fw={600}>
                  {c.mine ? changeWord(c.mine) : '—'}
                </Text>
                <Text size="xs" c="dimmed">
                  {formatDateTime(c.myAt)}
                </Text>
              </Table.Td>
              <Table.Td>
                <NowText c={c} />
              </Table.Td>
              <Table.Td>
                {winnerText(c, mySigner)}
                {c.winningAt && (
                  <Text size="xs" c="dimmed">
                    {formatDateTime(c.winningAt)}
                  </Text>
                )}
              </Table.Td>
              <Table.Td maw={260}>
                <Tooltip label={CONFLICT_REASON_TEXT[c.reason].detail} withArrow multiline w={320}>
                  <Text size="xs" fw={600} c={c.reason === 'FUTURE' ? 'red.8' : 'orange.9'} tabIndex={0} data-testid="conflict-reason">
                    {CONFLICT_REASON_TEXT[c.reason].label}
                  </Text>
                </Tooltip>
              </Table.Td>
              <Table.Td className={classes.nowrap}>{formatDateTime(c.raisedAt)}</Table.Td>
              <Table.Td>
                <Actions conflict={c} mayResolve={mayResolve} pending={pendingFor(c)} onResolve={(r) => void resolve(c, r)} />
              </Table.Td>
            </Table.Tr>
          ))}
        </DenseTable>
      )}
    </Stack>
  );
}
