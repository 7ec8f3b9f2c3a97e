// One audit entry in full: every field as recorded, its hash, and its proof — the Merkle path from the entry to
// a signed tree head, and that head's consistency with a later head anchored on chain — which an outside auditor can check independently.
import { Alert, Badge, Button, Code, DataList, Drawer, Group, Stack, Text, Title } from '@mantine/core';
import { useEffect, useState, type ReactElement } from 'react';
import type { AuditEntryView, AuditProofResult } from '../../../../main/api/audit';
import { ApiCallError, invoke } from '../../api/client';
import { useSession } from '../../auth/SessionContext';
import { actionLabel, actorName, actorRole, detailText, outcomeView } from '../../components/auditLabels';
import { CopyText } from '../../components/CopyText';
import { ErrorBanner } from '../../components/ErrorBanner';
import { formatDateTime } from '../../components/format';
import classes from './Audit.module.css';
import { OutcomeBadge } from './AuditTable';

const ANCHOR_STATUS: Record<AuditProofResult['anchorStatus'], { label: string; color: string; text: string }> = {
  anchored: { label: 'Anchored on chain', color: 'teal', text: 'A later head of this log is on chain; the bundle holds the consistency proof and names the transaction.' },
  'not-anchored': { label: 'Not anchored yet', color: 'yellow', text: 'The entry is in a signed tree head, which has not reached the chain yet. The inclusion proof is already valid.' },
  'chain-unavailable': { label: 'Chain not checked', color: 'orange', text: 'The chain could not be reached, so the bundle has no anchoring transaction. Try again once the chain is connected.' },
};

function ProofPanel({ entry }: { entry: AuditEntryView }): ReactElement {
  const { can } = useSession();
  const [proof, setProof] = useState<AuditProofResult | null>(null);
  const [error, setError] = useState<ApiCallError | null>(null);
  const [pending, setPending] = useState(false);
  const [sealing, setSealing] = useState(false);

  const fetchProof = async (): Promise<void> => {
    setPending(true);
    setError(null);
    try {
      setProof(await invoke('audit.proof', { entryId: entry.id }));
    } catch (err) {
      setError(err instanceof ApiCallError ? err : new ApiCallError('audit.proof', 'INTERNAL', String(err)));
    } finally {
      setPending(false);
    }
  };

  const sealNow = async (): Promise<void> => {
    setSealing(true);
    try {
      await invoke('audit.batchNow', {});
      await fetchProof();
    } catch (err) {
      setError(err instanceof ApiCallError ? err : new ApiCallError('audit.batchNow', 'INTERNAL', String(err)));
    } finally {
      setSealing(false);
    }
  };

  const json = proof ? JSON.stringify(proof.bundle, null, 2) : '';
  const status = proof ? ANCHOR_STATUS[proof.anchorStatus] : null;
  return (
    <Stack gap="xs" data-testid="audit-proof">
      <Group justify="space-between">
        <Title order={3} fz="sm">
          Proof
        </Title>
        <Button size="compact-xs" variant="default" onClick={() => void fetchProof()} loading={pending} data-testid="audit-proof-get">
          {proof ? 'Get again' : 'Get proof'}
        </Button>
      </Group>
      {!proof && !error && (
        <Text size="xs" c="dimmed">
          The proof bundle holds this entry as hashed, its inclusion proof in a signed tree head and the consistency proof to the head anchored on chain. It can be checked with{' '}
          <Code fz="xs">custodian audit check-proof</Code> and any JSON-RPC endpoint, without this workstation.
        </Text>
      )}
      {error?.code === 'AUDIT_NOT_SIGNED' ? (
        <Alert color="yellow" variant="light" p="xs" data-testid="audit-proof-not-batched">
          <Text size="sm">
            This entry is not in a signed tree head yet. A head is signed within 30 seconds of activity; a proof exists from then on.
          </Text>
          {can('sync.run') && (
            <Button size="compact-xs" mt="xs" variant="outline" onClick={() => void sealNow()} loading={sealing}>
              Sign a head now
            </Button>
          )}
        </Alert>
      ) : (
        error && <ErrorBanner title="Could not get the proof" error={error} />
      )}
      {proof && status && (
        <>
          <Group gap="xs">
            <Badge color={status.color} variant="light" size="sm" data-testid="audit-proof-status">
              {status.label}
            </Badge>
            <Text size="xs">
              Signed head of {proof.bundle.head.treeSize} entries, root <Code fz="xs">{proof.bundle.head.rootHash}</Code>
              {proof.bundle.anchor ? `, anchored at ${proof.bundle.anchor.treeSize} entries` : ''}
            </Text>
          </Group>
          <Text size="xs" c="dimmed">
            {status.text}
          </Text>
          <Group justify="flex-end">
            <CopyText value={json} label="Copy proof JSON" testId="audit-proof-copy" />
          </Group>
          <Code block fz={11} className={classes.json} data-testid="audit-proof-json">
            {json}
          </Code>
        </>
      )}
    </Stack>
  );
}

