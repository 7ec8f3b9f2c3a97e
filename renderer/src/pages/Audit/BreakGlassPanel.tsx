// Break-glass review: emergency accesses (ETREAT) that overrode consent and nobody has reviewed yet. A reviewer
// other than the person who broke the glass records a note; the note stays out of the trail (it may name people).
import { Button, Code, Group, Modal, Paper, Skeleton, Stack, Table, Text, Textarea, Title } from '@mantine/core';
import { useState, type FormEvent, type ReactElement } from 'react';
import type { AuditEntryView } from '../../../../main/api/audit';
import { ApiCallError, invoke } from '../../api/client';
import { useApiQuery } from '../../api/hooks';
import { actionLabel, actorName, actorRole, detailText } from '../../components/auditLabels';
import { DenseTable, type DenseTableColumn } from '../../components/DenseTable';
import { ErrorBanner } from '../../components/ErrorBanner';
import { SuccessNotice } from '../../components/SuccessNotice';
import { formatCount, formatDateTime } from '../../components/format';

const BREAK_GLASS_COLUMNS: readonly DenseTableColumn[] = [
  { label: 'Entry' },
  { label: 'Time' },
  { label: 'Staff member' },
  { label: 'Action' },
  { label: 'Patient', align: 'right' },
  { label: 'Reason given' },
];

function reasonOf(entry: AuditEntryView): string {
  const d = entry.details;
  return detailText(d.reason ?? d.breakGlassReason ?? d.justification ?? null);
}

function ReviewDialog({ entry, onClose, onDone }: { entry: AuditEntryView | null; onClose: () => void; onDone: (entry: AuditEntryView) => void }): ReactElement {
  const [note, setNote] = useState('');
  const [noteError, setNoteError] = useState<string | null>(null);
  const [failure, setFailure] = useState<ApiCallError | null>(null);
  const [pending, setPending] = useState(false);
  const close = (): void => {
    setNote('');
    setNoteError(null);
    setFailure(null);
    onClose();
  };
  const submit = async (event: FormEvent): Promise<void> => {
    event.preventDefault();
    if (!entry) return;
    if (!note.trim()) {
      setNoteError('Write what you checked and what you concluded.');
      return;
    }
    setNoteError(null);
    setPending(true);
    setFailure(null);
    try {
      await invoke('audit.breakGlass.review', { entryId: entry.id, note: note.trim() });
      setNote('');
      onDone(entry);
    } catch (err) {
      setFailure(err instanceof ApiCallError ? err : new ApiCallError('audit.breakGlass.review', 'INTERNAL', String(err)));
    } finally {
      setPending(false);
    }
  };
  return (
    <Modal opened={entry !== null} onClose={close} title={entry ? `Review break-glass access #${entry.id}` : ''} size="lg" data-testid="break-glass-review-dialog">
      {entry && (
        <form onSubmit={(e) => void submit(e)} noValidate>
          <Stack gap="sm">
            <Text size="sm">
              <b>{actorName(entry.actor)}</b> ({actorRole(entry.actor)}) used emergency access to patient <b>{entry.patientId ?? '—'}</b> on{' '}
              {formatDateTime(entry.at)}. Reason given: <i>{reasonOf(entry)}</i>
            </Text>
            <Textarea
              label="Review note"
              description="What you checked (e.g. the admission record) and whether the access was justified. Kept with the review, not in the trail."
              required
              autosize
              minRows={3}
              maxLength={1000}
              value={note}
              onChange={(e) => {
                setNote(e.currentTarget.value);
                setNoteError(null);
              }}
              error={noteError}
              data-autofocus
              data-testid="break-glass-note"
            />
            {failure && <ErrorBanner title="The review was not recorded" error={failure} />}
            <Group justify="flex-end" gap="sm">
              <Button variant="default" size="sm" onClick={close} disabled={pending}>
                Cancel
              </Button>
              <Button type="submit" size="sm" loading={pending} data-testid="break-glass-review-submit">
                Record review
              </Button>
            </Group>
          </Stack>
        </form>
      )}
    </Modal>
  );
}

export function BreakGlassPanel({ onOpen }: { onOpen: (entry: AuditEntryView) => void }): ReactElement {
  const list = useApiQuery('audit.breakGlass.list', { limit: 200 });
  const [reviewing, setReviewing] = useState<AuditEntryView | null>(null);
  const [notice, setNotice] = useState<string | null>(null);
  const entries = list.data?.entries ?? [];
  return (
    <Paper withBorder radius="md" p="md" component="section" aria-labelledby="break-glass-title" data-testid="break-glass-panel">
      <Stack gap={2} mb="sm">
        <Title order={2} fz="md" id="break-glass-title">
          Break-glass accesses awaiting review
        </Title>
        <Text size="sm" c="dimmed">
          Emergency treatment access (ETREAT) overrides a patient’s consents. Each one needs a review by someone other than the person who used it.
        </Text>
      </Stack>
      <Stack gap="sm">
        {notice && <SuccessNotice onClose={() => setNotice(null)} testId="break-glass-feedback">
            {notice}
          </SuccessNotice>}
        {list.error && <ErrorBanner title="Could not load break-glass accesses" error={list.error} stale={!!list.data} onRetry={list.refetch} />}
        {list.loading && !list.data && <Skeleton height={40} />}
        {list.data && entries.length === 0 && (
          <Text size="sm" c="dimmed" data-testid="break-glass-empty">
            No break-glass accesses are waiting for review.
          </Text>
        )}
        {entries.length > 0 && (
          <DenseTable columns={BREAK_GLASS_COLUMNS} actions minWidth={820} testId="break-glass-table">
            {entries.map((e) => (
              <Table.Tr key={e.id} data-testid="break-glass-row" data-entry-id={e.id}>
                <Table.Td>
                  <Button size="compact-xs" variant="subtle" onClick={() => onOpen(e)} aria-label={`Open entry ${e.id}`}>
                    #{e.id}
                  </Button>
                </Table.Td>
                <Table.Td style={{ whiteSpace: 'nowrap' }}>{formatDateTime(e.at)}</Table.Td>
                <Table.Td>
                  {actorName(e.actor)} <Text span size="xs" c="dimmed">({actorRole(e.actor)})</Text>
                </Table.Td>
                <Table.Td>
                  {actionLabel(e.action)} <Code fz={10}>{e.action}</Code>
                </Table.Td>
                <Table.Td ta="right">{e.patientId ?? '—'}</Table.Td>
                <Table.Td maw={280}>
                  <Text size="xs" lineClamp={2}>
                    {reasonOf(e)}
                  </Text>
                </Table.Td>
                <Table.Td>
                  <Group justify="flex-end">
                    <Button size="compact-xs" onClick={() => setReviewing(e)} data-testid="break-glass-review">
                      Review…
                    </Button>
                  </Group>
                </Table.Td>
              </Table.Tr>
            ))}
          </DenseTable>
        )}
        {list.data && entries.length > 0 && (
          <Text size="xs" c="dimmed">
            {formatCount(entries.length)} awaiting review{entries.length >= 200 ? ' (the oldest are listed after these are reviewed)' : ''}.
          </Text>
        )}
      </Stack>
      <ReviewDialog
        entry={reviewing}
        onClose={() => setReviewing(null)}
        onDone={(e) => {
          setReviewing(null);
          setNotice(`Review of break-glass access #${e.id} recorded.`);
          list.refetch();
        }}
      />
    </Paper>
  );
}
