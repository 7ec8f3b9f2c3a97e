// Incoming release-of-information requests: record a partner's request (decided at once against agreement,
// consent and credential), the requests with their decisions and every reason, and the release log with hashes.
import { Autocomplete, Badge, Button, Group, List, NativeSelect, NumberInput, Paper, Stack, Table, Text, TextInput, Title } from '@mantine/core';
import { useEffect, useState, type FormEvent, type ReactElement, type ReactNode } from 'react';
import { CATEGORIES } from '../../../../main/api/consents';
import { RELEASE_PURPOSES, type ReleaseRequestView } from '../../../../main/api/sharing';
import { ApiCallError, invoke } from '../../api/client';
import { ErrorBanner } from '../../components/ErrorBanner';
import { formatDateTime } from '../../components/format';
import { REASON_LABELS } from './sharingLabels';

export function RequestForm({
  onDecided,
  disabled,
  partners,
  picked,
}: {
  onDecided: (r: ReleaseRequestView) => void;
  disabled: boolean;
  /** The partner directory's ids, offered as the organisation is typed. */
  partners: string[];
  /** A partner picked in the directory (`at` changes on each pick, so picking the same one again still applies). */
  picked: { orgId: string; at: number } | null;
}): ReactElement {
  const [partnerOrgId, setPartner] = useState('');
  useEffect(() => {
    if (picked) setPartner(picked.orgId);
  }, [picked]);
  const [patientId, setPatientId] = useState<number | string>('');
  const [category, setCategory] = useState<string>('general');
  const [purpose, setPurpose] = useState<string>('TREAT');
  const [npi, setNpi] = useState('');
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<ApiCallError | null>(null);
  const submit = async (e: FormEvent): Promise<void> => {
    e.preventDefault();
    setBusy(true);
    setError(null);
    try {
      onDecided(
        await invoke('sharing.request', {
          partnerOrgId: partnerOrgId.trim(),
          patientId: Number(patientId),
          category: category as (typeof CATEGORIES)[number],
          purpose,
          ...(npi.trim() ? { professionalNpi: npi.trim() } : {}),
        }),
      );
    } catch (err) {
      setError(err instanceof ApiCallError ? err : new ApiCallError('sharing.request', 'INTERNAL', String(err)));
    } finally {
      setBusy(false);
    }
  };
  return (
    <form onSubmit={(e) => void submit(e)} aria-label="Record a release request">
      <Stack gap="xs">
        {error && <ErrorBanner error={error} title="The request was not decided" />}
        <Group align="flex-end" gap="sm" wrap="wrap">
          <Autocomplete
            label="Requesting organisation"
            description="Pick from the partner directory"
            required
            data={partners}
            value={partnerOrgId}
            onChange={setPartner}
            w={230}
            data-testid="request-partner"
          />
          <NumberInput label="Patient id" required min={1} value={patientId} onChange={setPatientId} w={120} data-testid="request-patient" />
          <NativeSelect label="Category" data={[...CATEGORIES]} value={category} onChange={(e) => setCategory(e.currentTarget.value)} data-testid="request-category" />
          <NativeSelect label="Purpose" data={[...RELEASE_PURPOSES]} value={purpose} onChange={(e) => setPurpose(e.currentTarget.value)} data-testid="request-purpose" />
          <TextInput label="Professional NPI (optional)" value={npi} onChange={(e) => setNpi(e.currentTarget.value)} w={190} data-testid="request-npi" />
          <Button type="submit" loading={busy} disabled={disabled} data-testid="request-submit">
            Decide
          </Button>
        </Group>
      </Stack>
    </form>
  );
}

export function DecisionBadge({ decision }: { decision: 'permit' | 'deny' }): ReactElement {
  return (
    <Badge color={decision === 'permit' ? 'green' : 'red'} variant="light" style={{ overflow: 'visible' }} miw={90}>
      {decision === 'permit' ? 'Released' : 'Denied'}
    </Badge>
  );
}

export function RequestsTable({ rows, testId }: { rows: ReleaseRequestView[]; testId: string }): ReactElement {
  if (rows.length === 0)
    return (
      <Text size="sm" c="dimmed" mt="xs" data-testid={`${testId}-empty`}>
        Nothing yet.
      </Text>
    );
  return (
    <Table striped withTableBorder verticalSpacing={4} fz="sm" mt="xs" data-testid={testId}>
      <Table.Thead>
        <Table.Tr>
          <Table.Th>#</Table.Th>
          <Table.Th>When</Table.Th>
          <Table.Th>Organisation</Table.Th>
          <Table.Th>Patient</Table.Th>
          <Table.Th>Category / purpose</Table.Th>
          <Table.Th miw={110}>Decision</Table.Th>
          <Table.Th>Reasons / released SHA-256</Table.Th>
        </Table.Tr>
      </Table.Thead>
      <Table.Tbody>
        {rows.map((r) => (
          <Table.Tr key={r.id} data-testid={`${testId}-row`} data-decision={r.decision} data-reasons={r.reasons.map((x) => x.code).join(' ')}>
            <Table.Td>{r.id}</Table.Td>
            <Table.Td>{formatDateTime(r.requestedAt)}</Table.Td>
            <Table.Td>{r.partnerOrgId}</Table.Td>
            <Table.Td>{r.patientId}</Table.Td>
            <Table.Td>
              {r.category} / {r.purpose}
              {r.professionalNpi ? ` · NPI ${r.professionalNpi}` : ''}
            </Table.Td>
            <Table.Td style={{ whiteSpace: 'nowrap' }}>
              <DecisionBadge decision={r.decision} />
            </Table.Td>
            <Table.Td>
              {r.reasons.length === 0 ? (
                <Text size="xs" ff="monospace" style={{ wordBreak: 'break-all' }}>
                  {r.releasedHash ?? 'all conditions hold'}
                </Text>
              ) : (
                <List size="xs" spacing={2}>
                  {r.reasons.map((x) => (
                    <List.Item key={x.code}>
                      <b>{REASON_LABELS[x.code] ?? x.code}</b> ({x.code}): {x.message}
                    </List.Item>
                  ))}
                </List>
              )}
            </Table.Td>
          </Table.Tr>
        ))}
      </Table.Tbody>
    </Table>
  );
}

export function Section({ title, children, id }: { title: string; children: ReactNode; id?: string }): ReactElement {
  return (
    <Paper withBorder p="md" component="section" aria-label={title} id={id}>
      <Title order={2} fz="h5" mb="sm">
        {title}
      </Title>
      {children}
    </Paper>
  );
}
