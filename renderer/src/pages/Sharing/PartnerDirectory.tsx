// The partner directory: every organisation this one has an agreement with, searchable by any part of its id (or the
// start of its signing address), with what its active agreements cover. Staff pick a partner here (or from the
// suggestions of the request and proposal forms) instead of typing its id.
import { Badge, Button, Group, Skeleton, Stack, Table, Text, TextInput, VisuallyHidden } from '@mantine/core';
import { useDebouncedValue } from '@mantine/hooks';
import { useEffect, useState, type ReactElement } from 'react';
import { PURPOSE_LABELS } from '../../../../main/api/consents';
import type { PartnerView } from '../../../../main/api/sharing';
import { useApiQuery } from '../../api/hooks';
import { ErrorBanner } from '../../components/ErrorBanner';
import { formatCount } from '../../components/format';

const DIRECTION_TEXT = { outbound: 'we share', inbound: 'they share', both: 'both ways' } as const;

/** The directory's ids, for the forms' suggestions; read again when `version` changes (an agreement changed). */
export function usePartnerIds(version: number): string[] {
  const q = useApiQuery('sharing.partners', { search: '' });
  const refetch = q.refetch;
  useEffect(() => {
    if (version > 0) refetch();
  }, [version, refetch]);
  return (q.data ?? []).map((p) => p.orgId);
}

function agreementsText(p: PartnerView): string {
  const parts = [p.active && `${formatCount(p.active)} active`, p.proposed && `${formatCount(p.proposed)} proposed`, p.ended && `${formatCount(p.ended)} ended`].filter(Boolean);
  return parts.join(' · ');
}

export function PartnerDirectory({
  onRequest,
  onPropose,
  version,
}: {
  onRequest: ((orgId: string) => void) | null;
  onPropose: ((orgId: string) => void) | null;
  /** Changes when an agreement changed: the directory is read again. */
  version: number;
}): ReactElement {
  const [search, setSearch] = useState('');
  const [debounced] = useDebouncedValue(search.trim(), 250);
  const partners = useApiQuery('sharing.partners', { search: debounced });
  const refetch = partners.refetch;
  useEffect(() => {
    if (version > 0) refetch();
  }, [version, refetch]);
  const rows = partners.data ?? [];
  return (
    <Stack gap="xs">
      <TextInput
        label="Find a partner"
        description="Any part of its organisation id"
        placeholder="e.g. clinic"
        value={search}
        onChange={(e) => setSearch(e.currentTarget.value)}
        w={320}
        data-testid="partner-search"
      />
      {partners.error && <ErrorBanner error={partners.error} title="Could not read the partner directory" onRetry={partners.refetch} stale={Boolean(partners.data)} />}
      {partners.loading ? (
        <Skeleton h={40} />
      ) : rows.length === 0 ? (
        <Text size="sm" c="dimmed" data-testid="partner-empty">
          {debounced ? 'No partner organisation matches this search.' : 'No partner organisations yet: they are listed here once an agreement with them is proposed or received.'}
        </Text>
      ) : (
        <Table striped withTableBorder verticalSpacing={4} fz="sm" data-testid="partner-table" aria-label="Partner organisations">
          <Table.Thead>
            <Table.Tr>
              <Table.Th>Organisation</Table.Th>
              <Table.Th>Agreements</Table.Th>
              <Table.Th>Active through</Table.Th>
              <Table.Th>Active agreements cover</Table.Th>
              <Table.Th>
                <VisuallyHidden>Actions</VisuallyHidden>
              </Table.Th>
            </Table.Tr>
          </Table.Thead>
          <Table.Tbody>
            {rows.map((p) => (
              <Table.Tr key={p.orgId} data-testid="partner-row" data-org-id={p.orgId} data-active={p.active}>
                <Table.Td fw={500}>{p.orgId}</Table.Td>
                <Table.Td>{agreementsText(p)}</Table.Td>
                {/* The last day covered, as the agreements table shows it (the stored end is exclusive). */}
                <Table.Td>{p.activeUntil ? new Date(Date.parse(p.activeUntil) - 1000).toISOString().slice(0, 10) : '—'}</Table.Td>
                <Table.Td>
                  {p.active ? (
                    <Group gap={4}>
                      {p.directions.map((d) => (
                        <Badge key={d} size="sm" variant="outline" color="gray">
                          {DIRECTION_TEXT[d]}
                        </Badge>
                      ))}
                      <Text size="xs">
                        {p.categories.join(', ')} · {p.purposes.map((x) => PURPOSE_LABELS[x]).join(', ')}
                      </Text>
                    </Group>
                  ) : (
                    <Text size="xs" c="dimmed">
                      nothing in force
                    </Text>
                  )}
                </Table.Td>
                <Table.Td>
                  <Group gap={4} justify="flex-end" wrap="nowrap">
                    {onRequest && (
                      <Button size="compact-xs" variant="default" onClick={() => onRequest(p.orgId)} aria-label={`Record a request from ${p.orgId}`} data-testid="partner-request">
                        Record a request
                      </Button>
                    )}
                    {onPropose && (
                      <Button size="compact-xs" variant="default" onClick={() => onPropose(p.orgId)} aria-label={`Propose an agreement to ${p.orgId}`} data-testid="partner-propose">
                        Propose agreement
                      </Button>
                    )}
                  </Group>
                </Table.Td>
              </Table.Tr>
            ))}
          </Table.Tbody>
        </Table>
      )}
    </Stack>
  );
}
