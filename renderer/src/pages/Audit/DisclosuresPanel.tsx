// Accounting of disclosures: for one patient (by patient number) and a period, every access, change, release,
// break-glass and claim that touched them — a table, a CSV download and a printable page. Producing it is audited.
import { Alert, Badge, Button, Group, NumberInput, Paper, Stack, Table, Text, TextInput } from '@mantine/core';
import { useState, type ReactElement } from 'react';
import type { DisclosureAccounting, DisclosureKind } from '../../../../main/api/audit';
import { ApiCallError, invoke } from '../../api/client';
import { saveBlob } from '../../api/files';
import { useSession } from '../../auth/SessionContext';
import { actionLabel, actorName } from '../../components/auditLabels';
import { ErrorBanner } from '../../components/ErrorBanner';
import { formatCount, formatDateTime, humanizeRole } from '../../components/format';

const KIND_LABELS: Record<DisclosureKind, string> = {
  access: 'Access',
  change: 'Change',
  release: 'Release',
  export: 'Export',
  'break-glass': 'Break-glass',
  claim: 'Claim',
};
const KIND_COLORS: Record<DisclosureKind, string> = { access: 'gray', change: 'blue', release: 'grape', export: 'violet', 'break-glass': 'red', claim: 'teal' };

const DAY = /^\d{4}-\d{2}-\d{2}$/;

/** A CSV made in main, as a file the browser saves. */
function saveCsv(text: string, fileName: string): void {
  saveBlob(new Blob([text], { type: 'text/csv;charset=utf-8' }), fileName);
}

function patientHeading(p: DisclosureAccounting['patient']): string {
  if (p.mrn === null) return `Patient no. ${p.id} (${p.facility}; identity withheld from your role)`;
  return `${p.name ?? '(no name on file)'} · ${p.facility} / MRN ${p.mrn}${p.birthDate ? ` · born ${p.birthDate}` : ''} · patient no. ${p.id}`;
}

function periodText(a: Pick<DisclosureAccounting, 'from' | 'to'>): string {
  if (!a.from && !a.to) return 'all recorded time';
  return `${a.from ? `from ${formatDateTime(a.from)}` : 'from the start'} ${a.to ? `to before ${formatDateTime(a.to)}` : 'to now'}`;
}

