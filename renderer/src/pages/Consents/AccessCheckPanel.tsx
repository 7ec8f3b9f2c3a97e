// Check access (access.check): may this grantee see this patient's data of this category for this purpose, now
// or at a given time? Shows the decision, the break-glass flag, and which consents decided it and why. Emergency
// treatment (ETREAT) is break-glass: it needs a typed reason and is reviewed by an auditor.
import { Alert, Badge, Box, Button, Code, Group, NativeSelect, Paper, Stack, Table, Text, Textarea, TextInput, Title, UnstyledButton } from '@mantine/core';
import { useEffect, useState, type FormEvent, type ReactElement } from 'react';
import { CATEGORIES, PURPOSES, type AccessDecision, type CategoryCode, type PurposeCode } from '../../../../main/api/consents';
import { ApiCallError, invoke } from '../../api/client';
import { issuesOf } from '../../auth/fieldErrors';
import { ErrorBanner } from '../../components/ErrorBanner';
import { formatDateTime } from '../../components/format';
import classes from './Consents.module.css';
import { CATEGORY_LABELS, PURPOSE_LABELS } from './labels';
import { PatientPicker, type PickedPatient } from './PatientPicker';
import { localToIso } from './time';

export interface AccessQuestion {
  grantee: string;
  patient: PickedPatient | null;
  purpose: PurposeCode;
  category: CategoryCode;
}

type Field = 'grantee' | 'patient' | 'at' | 'breakGlassReason';

interface Asked {
  grantee: string;
  patient: string;
  purpose: PurposeCode;
  category: CategoryCode;
  at: string | null;
}

function DecisionView({ result, asked, onOpenConsent }: { result: AccessDecision; asked: Asked; onOpenConsent: (id: number) => void }): ReactElement {
  const permit = result.decision === 'permit';
  return (
    <Paper withBorder radius="md" p="md" data-testid="access-result" data-decision={result.decision} data-break-glass={String(result.breakGlass)}>
      <Stack gap="sm">
        <Group gap="sm" align="center">
          <Badge size="xl" radius="sm" color={permit ? 'teal' : 'red'} variant="filled" data-testid="access-decision">
            {permit ? 'Permit' : 'Deny'}
          </Badge>
          {result.breakGlass && (
            <Badge size="lg" radius="sm" color="orange" variant="filled" data-testid="access-break-glass">
              Break-glass
            </Badge>
          )}
          <Text size="sm" c="dimmed">
            Decided for {formatDateTime(result.at)} (local time{asked.at ? '' : ': now'})
          </Text>
        </Group>
        <Text size="sm" data-testid="access-asked">
          May <Code>{asked.grantee}</Code> see the <strong>{CATEGORY_LABELS[asked.category].toLowerCase()}</strong> records of {asked.patient} for{' '}
          <strong>
            {asked.purpose} ({PURPOSE_LABELS[asked.purpose].toLowerCase()})
          </strong>
          ?
        </Text>
        <Text size="sm" fw={500} data-testid="access-reason">
          {result.reason}
        </Text>
        {result.breakGlass && (
          <Alert color="orange" variant="light" py="xs">
            <Text size="sm">
              Emergency access overrides the patient’s consents. It is recorded in the audit trail with your reason and appears in the auditor’s
              break-glass review list.
            </Text>
          </Alert>
        )}
        {result.decidedBy.length > 0 ? (
          <Table withTableBorder verticalSpacing={4} horizontalSpacing={8} fz="xs" data-testid="access-decided-by">
            <Table.Thead>
              <Table.Tr>
                <Table.Th w={80}>Consent</Table.Th>
                <Table.Th w={140}>External id</Table.Th>
                <Table.Th w={80}>Decision</Table.Th>
                <Table.Th w={130}>In this decision</Table.Th>
                <Table.Th>Why</Table.Th>
              </Table.Tr>
            </Table.Thead>
            <Table.Tbody>
              {result.decidedBy.map((c) => (
                <Table.Tr key={c.consentId} data-testid="access-decided-by-row" data-consent-id={c.consentId} data-counts={String(c.counts)}>
                  <Table.Td>
                    <UnstyledButton className={classes.idLink} onClick={() => onOpenConsent(c.consentId)} aria-label={`Open consent ${c.consentId}`}>
                      #{c.consentId}
                    </UnstyledButton>
                  </Table.Td>
                  <Table.Td className={classes.mono}>{c.externalId ?? '—'}</Table.Td>
                  <Table.Td>
                    <Badge size="sm" variant="light" color={c.decision === 'permit' ? 'teal' : 'red'} tt="none">
                      {c.decision}
                    </Badge>
                  </Table.Td>
                  <Table.Td>
                    {c.counts ? (
                      <Text size="xs" fw={600}>
                        Decides
                      </Text>
                    ) : (
                      <Text size="xs" c="dimmed">
                        Does not count
                      </Text>
                    )}
                  </Table.Td>
                  <Table.Td>{c.why}</Table.Td>
                </Table.Tr>
              ))}
            </Table.Tbody>
          </Table>
        ) : (
          <Text size="sm" c="dimmed">
            No consent on file for this grantee, patient, purpose and category: without a consent, access is denied.
          </Text>
        )}
      </Stack>
    </Paper>
  );
}

