// Check access (access.check): may this grantee see this patient's data of this category for this purpose, now
// or at a given time? Shows the decision, who the grantee is (provider directory, cached credential verdict and its
// age) and which consents decided it. An answer belongs to one question: any edit clears it (and says so), a new one
// is announced and takes focus. Emergency access (break-glass) is its own action with its own confirmation dialog;
// choosing the ETREAT purpose only asks about ETREAT consents.
import { Box, Button, Group, NativeSelect, Paper, Stack, Text, TextInput, Title, VisuallyHidden } from '@mantine/core';
import { useEffect, useRef, useState, type FormEvent, type ReactElement } from 'react';
import { CATEGORIES, PURPOSES, type AccessDecision, type CategoryCode, type PurposeCode } from '../../../../main/api/consents';
import { ApiCallError, invoke } from '../../api/client';
import { issuesOf } from '../../auth/fieldErrors';
import { ErrorBanner } from '../../components/ErrorBanner';
import { AccessDecisionView, announcementOf, type Asked } from './AccessDecisionView';
import { BreakGlassDialog, type BreakGlassTarget } from './BreakGlassDialog';
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

export interface AccessCheckPanelProps {
  /** A question to start from (from a consent's detail); changes replace the form. */
  initial: AccessQuestion | null;
  canSearchPatients: boolean;
  onOpenConsent: (id: number) => void;
}

const CLEARED = 'The question changed, so the previous answer was cleared. Check access again for an answer to this question.';

