// After a bulk revoke: what was done, and its undo. Undo re-grants exactly the revoked consents as new changes; once
// the revokes have left for the chain it says it cannot be silent and offers the re-grant as a deliberate action.
// The same notice offers the undo of the person's own earlier bulk revoke found on opening the page (after a reload or
// a restart of the console: the record is in main's database), for as long as its undo window lasts.
import { Alert, Button, Group, Stack, Text } from '@mantine/core';
import { useState, type ReactElement } from 'react';
import type { BulkRevokeResult, BulkUndoResult, UndoableBulkRevoke } from '../../../../main/api/consents-bulk';
import { ApiCallError, invoke } from '../../api/client';
import { ErrorBanner } from '../../components/ErrorBanner';
import { formatCount, formatDateTime } from '../../components/format';

const plural = (n: number, one: string, many = `${one}s`) => `${formatCount(n)} ${n === 1 ? one : many}`;

export interface BulkRevokeNoticeProps {
  /** Just done on this page, or one of the person's own earlier ones still open to undo. */
  done: BulkRevokeResult | UndoableBulkRevoke;
  onChanged: () => void;
  onClose: () => void;
}

export function BulkRevokeNotice({ done, onChanged, onClose }: BulkRevokeNoticeProps): ReactElement {
  const [pending, setPending] = useState(false);
  const [synced, setSynced] = useState<string | null>(null);
  const [undone, setUndone] = useState<BulkUndoResult | null>(null);
  const [error, setError] = useState<ApiCallError | null>(null);

  const undo = async (afterSync: boolean): Promise<void> => {
    setPending(true);
    setError(null);
    try {
      setUndone(await invoke('consents.bulkUndo', { bulkId: done.bulkId, afterSync }));
      setSynced(null);
      onChanged();
    } catch (err) {
      const e = err instanceof ApiCallError ? err : new ApiCallError('consents.bulkUndo', 'INTERNAL', String(err));
      if (e.code === 'BULK_REVOKE_SYNCED') setSynced(e.message);
      else setError(e);
    } finally {
      setPending(false);
    }
  };

  if (undone) {
    return (
      <Alert color="teal" variant="light" withCloseButton closeButtonLabel="Dismiss" onClose={onClose} role="status" data-testid="bulk-undo-done" py="xs">
        <Text size="sm">
          {undone.afterSync ? 'Re-granted' : 'Bulk revoke undone'}: {plural(undone.regranted, 'consent')} granted again as new changes, with the same terms.
          {undone.skipped.length > 0 && ` ${plural(undone.skipped.length, 'consent was', 'consents were')} left as they are: changed since the bulk revoke.`}
        </Text>
      </Alert>
    );
  }
  return (
    <Alert color="teal" variant="light" withCloseButton closeButtonLabel="Dismiss" onClose={onClose} role="status" data-testid="bulk-revoke-done" py="xs">
      <Stack gap={6}>
        {'patients' in done ? (
          <Text size="sm">
            Revoked {plural(done.revoked, 'consent')} of {plural(done.patients, 'patient')} for {plural(done.providers, 'provider')}.
          </Text>
        ) : (
          <Text size="sm" data-testid="bulk-revoke-earlier">
            Your bulk revoke of {plural(done.revoked, 'consent')} on {formatDateTime(done.createdAt)} can still be undone
            {done.undoUntil ? ` until ${formatDateTime(done.undoUntil)}` : ''}.
          </Text>
        )}
        {synced ? (
          <Stack gap={4} data-testid="bulk-undo-synced">
            <Text size="sm">{synced}</Text>
            <Group gap="xs">
              <Button size="xs" color="dark" variant="outline" loading={pending} onClick={() => void undo(true)} data-testid="bulk-regrant">
                Re-grant these {plural(done.revoked, 'consent')}
              </Button>
            </Group>
          </Stack>
        ) : (
          <Group gap="xs">
            <Button size="xs" variant="outline" color="dark" loading={pending} onClick={() => void undo(false)} data-testid="bulk-undo">
              Undo this bulk revoke
            </Button>
            <Text size="xs" c="dimmed">
              Undone quietly until the revokes are sent to the other workstations; after that, only re-granted.
            </Text>
          </Group>
        )}
        {error && <ErrorBanner title="The bulk revoke was not undone" error={error} />}
      </Stack>
    </Alert>
  );
}
