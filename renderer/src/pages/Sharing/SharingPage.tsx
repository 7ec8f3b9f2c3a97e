// Sharing: data-sharing agreements with partner organisations (propose, sign, terminate, status), incoming
// release-of-information requests with their decisions and reasons, and the release log. Decisions are made in main.
import { TechnicalDetails } from '../../components/TechnicalDetails';
import { Alert, Badge, Button, Code, Group, Skeleton, Stack, Table, Text, TextInput } from '@mantine/core';
import { useState, type ReactElement } from 'react';
import type { AgreementView, ReleaseRequestView } from '../../../../main/api/sharing';
import { ApiCallError, invoke } from '../../api/client';
import { useApiQuery } from '../../api/hooks';
import { useSession } from '../../auth/SessionContext';
import { CopyText } from '../../components/CopyText';
import { ErrorBanner } from '../../components/ErrorBanner';
import { formatDateTime } from '../../components/format';
import { PageHeader } from '../../components/PageHeader';
import { SuccessNotice } from '../../components/SuccessNotice';
import type { PageDefinition } from '../types';
import { PartnerDirectory, usePartnerIds } from './PartnerDirectory';
import { ProposeDialog } from './ProposeDialog';
import { RequestForm, RequestsTable, Section } from './RequestsPanel';
import { agreementActions, shortId, STATUS_VIEW } from './sharingLabels';

// sharing.agreements (unaudited: no patient data) is read every 15 s, so a partner's signature shows up by itself.
const REFRESH_MS = 15_000;

function SharingIcon({ size = 18 }: { size?: number }): ReactElement {
  return (
    <svg width={size} height={size} viewBox="0 0 24 24" fill="none" stroke="currentColor" strokeWidth={1.8} strokeLinecap="round" strokeLinejoin="round" aria-hidden="true" focusable="false">
      <circle cx="6" cy="12" r="3" />
      <circle cx="18" cy="6" r="3" />
      <circle cx="18" cy="18" r="3" />
      <path d="m8.6 10.6 6.8-3.2M8.6 13.4l6.8 3.2" />
    </svg>
  );
}

function AgreementsTable({ rows, canManage, onSign, onTerminate }: { rows: AgreementView[]; canManage: boolean; onSign: (a: AgreementView) => void; onTerminate: (a: AgreementView) => void }): ReactElement {
  if (rows.length === 0) return <Text size="sm" c="dimmed" data-testid="agreements-empty">No agreements yet. Propose one, or wait for a partner's proposal to arrive from the chain.</Text>;
  return (
    <Table striped withTableBorder verticalSpacing={4} fz="sm" data-testid="agreements-table">
      <Table.Thead>
        <Table.Tr>
          <Table.Th>Agreement</Table.Th>
          <Table.Th>Partner</Table.Th>
          <Table.Th>Direction</Table.Th>
          <Table.Th>Categories / purposes</Table.Th>
          <Table.Th>Period</Table.Th>
          <Table.Th>Status</Table.Th>
          <Table.Th>Signatures</Table.Th>
          <Table.Th>Actions</Table.Th>
        </Table.Tr>
      </Table.Thead>
      <Table.Tbody>
        {rows.map((a) => {
          const act = agreementActions(a);
          const view = STATUS_VIEW[a.status];
          return (
            <Table.Tr key={a.id} data-testid="agreement-row" data-agreement-id={a.id} data-status={a.status} data-partner={a.partnerOrgId}>
              <Table.Td>
                <Code title={a.id}>{shortId(a.id)}</Code>
              </Table.Td>
              <Table.Td>{a.partnerOrgId}</Table.Td>
              <Table.Td>{a.direction}</Table.Td>
              <Table.Td>
                {a.categories.join(', ')} / {a.purposes.join(', ')}
              </Table.Td>
              <Table.Td>
                {a.validFrom.slice(0, 10)} – {new Date(Date.parse(a.validUntil) - 1000).toISOString().slice(0, 10)}
              </Table.Td>
              <Table.Td>
                <Badge color={view.color} variant="light" data-testid="agreement-status">
                  {view.label}
                </Badge>
                {act.waiting && (
                  <Text size="xs" c="dimmed">
                    {act.waiting}
                  </Text>
                )}
                {a.terminatedBy && (
                  <Text size="xs" c="dimmed">
                    by {a.terminatedBy.toLowerCase() === a.ourAddress.toLowerCase() ? 'us' : a.partnerOrgId}
                  </Text>
                )}
              </Table.Td>
              <Table.Td>
                <Text size="xs">
                  us {a.signedByUs ? '✓' : '—'} · {a.partnerOrgId} {a.signedByPartner ? '✓' : '—'}
                </Text>
              </Table.Td>
              <Table.Td>
                <Group gap={4} wrap="nowrap">
                  {act.canSign && (
                    <Button size="compact-xs" onClick={() => onSign(a)} disabled={!canManage} aria-label={`Sign agreement ${shortId(a.id)} with ${a.partnerOrgId}`} data-testid="agreement-sign">
                      Sign
                    </Button>
                  )}
                  {act.canTerminate && (
                    <Button size="compact-xs" color="red" variant="light" onClick={() => onTerminate(a)} disabled={!canManage} aria-label={`Terminate agreement ${shortId(a.id)} with ${a.partnerOrgId}`} data-testid="agreement-terminate">
                      Terminate
                    </Button>
                  )}
                </Group>
              </Table.Td>
            </Table.Tr>
          );
        })}
      </Table.Tbody>
    </Table>
  );
}

