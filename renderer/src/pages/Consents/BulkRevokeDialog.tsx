// Bulk revoke, reviewed before it is done: main counts exactly which active consents the selection holds and of which
// patients and providers; the person gives a reason and, above 50 consents, types the confirmation main asks for.
import { Alert, Group, List, Loader, Modal, SimpleGrid, Stack, Text, TextInput } from '@mantine/core';
import { useEffect, useState, type FormEvent, type ReactElement } from 'react';
import type { BulkRevokePreview, BulkRevokeResult, BulkSelection } from '../../../../main/api/consents-bulk';
import { ApiCallError, invoke } from '../../api/client';
import { ErrorBanner } from '../../components/ErrorBanner';
import { formatCount } from '../../components/format';
import { ConfirmButtons, ReasonField, useReason } from '../../components/ReasonedConfirm';
import { patientTitle } from './labels';

export interface BulkRevokeDialogProps {
  /** What to revoke (chosen rows or the table's filter); null when closed. */
  selection: { what: string; selection: BulkSelection } | null;
  onClose: () => void;
  onDone: (result: BulkRevokeResult) => void;
}

const plural = (n: number, one: string, many = `${one}s`) => `${formatCount(n)} ${n === 1 ? one : many}`;
const asError = (channel: 'consents.bulkRevokePreview' | 'consents.bulkRevoke', err: unknown) => (err instanceof ApiCallError ? err : new ApiCallError(channel, 'INTERNAL', String(err)));

/** One side of the preview (patients or providers): its count, the first ones main named, and how many more. */
function ShownOfCount({ title, count, items, more, testId }: { title: string; count: number; items: { key: string; text: string }[]; more: string; testId: string }): ReactElement {
  return (
    <div>
      <Text size="sm" fw={600} component="h3" m={0}>
        {title} ({formatCount(count)})
      </Text>
      <List size="sm" spacing={2} data-testid={testId}>
        {items.map((item) => (
          <List.Item key={item.key}>{item.text}</List.Item>
        ))}
      </List>
      {count > items.length && (
        <Text size="xs" c="dimmed">
          and {plural(count - items.length, more)}
        </Text>
      )}
    </div>
  );
}

export function BulkRevokeDialog({ selection, onClose, onDone }: BulkRevokeDialogProps): ReactElement {
  const [preview, setPreview] = useState<BulkRevokePreview | null>(null);
  const [error, setError] = useState<ApiCallError | null>(null);
  const reason = useReason('Say why these consents are revoked (at least 3 characters).');
  const { reset: resetReason } = reason;
  const [typed, setTyped] = useState('');
  const [pending, setPending] = useState(false);

  const load = (): void => {
    if (!selection) return;
    setPreview(null);
    setError(null);
    setTyped('');
    invoke('consents.bulkRevokePreview', { selection: selection.selection }).then(setPreview, (err: unknown) => setError(asError('consents.bulkRevokePreview', err)));
  };
  useEffect(() => {
    resetReason();
    load();
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [selection]);

  const needsTyping = preview?.typedConfirmation ?? null;
  const typedOk = needsTyping === null || typed.trim() === needsTyping;

  const submit = async (event: FormEvent): Promise<void> => {
    event.preventDefault();
    if (!selection || !preview) return;
    const why = reason.validate();
    if (why === null) return;
    setPending(true);
    setError(null);
    try {
      const done = await invoke('consents.bulkRevoke', {
        selection: selection.selection,
        reason: why,
        expected: { consents: preview.consents, fingerprint: preview.fingerprint },
        ...(needsTyping ? { typedConfirmation: typed.trim() } : {}),
      });
      onDone(done);
    } catch (err) {
      setError(asError('consents.bulkRevoke', err));
    } finally {
      setPending(false);
    }
  };

  return (
    <Modal opened={selection !== null} onClose={onClose} title="Revoke consents in bulk" size="xl" closeButtonProps={{ 'aria-label': 'Close' }} data-testid="bulk-revoke-dialog">
      {selection && (
        <form onSubmit={(e) => void submit(e)} noValidate>
          <Stack gap="sm">
            {!preview && !error && (
              <Group gap="xs">
                <Loader size="xs" />
                <Text size="sm">Counting the consents {selection.what}…</Text>
              </Group>
            )}
            {error && <ErrorBanner title={error.code === 'CONFLICT' ? 'The selection changed' : 'Nothing was revoked'} error={error} onRetry={error.code === 'CONFLICT' ? load : undefined} />}
            {preview && preview.consents === 0 && (
              <Alert color="gray" variant="light" data-testid="bulk-revoke-nothing">
                <Text size="sm">None of the consents {selection.what} is active: there is nothing to revoke.</Text>
              </Alert>
            )}
            {preview && preview.consents > 0 && (
              <>
                <Alert color="red" variant="light" data-testid="bulk-revoke-summary">
                  <Text size="sm" fw={600}>
                    This will revoke {plural(preview.consents, 'consent')} of {plural(preview.patients.count, 'patient')} for {plural(preview.providers.count, 'provider')}.
                  </Text>
                  <Text size="sm">
                    Each is revoked as its own change, recorded in the audit trail and sent to the other workstations.
                    {preview.notActive > 0 && ` ${plural(preview.notActive, 'selected consent is', 'selected consents are')} not active and will be left as they are.`}
                  </Text>
                </Alert>
                <SimpleGrid cols={2} spacing="md">
                  <ShownOfCount
                    title="Patients"
                    count={preview.patients.count}
                    more="more patient"
                    testId="bulk-revoke-patients"
                    items={preview.patients.shown.map((p) => ({ key: String(p.id), text: `${patientTitle(p)}${p.mrn && p.name ? ` (MRN ${p.mrn})` : ''} · ${plural(p.consents, 'consent')}` }))}
                  />
                  <ShownOfCount
                    title="Providers"
                    count={preview.providers.count}
                    more="more provider"
                    testId="bulk-revoke-providers"
                    items={preview.providers.shown.map((g) => ({ key: g.grantee, text: `${g.name ? `${g.name} (${g.grantee})` : g.grantee} · ${plural(g.consents, 'consent')}` }))}
                  />
                </SimpleGrid>
                <ReasonField state={reason} label="Reason for revoking" description="Required. Kept with each consent’s history." testId="bulk-revoke-reason" />
                {needsTyping && (
                  <TextInput
                    label={`Type ${needsTyping} to confirm`}
                    description={`More than 50 consents change at once: type exactly ${needsTyping}.`}
                    value={typed}
                    onChange={(e) => setTyped(e.currentTarget.value)}
                    autoComplete="off"
                    data-testid="bulk-revoke-typed"
                  />
                )}
              </>
            )}
            <ConfirmButtons
              onCancel={onClose}
              confirm={preview && preview.consents > 0 ? { label: `Revoke ${plural(preview.consents, 'consent')}`, color: 'red.8', pending, disabled: !typedOk } : undefined}
              testIdPrefix="bulk-revoke"
            />
          </Stack>
        </form>
      )}
    </Modal>
  );
}
