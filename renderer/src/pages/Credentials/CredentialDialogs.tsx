// The two dialogs of the Credentials page: import a roster file (uploaded, dropped or picked; the page holds its id),
// or first only check it (a dry run: every row validated, nothing stored, the rejects listed), and change a
// credential's status (suspend, revoke, mark active) with the reason that goes into the audit trail.
import { Alert, Button, Code, Group, List, Modal, Stack, Text, Textarea, TextInput } from '@mantine/core';
import type { IncomingFile } from '../../../../main/api/imports';
import { useRef, useState, type FormEvent, type ReactElement } from 'react';
import type { CredentialView, IssuerStatusSignature, RosterImportStarted, StatusChangeResult } from '../../../../main/api/credentials';
import { ApiCallError, invoke } from '../../api/client';
import { fieldErrors } from '../../auth/fieldErrors';
import { ErrorBanner } from '../../components/ErrorBanner';
import { ImportFileChooser } from '../Imports/ImportFileChooser';
import { STATUS_ACTION_VIEW, type StatusAction } from './credentialLabels';

const ROSTER_COLUMNS_TEXT = 'npi, name, organization, specialty, credential_type, jurisdiction, number, valid_from, valid_until, issuer, signature, chain_id, registry';

function asError(channel: 'credentials.import' | 'credentials.setStatus', err: unknown): ApiCallError {
  return err instanceof ApiCallError ? err : new ApiCallError(channel, 'INTERNAL', String(err));
}

export function RosterImportDialog({
  opened,
  onClose,
  onStarted,
}: {
  opened: boolean;
  onClose: () => void;
  onStarted: (started: RosterImportStarted, dryRun: boolean) => void;
}): ReactElement {
  const [chosen, setChosen] = useState<IncomingFile | null>(null);
  const [problem, setProblem] = useState<string | null>(null);
  const [failure, setFailure] = useState<ApiCallError | null>(null);
  const [pending, setPending] = useState<'import' | 'check' | null>(null);
  // Which submit button was pressed (read in the same event, so a ref, not state).
  const dryRun = useRef(false);

  const close = (): void => {
    setProblem(null);
    setFailure(null);
    onClose();
  };
  const submit = async (e: FormEvent): Promise<void> => {
    e.preventDefault();
    const checkOnly = dryRun.current;
    setFailure(null);
    if (!chosen) {
      setProblem('Choose or drop the roster file.');
      return;
    }
    setProblem(null);
    setPending(checkOnly ? 'check' : 'import');
    try {
      const started = await invoke('credentials.import', { uploadId: chosen.uploadId, dryRun: checkOnly });
      // A checked file stays chosen: importing it next needs no second upload.
      if (!checkOnly) setChosen(null);
      onStarted(started, checkOnly);
    } catch (err) {
      const error = asError('credentials.import', err);
      const { byField } = fieldErrors(error.details, ['uploadId']);
      if (byField.uploadId) setProblem(byField.uploadId);
      else setFailure(error);
    } finally {
      setPending(null);
    }
  };

  return (
    <Modal opened={opened} onClose={close} title="Import a provider roster" size="lg" closeButtonProps={{ 'aria-label': 'Close' }} data-testid="roster-import-dialog">
      <form onSubmit={(e) => void submit(e)} noValidate>
        <Stack gap="sm">
          <Text size="sm">
            A CSV file with one row per credential (a provider without a credential has its credential cells empty). Each signed credential is checked
            as it is read; a bad row is set aside with its reason and never stops the good ones. Importing the same file again adds nothing twice.
            “Check the file only” reads and validates every row and lists the rejects, storing nothing.
          </Text>
          <Text size="xs" c="dimmed">
            Columns: <Code fz="xs">{ROSTER_COLUMNS_TEXT}</Code>
          </Text>
          <ImportFileChooser
            chosen={chosen}
            onChosen={(file) => {
              setChosen(file);
              setProblem(null);
            }}
            label="Roster file"
            accept=".csv,.txt,.json,.ndjson,.jsonl"
            kinds="a roster CSV file or FHIR R4 Practitioner and PractitionerRole (NDJSON or Bundle JSON)"
            idPrefix="roster"
          />
          {problem && (
            <Text size="sm" c="red" role="alert" data-testid="roster-file-problem">
              {problem}
            </Text>
          )}
          {failure && <ErrorBanner title="The import did not start" error={failure} />}
          <Group justify="flex-end" gap="sm">
            <Button variant="default" onClick={close} disabled={pending !== null}>
              Cancel
            </Button>
            <Button type="submit" variant="default" onClick={() => (dryRun.current = true)} loading={pending === 'check'} disabled={pending === 'import'} data-testid="roster-import-check">
              Check the file only
            </Button>
            <Button type="submit" onClick={() => (dryRun.current = false)} loading={pending === 'import'} disabled={pending === 'check'} data-testid="roster-import-start">
              Start import
            </Button>
          </Group>
        </Stack>
      </form>
    </Modal>
  );
}