export function AccessCheckPanel({ initial, canSearchPatients, onOpenConsent }: AccessCheckPanelProps): ReactElement {
  const [grantee, setGrantee] = useState(initial?.grantee ?? '');
  const [patient, setPatient] = useState<PickedPatient | null>(initial?.patient ?? null);
  const [patientNumber, setPatientNumber] = useState(initial?.patient ? String(initial.patient.id) : '');
  const [purpose, setPurpose] = useState<PurposeCode>(initial?.purpose ?? 'TREAT');
  const [category, setCategory] = useState<CategoryCode>(initial?.category ?? 'general');
  const [at, setAt] = useState('');
  const [errors, setErrors] = useState<Partial<Record<Field, string>>>({});
  const [failure, setFailure] = useState<ApiCallError | null>(null);
  const [pending, setPending] = useState<'check' | 'break-glass' | null>(null);
  const [result, setResult] = useState<{ decision: AccessDecision; asked: Asked } | null>(null);
  const [announcement, setAnnouncement] = useState('');
  const [cleared, setCleared] = useState(false);
  const [breakGlass, setBreakGlass] = useState<(BreakGlassTarget & { patientId: number }) | null>(null);
  // Every edit bumps the version: an answer that arrives for an older question is dropped, never shown.
  const version = useRef(0);
  const resultRef = useRef<HTMLDivElement>(null);

  const questionChanged = (): void => {
    version.current += 1;
    if (result) {
      setCleared(true);
      setAnnouncement(CLEARED);
    }
    setResult(null);
  };

  useEffect(() => {
    if (!initial) return;
    setGrantee(initial.grantee);
    setPatient(initial.patient);
    setPatientNumber(initial.patient ? String(initial.patient.id) : '');
    setPurpose(initial.purpose);
    setCategory(initial.category);
    version.current += 1;
    setResult(null);
    setCleared(false);
    setErrors({});
  }, [initial]);

  // A new answer takes focus, so keyboard and screen-reader users land on it (the live region reads it too).
  useEffect(() => {
    if (result) resultRef.current?.focus();
  }, [result]);

  const clear = (field: Field): void => setErrors(({ [field]: _dropped, ...rest }) => rest);

  /** The question as typed, or the field errors that stop it. */
  const question = (): { patientId: number; atIso: string | undefined; who: string } | null => {
    const local: Partial<Record<Field, string>> = {};
    if (!grantee.trim()) local.grantee = 'Enter the grantee: an NPI or an organisation id.';
    const patientId = canSearchPatients ? patient?.id : /^\d+$/.test(patientNumber.trim()) ? Number(patientNumber.trim()) : undefined;
    if (!patientId) local.patient = canSearchPatients ? 'Pick the patient (search by MRN or name).' : 'Enter the patient number.';
    const atIso = at.trim() ? (localToIso(at) ?? undefined) : undefined;
    if (at.trim() && !atIso) local.at = 'Enter a real date and time as YYYY-MM-DD HH:MM, or leave it empty for now.';
    setErrors(local);
    setFailure(null);
    if (Object.keys(local).length > 0 || !patientId) return null;
    const who = canSearchPatients && patient ? patient.label : `patient no. ${patientId}`;
    return { patientId, atIso, who };
  };

  const ask = async (kind: 'check' | 'break-glass', input: Record<string, unknown>, asked: Asked): Promise<void> => {
    const asOf = version.current;
    setPending(kind);
    try {
      const decision = await invoke('access.check', input as never);
      if (asOf !== version.current) return;
      setCleared(false);
      setResult({ decision, asked });
      setAnnouncement(announcementOf(decision, asked));
    } catch (err) {
      if (asOf !== version.current) return;
      const e = err instanceof ApiCallError ? err : new ApiCallError('access.check', 'INTERNAL', String(err));
      const byField: Partial<Record<Field, string>> = {};
      for (const issue of issuesOf(e.details)) {
        const field = issue.field === 'patientId' ? 'patient' : issue.field;
        if (field === 'grantee' || field === 'patient' || field === 'at' || field === 'breakGlassReason') byField[field] = issue.message;
      }
      setErrors(byField);
      setResult(null);
      setFailure(e);
      setAnnouncement(`The check did not run: ${e.message}`);
    } finally {
      setPending(null);
    }
  };

  const submit = async (event: FormEvent): Promise<void> => {
    event.preventDefault();
    const q = question();
    if (!q) return;
    await ask(
      'check',
      { grantee: grantee.trim(), patientId: q.patientId, purpose, category, ...(q.atIso ? { at: q.atIso } : {}) },
      { grantee: grantee.trim(), patient: q.who, purpose, category, at: q.atIso ?? null },
    );
  };

  const openBreakGlass = (): void => {
    const q = question();
    if (!q) return;
    setBreakGlass({ grantee: grantee.trim(), patient: q.who, category, patientId: q.patientId });
  };

  const confirmBreakGlass = async (reason: string): Promise<void> => {
    if (!breakGlass) return;
    const target = breakGlass;
    setBreakGlass(null);
    await ask(
      'break-glass',
      { grantee: target.grantee, patientId: target.patientId, purpose: 'ETREAT', category: target.category, breakGlassReason: reason },
      { grantee: target.grantee, patient: target.patient, purpose: 'ETREAT', category: target.category, at: null },
    );
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
                  questionChanged();
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
                    questionChanged();
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
                    questionChanged();
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
                onChange={(e) => {
                  setPurpose(e.currentTarget.value as PurposeCode);
                  questionChanged();
                }}
                data={PURPOSES.map((p) => ({ value: p, label: `${p} — ${PURPOSE_LABELS[p]}` }))}
                data-testid="access-purpose"
              />
              <NativeSelect
                label="Data category"
                required
                value={category}
                onChange={(e) => {
                  setCategory(e.currentTarget.value as CategoryCode);
                  questionChanged();
                }}
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
                  questionChanged();
                }}
                error={errors.at}
                data-testid="access-at"
              />
            </Box>
            {purpose === 'ETREAT' && (
              <Text size="xs" c="dimmed" data-testid="access-etreat-note">
                Checking ETREAT asks what the patient’s ETREAT consents say; it opens nothing. To open the record in an emergency, use “Emergency access
                (break-glass)…”.
              </Text>
            )}
            {failure && <ErrorBanner title="The check did not run" error={failure} />}
            <Group justify="space-between">
              <Button type="submit" loading={pending === 'check'} disabled={pending === 'break-glass'} data-testid="access-submit">
                Check access
              </Button>
              <Button type="button" variant="outline" color="var(--custodian-break-glass)" loading={pending === 'break-glass'} disabled={pending === 'check'} onClick={openBreakGlass} data-testid="access-break-glass-open">
                Emergency access (break-glass)…
              </Button>
            </Group>
          </Stack>
        </form>
      </Paper>
      <VisuallyHidden role="status" aria-live="polite" aria-atomic="true" data-testid="access-announcement">
        {announcement}
      </VisuallyHidden>
      {cleared && !result && (
        <Text size="sm" c="dimmed" data-testid="access-cleared">
          {CLEARED}
        </Text>
      )}
      {result && <AccessDecisionView ref={resultRef} result={result.decision} asked={result.asked} onOpenConsent={onOpenConsent} />}
      <BreakGlassDialog target={breakGlass} pending={pending === 'break-glass'} onCancel={() => setBreakGlass(null)} onConfirm={(reason) => void confirmBreakGlass(reason)} />
    </Stack>
  );
}