export function EntryDrawer({ entry, onClose }: { entry: AuditEntryView | null; onClose: () => void }): ReactElement {
  // Keeps the last entry while the drawer animates closed.
  const [shown, setShown] = useState(entry);
  useEffect(() => {
    if (entry) setShown(entry);
  }, [entry]);
  const e = entry ?? shown;
  return (
    <Drawer opened={entry !== null} onClose={onClose} position="right" size="lg" title={e ? `Audit entry #${e.id}` : ''} data-testid="audit-entry-drawer">
      {e && (
        <Stack gap="md" key={e.id}>
          <DataList size="sm" gap={6} labelWidth={130}>
            <DataList.Item>
              <DataList.ItemLabel>Time</DataList.ItemLabel>
              <DataList.ItemValue>
                {formatDateTime(e.at)} <Text span size="xs" c="dimmed">({e.at} UTC)</Text>
              </DataList.ItemValue>
            </DataList.Item>
            <DataList.Item>
              <DataList.ItemLabel>Staff member</DataList.ItemLabel>
              <DataList.ItemValue data-testid="audit-entry-actor">
                {actorName(e.actor)} {e.actor && e.actor.id !== 'anonymous' && <Code fz="xs">{e.actor.id}</Code>}
              </DataList.ItemValue>
            </DataList.Item>
            <DataList.Item>
              <DataList.ItemLabel>Role</DataList.ItemLabel>
              <DataList.ItemValue>{actorRole(e.actor)}</DataList.ItemValue>
            </DataList.Item>
            <DataList.Item>
              <DataList.ItemLabel>Action</DataList.ItemLabel>
              <DataList.ItemValue>
                {actionLabel(e.action)} <Code fz="xs">{e.action}</Code>
              </DataList.ItemValue>
            </DataList.Item>
            <DataList.Item>
              <DataList.ItemLabel>Outcome</DataList.ItemLabel>
              <DataList.ItemValue>
                <Group gap={6}>
                  <OutcomeBadge outcome={e.outcome} />
                  <Text size="xs" c="dimmed">
                    {outcomeView(e.outcome).meaning}
                  </Text>
                </Group>
              </DataList.ItemValue>
            </DataList.Item>
            <DataList.Item>
              <DataList.ItemLabel>Patient (local id)</DataList.ItemLabel>
              <DataList.ItemValue>{e.patientId ?? '—'}</DataList.ItemValue>
            </DataList.Item>
            <DataList.Item>
              <DataList.ItemLabel>Subject</DataList.ItemLabel>
              <DataList.ItemValue>{e.subject ?? '—'}</DataList.ItemValue>
            </DataList.Item>
            <DataList.Item>
              <DataList.ItemLabel>Workstation</DataList.ItemLabel>
              <DataList.ItemValue>{e.workstation}</DataList.ItemValue>
            </DataList.Item>
            {Object.entries(e.details).map(([key, value]) => (
              <DataList.Item key={key}>
                <DataList.ItemLabel>
                  <Code fz="xs" bg="transparent" p={0}>
                    {key}
                  </Code>
                </DataList.ItemLabel>
                <DataList.ItemValue>{detailText(value)}</DataList.ItemValue>
              </DataList.Item>
            ))}
            <DataList.Item>
              <DataList.ItemLabel>Entry hash</DataList.ItemLabel>
              <DataList.ItemValue>
                <Code fz="xs" style={{ wordBreak: 'break-all' }}>
                  {e.hash}
                </Code>
              </DataList.ItemValue>
            </DataList.Item>
          </DataList>
          <ProofPanel entry={e} />
        </Stack>
      )}
    </Drawer>
  );
}