export function DisclosuresPanel({ initialPatient }: { initialPatient?: number }): ReactElement {
  const { principal } = useSession();
  const [patient, setPatient] = useState<number | ''>(initialPatient ?? '');
  const [from, setFrom] = useState('');
  const [to, setTo] = useState('');
  const [state, setState] = useState<{ pending: boolean; result: DisclosureAccounting | null; error: ApiCallError | null }>({ pending: false, result: null, error: null });
  const badDate = (v: string) => v !== '' && !DAY.test(v);

  const produce = async (): Promise<void> => {
    if (patient === '' || badDate(from) || badDate(to)) return;
    setState({ pending: true, result: null, error: null });
    try {
      const result = await invoke('audit.disclosures', { patientId: patient, ...(from ? { from } : {}), ...(to ? { to } : {}) });
      setState({ pending: false, result, error: null });
    } catch (err) {
      setState({ pending: false, result: null, error: err instanceof ApiCallError ? err : new ApiCallError('audit.disclosures', 'INTERNAL', String(err)) });
    }
  };
  const a = state.result;

  return (
    <Stack gap="sm" data-testid="disclosures-panel">
      <Paper withBorder p="sm" radius="md" className="custodian-no-print">
        <form
          onSubmit={(e) => {
            e.preventDefault();
            void produce();
          }}
        >
          <Group gap="xs" align="flex-end" wrap="wrap">
            <NumberInput label="Patient number" min={1} allowDecimal={false} value={patient} onChange={(v) => setPatient(typeof v === 'number' ? v : '')} w={150} size="xs" data-testid="disclosures-patient" />
            <TextInput label="From (YYYY-MM-DD)" value={from} onChange={(e) => setFrom(e.currentTarget.value.trim())} error={badDate(from) ? 'YYYY-MM-DD' : undefined} w={150} size="xs" data-testid="disclosures-from" />
            <TextInput label="To (YYYY-MM-DD, inclusive)" value={to} onChange={(e) => setTo(e.currentTarget.value.trim())} error={badDate(to) ? 'YYYY-MM-DD' : undefined} w={170} size="xs" data-testid="disclosures-to" />
            <Button type="submit" size="xs" loading={state.pending} disabled={patient === ''} data-testid="disclosures-produce">
              Produce accounting
            </Button>
            {a && (
              <>
                <Button size="xs" variant="default" onClick={() => saveCsv(a.csv, `disclosures-patient-${a.patient.id}.csv`)} data-testid="disclosures-csv">
                  Download CSV
                </Button>
                <Button size="xs" variant="default" onClick={() => window.print()} data-testid="disclosures-print">
                  Print
                </Button>
              </>
            )}
          </Group>
          <Text size="xs" c="dimmed" mt={4}>
            Every access, change, release, break-glass access and claim that touched the patient. Producing it is recorded in the trail.
          </Text>
        </form>
      </Paper>
      {state.error && <ErrorBanner title="The accounting could not be produced" error={state.error} />}
      {a && (
        <Stack gap="xs" data-testid="disclosures-report">
          <div>
            <Text fw={700}>Accounting of disclosures</Text>
            <Text size="sm" data-testid="disclosures-patient-heading">
              {patientHeading(a.patient)}
            </Text>
            <Text size="xs" c="dimmed">
              Period: {periodText(a)} · {formatCount(a.events.length)} {a.events.length === 1 ? 'event' : 'events'}, oldest first · produced {formatDateTime(a.generatedAt)} by {principal?.name ?? '—'}
            </Text>
          </div>
          {a.exports.notCovered.length > 0 && (
            <Alert color="orange" variant="light" p="xs" data-testid="disclosures-exports-not-covered">
              <Text size="sm">
                {a.exports.notCovered.length === 1 ? '1 FHIR export' : `${formatCount(a.exports.notCovered.length)} FHIR exports`} in this period ({a.exports.notCovered.join(', ')}) were made before export patient
                sets were sealed in the signed audit log: whether this patient was in them rests on a database table nobody can vouch for, so they are not verified.
              </Text>
            </Alert>
          )}
          {a.truncated && (
            <Alert color="orange" variant="light" p="xs">
              <Text size="sm">More events exist in this period than are shown: narrow the period.</Text>
            </Alert>
          )}
          {a.events.length === 0 ? (
            <Paper withBorder p="lg" radius="md" ta="center" data-testid="disclosures-empty">
              <Text size="sm">Nothing touched this patient in the period.</Text>
            </Paper>
          ) : (
            <Table striped withTableBorder fz="xs" data-testid="disclosures-table">
              <Table.Thead>
                <Table.Tr>
                  <Table.Th>When</Table.Th>
                  <Table.Th>Kind</Table.Th>
                  <Table.Th>Who</Table.Th>
                  <Table.Th>What</Table.Th>
                  <Table.Th>Why</Table.Th>
                  <Table.Th>Outcome</Table.Th>
                </Table.Tr>
              </Table.Thead>
              <Table.Tbody>
                {a.events.map((e) => (
                  <Table.Tr key={e.source.kind === 'audit' ? `a${e.source.entryId}` : `c${e.source.claimId}`} data-testid="disclosures-row" data-kind={e.kind}>
                    <Table.Td style={{ whiteSpace: 'nowrap' }}>{formatDateTime(e.at)}</Table.Td>
                    <Table.Td>
                      <Badge size="xs" variant="light" color={KIND_COLORS[e.kind]}>
                        {KIND_LABELS[e.kind]}
                      </Badge>
                    </Table.Td>
                    <Table.Td>
                      {e.who.name || e.who.id ? actorName({ id: e.who.id ?? '', name: e.who.name, role: e.who.role }) : '—'}
                      {e.who.role && e.who.role !== 'anonymous' ? ` (${humanizeRole(e.who.role)})` : ''}
                    </Table.Td>
                    <Table.Td>{e.source.kind === 'audit' ? `${actionLabel(e.what.split(' ')[0]!)} · ${e.what}` : e.what}</Table.Td>
                    <Table.Td>{e.why ?? '—'}</Table.Td>
                    <Table.Td>{e.outcome}</Table.Td>
                  </Table.Tr>
                ))}
              </Table.Tbody>
            </Table>
          )}
        </Stack>
      )}
    </Stack>
  );
}
