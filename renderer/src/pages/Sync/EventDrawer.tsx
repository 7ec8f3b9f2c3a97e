// One outbox event: what it carries to the chain (pseudonyms and hashes only), the batch that took it and that
// batch's transaction; for an audit root, where it is anchored and a check of the trail's roots against the chain.
import { Alert, Anchor, Badge, Box, Button, Code, DataList, Drawer, Group, Loader, Stack, Text, Title } from '@mantine/core';
import { useEffect, useRef, useState, type ReactElement, type ReactNode } from 'react';
import type { AuditVerifyReport } from '../../../../main/api/audit';
import type { SyncEventDetail } from '../../../../main/api/sync';
import { ApiCallError, invoke } from '../../api/client';
import { useApiQuery, usePushEvent } from '../../api/hooks';
import { useSession } from '../../auth/SessionContext';
import { CopyText } from '../../components/CopyText';
import { ErrorBanner } from '../../components/ErrorBanner';
import { formatCount, formatDateTime, humanizeKind } from '../../components/format';
import { hrefFor } from '../../shell/router';
import { BatchStateBadge } from './BatchesTable';
import { confirmationsText, eventStateView, failureLabel, judgeRoot } from './syncLabels';

function Row({ label, children, testId }: { label: string; children: ReactNode; testId?: string }): ReactElement {
  return (
    <DataList.Item>
      <DataList.ItemLabel>{label}</DataList.ItemLabel>
      <DataList.ItemValue data-testid={testId}>{children}</DataList.ItemValue>
    </DataList.Item>
  );
}

function Hex({ value, testId }: { value: string; testId?: string }): ReactElement {
  return (
    <Group gap={6} wrap="nowrap" align="flex-start">
      <Code fz="xs" style={{ wordBreak: 'break-all', flex: 1, minWidth: 0 }} data-testid={testId}>
        {value}
      </Code>
      <Box style={{ flexShrink: 0 }}>
        <CopyText value={value} />
      </Box>
    </Group>
  );
}

function payloadText(value: unknown): string {
  return typeof value === 'string' || typeof value === 'number' || typeof value === 'boolean' ? String(value) : JSON.stringify(value);
}

function AuditRootPanel({ event }: { event: SyncEventDetail }): ReactElement {
  const { can } = useSession();
  const [verify, setVerify] = useState<{ pending: boolean; report: AuditVerifyReport | null; error: ApiCallError | null }>({ pending: false, report: null, error: null });
  const headSize = typeof event.payload?.treeSize === 'number' ? event.payload.treeSize : null;
  const anchor = event.anchor;

  const run = async (): Promise<void> => {
    setVerify({ pending: true, report: null, error: null });
    try {
      setVerify({ pending: false, report: await invoke('audit.verify', { depth: 'quick' }), error: null });
    } catch (err) {
      setVerify({ pending: false, report: null, error: err instanceof ApiCallError ? err : new ApiCallError('audit.verify', 'INTERNAL', String(err)) });
    }
  };
  const outcome = verify.report && headSize !== null ? judgeRoot(verify.report, headSize, anchor !== null) : null;

  return (
    <Stack gap="xs" data-testid="sync-event-anchor">
      <Group justify="space-between">
        <Title order={3} fz="sm">
          Anchoring
        </Title>
        <Badge color={anchor ? 'teal' : 'yellow'} variant="light" size="sm" data-testid="sync-event-anchor-state" data-state={anchor ? 'anchored' : 'not-anchored'}>
          {anchor ? 'Anchored on chain' : 'Not seen on chain yet'}
        </Badge>
      </Group>
      {anchor ? (
        <DataList size="sm" gap={4} labelWidth={130}>
          <Row label="Block">{formatCount(anchor.blockNumber)}</Row>
          <Row label="Block hash">
            <Hex value={anchor.blockHash} />
          </Row>
          <Row label="Transaction">
            <Hex value={anchor.txHash} testId="sync-event-anchor-tx" />
          </Row>
          <Row label="Root number">{`No. ${formatCount(anchor.anchorIndex + 1)} in this audit trail’s chain of roots`}</Row>
        </DataList>
      ) : (
        <Text size="xs" c="dimmed">
          The puller reads AuditAnchor’s events after the batch is confirmed; the anchor appears here a few seconds later.
        </Text>
      )}
      {can('audit.view') ? (
        <>
          <Group gap="xs">
            <Button size="xs" variant="light" onClick={() => void run()} loading={verify.pending} disabled={headSize === null} data-testid="sync-event-verify">
              Verify on chain
            </Button>
            <Anchor href={hrefFor('audit')} size="xs">
              Proofs of single entries are on the Audit page
            </Anchor>
          </Group>
          {verify.pending && (
            <Group gap="xs">
              <Loader size="xs" />
              <Text size="xs">Recomputing the batch roots and reading AuditAnchor…</Text>
            </Group>
          )}
          {verify.error && <ErrorBanner title="The check could not run" error={verify.error} onRetry={() => void run()} />}
          {outcome && verify.report && (
            <Alert color={outcome.tone} variant="light" title={outcome.title} data-testid="sync-event-verify-result" data-tone={outcome.tone} p="xs">
              <Text size="xs">{outcome.text}</Text>
              <Text size="xs" c="dimmed" mt={4}>
                Whole trail: {verify.report.ok ? 'intact' : 'problems found (see the Audit page)'} · {formatCount(verify.report.batches.anchored)} of {formatCount(verify.report.batches.total)} batches anchored ·
                checked {formatDateTime(verify.report.checkedAt)}
              </Text>
            </Alert>
          )}
        </>
      ) : (
        <Text size="xs" c="dimmed" data-testid="sync-event-verify-unavailable">
          Checking the root against the chain reads the audit trail: a records manager or an auditor can do it here or on the Audit page.
        </Text>
      )}
    </Stack>
  );
}