function SharingPage(): ReactElement {
  const { can } = useSession();
  const canManage = can('sharing.manage');
  const identity = useApiQuery('sharing.identity', {});
  const agreements = useApiQuery('sharing.agreements', {}, { refreshMs: REFRESH_MS });
  const requests = useApiQuery('sharing.requests', { releasedOnly: false, limit: 100 });
  // One audited read for both tables: the release log is the released part of the latest requests.
  const released = (requests.data ?? []).filter((r) => r.releasedAt !== null);
  const [proposeOpen, setProposeOpen] = useState(false);
  // Bumped when an agreement changes here, so the partner directory is read again.
  const [agreementsVersion, setAgreementsVersion] = useState(0);
  const partnerIds = usePartnerIds(agreementsVersion);
  const [proposeTo, setProposeTo] = useState<string | null>(null);
  const [requestFrom, setRequestFrom] = useState<{ orgId: string; at: number } | null>(null);
  const [notice, setNotice] = useState<string | null>(null);
  const [denial, setDenial] = useState<string | null>(null);
  const [actionError, setActionError] = useState<{ title: string; error: ApiCallError } | null>(null);
  const [terminating, setTerminating] = useState<AgreementView | null>(null);
  const [reason, setReason] = useState('');

  const run = async (title: string, channel: 'sharing.sign' | 'sharing.terminate', fn: () => Promise<AgreementView>, done: (a: AgreementView) => string): Promise<void> => {
    setActionError(null);
    setNotice(null);
    setDenial(null);
    try {
      setNotice(done(await fn()));
    } catch (err) {
      setActionError({ title, error: err instanceof ApiCallError ? err : new ApiCallError(channel, 'INTERNAL', String(err)) });
    } finally {
      agreements.refetch();
      setAgreementsVersion((v) => v + 1);
    }
  };
  const onDecided = (r: ReleaseRequestView): void => {
    setNotice(r.decision === 'permit' ? `Request #${r.id} released; SHA-256 ${r.releasedHash} recorded in the audit trail.` : null);
    setDenial(r.decision === 'deny' ? `Request #${r.id} denied: ${r.reasons.map((x) => x.code).join(', ')}. Nothing was released; the decision is in the audit trail.` : null);
    requests.refetch();
  };

  const me = identity.data;
  return (
    <>
      <PageHeader
        title="Sharing"
        description="Agreements with partner organisations, signed by both on chain, and release of information decided against agreement, patient consent and credentials."
        permission="sharing.view"
        actions={
          <Button
            onClick={() => {
              setProposeTo(null);
              setProposeOpen(true);
            }}
            disabled={!canManage || Boolean(me?.notConfigured)} data-testid="propose-open">
            Propose agreement
          </Button>
        }
      />
      <Stack gap="md">
        {notice && <SuccessNotice onClose={() => setNotice(null)}>{notice}</SuccessNotice>}
        {denial && (
          <Alert color="orange" variant="light" withCloseButton onClose={() => setDenial(null)} closeButtonLabel="Dismiss" data-testid="release-denied">
            {denial}
          </Alert>
        )}
        {actionError && <ErrorBanner error={actionError.error} title={actionError.title} />}
        <Section title="This organisation">
          {identity.error && <ErrorBanner error={identity.error} title="Could not read the organisation identity" onRetry={identity.refetch} />}
          {!me && !identity.error ? (
            <Skeleton h={40} />
          ) : me ? (
            <Stack gap={4} data-testid="org-identity" data-org-id={me.orgId} data-address={me.address} data-public-key={me.publicKey}>
              <Text size="sm">
                Organisation id <b data-testid="org-id">{me.orgId}</b>
              </Text>
              {me.notConfigured && (
                <Alert color="yellow" variant="light" title="Not configured" data-testid="sharing-not-configured">
                  {me.notConfigured}
                </Alert>
              )}
              <TechnicalDetails summary="Technical details (for partners’ IT staff)" testId="org-technical">
                <Stack gap={4}>
                  <Group gap="xs">
                    <Text size="sm">
                      Signing address <Code data-testid="org-address">{me.address}</Code>
                    </Text>
                    <CopyText value={me.address} label="Copy address" />
                  </Group>
                  <Group gap="xs">
                    <Text size="sm">
                      Public key (give it to partners: they seal proposed terms to it) <Code data-testid="org-public-key">{me.publicKey}</Code>
                    </Text>
                    <CopyText value={me.publicKey} label="Copy public key" />
                  </Group>
                  {!me.notConfigured && (
                    <Text size="xs" c="dimmed">
                      Signs for chain {me.chainId}, SharingAgreements {me.contract}
                    </Text>
                  )}
                </Stack>
              </TechnicalDetails>
            </Stack>
          ) : (
            <></>
          )}
        </Section>
        <Section title="Partner organisations">
          <PartnerDirectory
            version={agreementsVersion}
            onRequest={
              can('sharing.release')
                ? (orgId) => {
                    setRequestFrom({ orgId, at: Date.now() });
                    document.getElementById('incoming-requests')?.scrollIntoView({ block: 'start' });
                  }
                : null
            }
            onPropose={
              canManage && !me?.notConfigured
                ? (orgId) => {
                    setProposeTo(orgId);
                    setProposeOpen(true);
                  }
                : null
            }
          />
        </Section>
        <Section title="Agreements">
          {agreements.error && <ErrorBanner error={agreements.error} title="Could not load agreements" onRetry={agreements.refetch} stale={Boolean(agreements.data)} />}
          {agreements.loading ? (
            <Skeleton h={60} />
          ) : (
            <AgreementsTable
              rows={agreements.data ?? []}
              canManage={canManage}
              onSign={(a) => void run('The agreement was not signed', 'sharing.sign', () => invoke('sharing.sign', { id: a.id }), (x) => `Signed agreement ${shortId(x.id)} with ${x.partnerOrgId}; the signature is queued for the chain.`)}
              onTerminate={(a) => {
                setReason('');
                setTerminating(a);
              }}
            />
          )}
          {terminating && (
            <Group align="flex-end" mt="sm" data-testid="terminate-form">
              <TextInput label={`Why terminate ${shortId(terminating.id)} with ${terminating.partnerOrgId}?`} value={reason} onChange={(e) => setReason(e.currentTarget.value)} w={420} data-testid="terminate-reason" />
              <Button
                color="red"
                disabled={reason.trim().length < 3}
                data-testid="terminate-confirm"
                onClick={() => {
                  const a = terminating;
                  setTerminating(null);
                  void run('The agreement was not terminated', 'sharing.terminate', () => invoke('sharing.terminate', { id: a.id, reason: reason.trim() }), (x) => `Terminated agreement ${shortId(x.id)}; sharing under it stops now, and the termination is queued for the chain.`);
                }}
              >
                Terminate now
              </Button>
              <Button variant="default" onClick={() => setTerminating(null)}>
                Keep it
              </Button>
            </Group>
          )}
        </Section>
        <Section title="Incoming requests" id="incoming-requests">
          <RequestForm onDecided={onDecided} disabled={!can('sharing.release')} partners={partnerIds} picked={requestFrom} />
          {requests.error && <ErrorBanner error={requests.error} title="Could not load requests" onRetry={requests.refetch} />}
          <RequestsTable rows={requests.data ?? []} testId="requests-table" />
        </Section>
        <Section title="Release log">
          <RequestsTable rows={released} testId="release-log" />
          <Text size="xs" c="dimmed">
            Each release is written to the data folder's releases/ folder; its SHA-256 is in the audit trail and anchored with it. Last read {formatDateTime(requests.updatedAt ?? Date.now())}.
          </Text>
        </Section>
      </Stack>
      <ProposeDialog
        partners={partnerIds}
        partner={proposeTo}
        opened={proposeOpen}
        onClose={() => setProposeOpen(false)}
        onProposed={(a) => {
          setProposeOpen(false);
          setNotice(`Proposed agreement ${shortId(a.id)} to ${a.partnerOrgId}, signed with this organisation's key; queued for the chain.`);
          agreements.refetch();
          setAgreementsVersion((v) => v + 1);
        }}
      />
    </>
  );
}

export const sharingPage: PageDefinition = {
  id: 'sharing',
  label: 'Sharing',
  description: 'Data-sharing agreements with partner organisations and release of information under them.',
  section: 'Records',
  icon: SharingIcon,
  permission: 'sharing.view',
  Component: SharingPage,
};