export interface AccessCheckPanelProps {
  /** A question to start from (from a consent's detail); changes replace the form. */
  initial: AccessQuestion | null;
  canSearchPatients: boolean;
  onOpenConsent: (id: number) => void;
}

export function AccessCheckPanel({ initial, canSearchPatients, onOpenConsent }: AccessCheckPanelProps): ReactElement {
  const [grantee, setGrantee] = useState(initial?.grantee ?? '');
  const [patient, setPatient] = useState<PickedPatient | null>(initial?.patient ?? null);
  const [patientNumber, setPatientNumber] = useState(initial?.patient ? String(initial.patient.id) : '');
  const [purpose, setPurpose] = useState<PurposeCode>(initial?.purpose ?? 'TREAT');
  const [category, setCategory] = useState<CategoryCode>(initial?.category ?? 'general');
  const [at, setAt] = useState('');
  const [breakGlassReason, setBreakGlassReason] = useState('');
  const [errors, setErrors] = useState<Partial<Record<Field, string>>>({});
  const [failure, setFailure] = useState<ApiCallError | null>(null);
  const [pending, setPending] = useState(false);
  const [result, setResult] = useState<{ decision: AccessDecision; asked: Asked } | null>(null);

  useEffect(() => {
    if (!initial) return;
    setGrantee(initial.grantee);
    setPatient(initial.patient);
    setPatientNumber(initial.patient ? String(initial.patient.id) : '');
    setPurpose(initial.purpose);
    setCategory(initial.category);
    setResult(null);
    setErrors({});
  }, [initial]);

  const clear = (field: Field): void => setErrors(({ [field]: _dropped, ...rest }) => rest);
  const emergency = purpose === 'ETREAT';

  const submit = async (event: FormEvent): Promise<void> => {
    event.preventDefault();
    const local: Partial<Record<Field, string>> = {};
    if (!grantee.trim()) local.grantee = 'Enter the grantee: an NPI or an organisation id.';
    const patientId = canSearchPatients ? patient?.id : /^\d+$/.test(patientNumber.trim()) ? Number(patientNumber.trim()) : undefined;
    if (!patientId) local.patient = canSearchPatients ? 'Pick the patient (search by MRN or name).' : 'Enter the patient number.';
    const atIso = at.trim() ? localToIso(at) : undefined;
    if (at.trim() && !atIso) local.at = 'Enter a real date and time as YYYY-MM-DD HH:MM, or leave it empty for now.';
    if (emergency && breakGlassReason.trim().length < 3) local.breakGlassReason = 'Emergency access needs a reason: say why the record must be opened now.';
    setErrors(local);
    setFailure(null);
    if (Object.keys(local).length > 0 || !patientId) return;
    setPending(true);
    try {
      const decision = await invoke('access.check', {
        grantee: grantee.trim(),
        patientId,
        purpose,
        category,
        ...(atIso ? { at: atIso } : {}),
        ...(emergency ? { breakGlassReason: breakGlassReason.trim() } : {}),
      });
      const who = canSearchPatients && patient ? patient.label : `patient no. ${patientId}`;
      setResult({ decision, asked: { grantee: grantee.trim(), patient: who, purpose, category, at: atIso ?? null } });
    } catch (err) {
      const e = err instanceof ApiCallError ? err : new ApiCallError('access.check', 'INTERNAL', String(err));
      const byField: Partial<Record<Field, string>> = {};
      for (const issue of issuesOf(e.details)) {
        const field = issue.field === 'patientId' ? 'patient' : issue.field;
        if (field === 'grantee' || field === 'patient' || field === 'at' || field === 'breakGlassReason') byField[field] = issue.message;
      }
      setErrors(byField);
      setResult(null);
      setFailure(e);
    } finally {
      setPending(false);
    }
  };

  return (
    <Stack gap="md" data-testid="access-panel">
      <Paper withBorder radius="md" p="md">
        <form onSubmit={(e) => void submit(e)} noValidate>
          <Stack gap="sm">
            <Title order={2} fz="h5">
              Check access
            </Title>
            <Text size="sm" c="dimmed">
              Asks the decision engine what it would answer for this request: deny overrides permit, only active consents in their period count, and no
              consent means deny. A permit for a provider (NPI) also needs a verified credential. Leave “At” empty to ask about now. Every check is recorded in the audit trail.
            </Text>
            <Box className={classes.accessGrid}>
              <TextInput
                label="Grantee"
                required
                placeholder="1234567893 or GH-CARDIOLOGY"
                value={grantee}
                onChange={(e) => {
                  setGrantee(e.currentTarget.value);
                  clear('grantee');
                }}
                error={errors.grantee}
                spellCheck={false}
                styles={{ input: { fontFamily: 'var(--mantine-font-family-monospace)' } }}
                data-testid="access-grantee"
              />
              {canSearchPatients ? (
                <PatientPicker
                  label="Patient"
                  required
                  value={patient}
                  onChange={(p) => {
                    setPatient(p);
                    clear('patient');
                  }}
                  error={errors.patient}
                  data-testid="access-patient"
                />
              ) : (
                <TextInput
                  label="Patient number"
                  required
                  value={patientNumber}
                  onChange={(e) => {
                    setPatientNumber(e.currentTarget.value);
                    clear('patient');
                  }}
                  error={errors.patient}
                  inputMode="numeric"
                  data-testid="access-patient-id"
                />
              )}
              <NativeSelect
                label="Purpose of use"
                required
                value={purpose}
                onChange={(e) => setPurpose(e.currentTarget.value as PurposeCode)}
                data={PURPOSES.map((p) => ({ value: p, label: `${p} — ${PURPOSE_LABELS[p]}` }))}
                data-testid="access-purpose"
              />
              <NativeSelect
                label="Data category"
                required
                value={category}
                onChange={(e) => setCategory(e.currentTarget.value as CategoryCode)}
                data={CATEGORIES.map((c) => ({ value: c, label: CATEGORY_LABELS[c] }))}
                data-testid="access-category"
              />
              <TextInput
                label="At (local time)"
                placeholder="YYYY-MM-DD HH:MM"
                aria-description="Leave empty to ask about now"
                value={at}
                onChange={(e) => {
                  setAt(e.currentTarget.value);
                  clear('at');
                }}
                error={errors.at}
                data-testid="access-at"
              />
            </Box>
            {emergency && (
              <Textarea
                label="Reason for emergency access (break-glass)"
                description="Required. Recorded in the audit trail and reviewed by an auditor."
                required
                autosize
                minRows={2}
                maxLength={500}
                value={breakGlassReason}
                onChange={(e) => {
                  setBreakGlassReason(e.currentTarget.value);
                  clear('breakGlassReason');
                }}
                error={errors.breakGlassReason}
                data-testid="access-break-glass-reason"
              />
            )}
            {failure && <ErrorBanner title="The check did not run" error={failure} />}
            <Group>
              <Button type="submit" loading={pending} color={emergency ? 'orange' : undefined} data-testid="access-submit">
                {emergency ? 'Open with break-glass' : 'Check access'}
              </Button>
            </Group>
          </Stack>
        </form>
      </Paper>
      {result && <DecisionView result={result.decision} asked={result.asked} onOpenConsent={onOpenConsent} />}
    </Stack>
  );
}