export interface StatusChangeTarget {
  credential: CredentialView;
  providerName: string;
  action: StatusAction;
}

/** The signed fields from the issuer tool's JSON (extra fields ignored), or why they cannot be used. */
function issuerSignatureOf(text: string): IssuerStatusSignature | string {
  if (!text.trim()) return "Paste the issuer's signed status: without the issuer's signature the registry would refuse it.";
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    return 'This is not the JSON the issuer tool writes.';
  }
  const { expiresAt, nonce, deadline, signature } = (parsed ?? {}) as Record<string, unknown>;
  if (typeof expiresAt !== 'number' || typeof nonce !== 'number' || typeof deadline !== 'number' || typeof signature !== 'string') {
    return 'The signed status needs expiresAt, nonce, deadline and signature.';
  }
  return { expiresAt, nonce, deadline, signature };
}

export function StatusChangeDialog({ target, onClose, onChanged }: { target: StatusChangeTarget | null; onClose: () => void; onChanged: (result: StatusChangeResult, action: StatusAction) => void }): ReactElement {
  const [reason, setReason] = useState('');
  const [problem, setProblem] = useState<string | null>(null);
  const [signed, setSigned] = useState('');
  const [signedProblem, setSignedProblem] = useState<string | null>(null);
  const [failure, setFailure] = useState<ApiCallError | null>(null);
  const [pending, setPending] = useState(false);
  const view = target ? STATUS_ACTION_VIEW[target.action] : null;

  const close = (): void => {
    setReason('');
    setProblem(null);
    setSigned('');
    setSignedProblem(null);
    setFailure(null);
    onClose();
  };
  const submit = async (e: FormEvent): Promise<void> => {
    e.preventDefault();
    if (!target) return;
    setFailure(null);
    if (reason.trim().length < 3) {
      setProblem('Say why (at least 3 characters): it is recorded with the change.');
      return;
    }
    setProblem(null);
    const issuerSignature = issuerSignatureOf(signed);
    if (typeof issuerSignature === 'string') {
      setSignedProblem(issuerSignature);
      return;
    }
    setSignedProblem(null);
    setPending(true);
    try {
      const result = await invoke('credentials.setStatus', { credentialId: target.credential.id, status: target.action, reason: reason.trim(), issuerSignature });
      setReason('');
      setSigned('');
      onChanged(result, target.action);
    } catch (err) {
      const error = asError('credentials.setStatus', err);
      const { byField } = fieldErrors(error.details, ['reason', 'issuerSignature']);
      if (byField.reason) setProblem(byField.reason);
      else if (byField.issuerSignature) setSignedProblem(byField.issuerSignature);
      else setFailure(error);
    } finally {
      setPending(false);
    }
  };

  const c = target?.credential;
  return (
    <Modal opened={target !== null} onClose={close} title={view?.title ?? ''} size="lg" closeButtonProps={{ 'aria-label': 'Close' }} data-testid="status-change-dialog">
      {target && c && view && (
        <form onSubmit={(e) => void submit(e)} noValidate>
          <Stack gap="sm">
            <List size="sm" spacing={2}>
              <List.Item>
                Provider: <strong>{target.providerName}</strong> (NPI {c.npi})
              </List.Item>
              <List.Item>
                Credential: <strong>{c.typeLabel}</strong> {c.jurisdiction} {c.number}, valid {c.validFrom} to {c.validUntil}
              </List.Item>
            </List>
            <Alert color={view.color} variant="light" p="xs">
              <Text size="sm">{view.effect}</Text>
            </Alert>
            <Textarea
              label="Reason"
              description="Recorded with the change and in the audit trail. No patient details."
              required
              autosize
              minRows={2}
              maxLength={500}
              data-autofocus
              value={reason}
              onChange={(e) => {
                setReason(e.currentTarget.value);
                setProblem(null);
              }}
              error={problem}
              data-testid="status-change-reason"
            />
            <Textarea
              label="Issuer's signed status"
              description={`A status is the issuer's word: paste the JSON its tool made (custodian credentials sign-status --status ${target.action} --credential-hash ${c.credentialHash.slice(0, 10)}…). This workstation only relays it.`}
              required
              autosize
              minRows={3}
              maxLength={4000}
              value={signed}
              onChange={(e) => {
                setSigned(e.currentTarget.value);
                setSignedProblem(null);
              }}
              error={signedProblem}
              styles={{ input: { fontFamily: 'monospace' } }}
              data-testid="status-change-signature"
            />
            {failure && <ErrorBanner title="The status was not changed" error={failure} />}
            <Group justify="flex-end" gap="sm">
              <Button variant="default" onClick={close} disabled={pending}>
                Cancel
              </Button>
              <Button type="submit" color={view.color} loading={pending} data-testid="status-change-submit">
                {view.confirm}
              </Button>
            </Group>
          </Stack>
        </form>
      )}
    </Modal>
  );
}