export function EventDrawer({ eventId, confirmationsRequired, onClose }: { eventId: number | null; confirmationsRequired: number; onClose: () => void }): ReactElement {
  const query = useApiQuery('sync.event', { id: eventId ?? 1 }, { enabled: eventId !== null });
  const { refetch } = query;
  // The event moves on as the sender works: read it again after each state change (at most twice a second).
  const timer = useRef<ReturnType<typeof setTimeout> | null>(null);
  usePushEvent('sync.state', () => {
    if (eventId === null || timer.current) return;
    timer.current = setTimeout(() => {
      timer.current = null;
      refetch();
    }, 500);
  });
  useEffect(() => () => {
    if (timer.current) clearTimeout(timer.current);
  }, []);

  const event = query.data && query.data.id === eventId ? query.data : null;
  const state = event ? eventStateView(event.state) : null;
  return (
    <Drawer opened={eventId !== null} onClose={onClose} position="right" size="lg" title={eventId !== null ? `Outbox event #${eventId}` : ''} closeButtonProps={{ 'aria-label': 'Close the event' }} data-testid="sync-event-drawer">
      {query.error && <ErrorBanner title={`Could not read outbox event #${eventId}`} error={query.error} onRetry={refetch} />}
      {!event && !query.error && (
        <Group gap="xs">
          <Loader size="xs" />
          <Text size="sm">Reading the event…</Text>
        </Group>
      )}
      {event && state && (
        <Stack gap="md" key={event.id}>
          <DataList size="sm" gap={6} labelWidth={130}>
            <Row label="Kind" testId="sync-event-kind">
              <>
                {humanizeKind(event.kind)} <Code fz="xs">{event.kind}</Code>
              </>
            </Row>
            <Row label="State">
              <Badge color={state.color} variant="light" size="sm" data-testid="sync-event-state" data-state={event.state}>
                {state.label}
              </Badge>
            </Row>
            <Row label="Attempts">{formatCount(event.attempts)}</Row>
            <Row label="Recorded">{formatDateTime(event.createdAt)}</Row>
            <Row label="Last change">{formatDateTime(event.updatedAt)}</Row>
            {event.replacedBy != null && (
              <Row label="Replaced by" testId="sync-event-replaced-by">
                {`Outbox event #${event.replacedBy} (sent instead; this one never is)`}
              </Row>
            )}
            {event.lastError && (
              <Row label="Last error">
                <Text size="xs" c="var(--custodian-text-danger)">
                  {event.lastError}
                </Text>
              </Row>
            )}
          </DataList>

          <Stack gap="xs" data-testid="sync-event-batch">
            <Title order={3} fz="sm">
              Batch
            </Title>
            {event.batch ? (
              <DataList size="sm" gap={4} labelWidth={130}>
                <Row label="Batch id">
                  <Hex value={event.batch.id} testId="sync-event-batch-id" />
                </Row>
                <Row label="Status">
                  <BatchStateBadge state={event.batch.state} />
                </Row>
                <Row label="Events">{formatCount(event.batch.events)}</Row>
                <Row label="Transaction">{event.batch.txHash ? <Hex value={event.batch.txHash} testId="sync-event-tx" /> : '—'}</Row>
                <Row label="Block">{event.batch.blockNumber === null ? '—' : formatCount(event.batch.blockNumber)}</Row>
                <Row label="Confirmations">{confirmationsText(event.batch.confirmations, confirmationsRequired, event.batch.state)}</Row>
                <Row label="Gas used">{event.batch.gasUsed === null ? `est. ${formatCount(event.batch.estimatedGas)}` : formatCount(event.batch.gasUsed)}</Row>
                {event.batch.error && (
                  <Row label="Error">
                    <Text size="xs" c="var(--custodian-text-danger)">
                      {failureLabel(event.batch.error.subtype)}: {event.batch.error.message}
                    </Text>
                  </Row>
                )}
              </DataList>
            ) : (
              <Text size="sm" c="dimmed">
                Not in a batch yet: it waits in the queue for the next one.
              </Text>
            )}
          </Stack>

          {event.kind === 'audit.root' && <AuditRootPanel event={event} />}

          <Stack gap="xs">
            <Title order={3} fz="sm">
              What goes to the chain
            </Title>
            {event.payload ? (
              <DataList size="sm" gap={4} labelWidth={130} data-testid="sync-event-payload">
                {Object.entries(event.payload).map(([key, value]) => (
                  <Row key={key} label={key}>
                    <Code fz="xs" bg="transparent" p={0} style={{ wordBreak: 'break-all' }}>
                      {payloadText(value)}
                    </Code>
                  </Row>
                ))}
              </DataList>
            ) : (
              <Alert color="red" variant="light" p="xs">
                <Text size="xs">This payload failed the chain schema, so it is not shown here and will not be sent: it might hold something that must not leave the workstation.</Text>
              </Alert>
            )}
            <Text size="xs" c="dimmed">
              Pseudonyms, hashes and codes only: no name, MRN or date of birth ever leaves the workstation.
            </Text>
          </Stack>
        </Stack>
      )}
    </Drawer>
  );
}
