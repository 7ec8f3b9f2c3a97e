// The result of "Verify integrity": whether the trail is intact (hash chain, signed tree heads from the database,
// the heads file and the chain) and, when it is not, the first entry changed, deleted or inserted.
import { Alert, Anchor, Badge, Button, Code, Group, List, Paper, SimpleGrid, Stack, Text, Title } from '@mantine/core';
import type { ReactElement, ReactNode } from 'react';
import type { AuditVerifyReport, TamperKind } from '../../../../main/api/audit';
import { formatCount, formatDateTime } from '../../components/format';
import { verifyFigures } from './verifyFigures';

const KIND_TEXT: Record<TamperKind, string> = {
  changed: 'changed after it was written',
  deleted: 'deleted (a gap in the chain)',
  inserted: 'inserted out of sequence',
  'forged-head': 'covered by a head the workstation key did not sign',
  replaced: 'replaced (the signed heads belong to another log)',
  'forked-head': 'rewritten and re-signed (two heads of one size)',
};

function Figure({ label, value, testId, tone }: { label: string; value: ReactNode; testId: string; tone?: 'bad' | 'warn' }): ReactElement {
  return (
    <Paper withBorder p="xs" radius="sm" bg={tone === 'bad' ? 'red.0' : tone === 'warn' ? 'yellow.0' : undefined}>
      <Text size="xs" c="dimmed">
        {label}
      </Text>
      <Text fw={600} size="lg" data-testid={testId}>
        {value}
      </Text>
    </Paper>
  );
}

export function VerifyPanel({ report, onOpenEntry, onClose }: { report: AuditVerifyReport; onOpenEntry: (id: number) => void; onClose: () => void }): ReactElement {
  const problem = report.firstProblem;
  const { log } = report;
  const lastHead = log.lastSignedHead;
  return (
    <Paper withBorder radius="md" p="md" component="section" aria-labelledby="verify-title" data-testid="audit-verify-result" data-ok={report.ok}>
      <Group justify="space-between" mb="sm" align="flex-start">
        <Group gap="sm">
          <Title order={2} fz="md" id="verify-title">
            Integrity check
          </Title>
          <Badge color={report.ok ? 'teal' : 'red'} variant="filled" size="md" data-testid="audit-verify-verdict">
            {report.ok ? 'Intact' : 'Problem found'}
          </Badge>
        </Group>
        <Group gap="xs">
          <Text size="xs" c="dimmed">
            {report.depth === 'full' ? 'Full check' : 'Quick check'} at {formatDateTime(report.checkedAt)} in {formatCount(report.durationMs)} ms
          </Text>
          <Button size="compact-xs" variant="subtle" onClick={onClose} className="custodian-no-print">
            Hide
          </Button>
        </Group>
      </Group>
      <Stack gap="sm">
        {problem ? (
          <Alert color="red" variant="light" title={`Entry #${problem.entryId} was ${KIND_TEXT[problem.kind]}`} role="alert" data-testid="audit-verify-problem" data-kind={problem.kind} data-entry-id={problem.entryId}>
            <Text size="sm">{problem.message}</Text>
            <Text size="sm" mt={4}>
              Entries from here on cannot be trusted until this is explained.{' '}
              {problem.kind !== 'deleted' && (
                <Anchor component="button" type="button" size="sm" onClick={() => onOpenEntry(problem.entryId)}>
                  Open entry #{problem.entryId}
                </Anchor>
              )}
            </Text>
          </Alert>
        ) : (
          report.ok && (
            <Text size="sm" data-testid="audit-verify-summary">
              All {formatCount(report.entries)} entries{report.lastEntryId !== null ? ` (up to #${report.lastEntryId})` : ''} hash into the next and match
              the signed tree heads; any entries after the last head are listed below.
            </Text>
          )
        )}
        <SimpleGrid cols={{ base: 2, md: 6 }} spacing="xs">
          {verifyFigures(report).map((f) => (
            <Figure key={f.testId} label={f.label} value={f.value} testId={f.testId} {...(f.tone ? { tone: f.tone } : {})} />
          ))}
        </SimpleGrid>
        <Text size="xs" c="dimmed" data-testid="audit-verify-notes">
          {lastHead ? <>Last head signed {formatDateTime(lastHead.timestamp)} by <Code fz="xs">{lastHead.signer}</Code>. </> : null}
          {report.chain.state === 'checked' ? (
            <>
              Heads compared with chain {report.chain.chainId}, contract <Code fz="xs">{report.chain.contract}</Code>.
            </>
          ) : (
            <>Heads not compared with the chain: {report.chain.reason}.</>
          )}{' '}
          Entries after the last signed tree head are covered by the hash chain only until the next head is signed (within 30 s of
          activity while the console runs, and at the end of each CLI command that wrote entries).
        </Text>
        {report.batchProblems.length > 0 && (
          <div>
            <Text size="sm" fw={600}>
              Problems in the local batch seals
            </Text>
            <List size="sm" spacing={2} data-testid="audit-verify-batch-problems">
              {report.batchProblems.map((b) => (
                <List.Item key={`${b.batchId}-${b.problem}`}>
                  Batch <Code fz="xs">{b.batchId}</Code> (entries {b.firstId}–{b.lastId}): {b.message}
                </List.Item>
              ))}
            </List>
          </div>
        )}
        {report.warnings.length > 0 && (
          <List size="xs" spacing={2} c="var(--custodian-text-warning)">
            {report.warnings.map((w) => (
              <List.Item key={w}>{w}</List.Item>
            ))}
          </List>
        )}
      </Stack>
    </Paper>
  );
}
