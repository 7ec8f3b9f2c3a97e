// Recording a consent by hand (consents.grant): the patient, the grantee, the decision, purpose, category and
// period. Checked here with the contract's own schema, then in main like an imported row (real dates, NPI check
// digit, end after start); main's refusals land under the fields they name.
import { Button, Divider, Group, Modal, NativeSelect, SegmentedControl, SimpleGrid, Stack, Text, TextInput } from '@mantine/core';
import { useState, type FormEvent, type ReactElement } from 'react';
import { CATEGORIES, consentForm, PURPOSES, type ConsentDetail, type ConsentForm } from '../../../../main/api/consents';
import { ApiCallError, invoke } from '../../api/client';
import { issuesOf } from '../../auth/fieldErrors';
import { ErrorBanner } from '../../components/ErrorBanner';
import { CATEGORY_LABELS, PURPOSE_LABELS } from './labels';

interface Draft {
  facility: string;
  mrn: string;
  patientName: string;
  birthDate: string;
  grantee: string;
  granteeKind: '' | 'npi' | 'org';
  decision: 'permit' | 'deny';
  purpose: string;
  category: string;
  periodStart: string;
  periodEnd: string;
  externalId: string;
  documentHash: string;
}

type Field = keyof Draft;

const today = (): string => {
  const d = new Date();
  return `${d.getFullYear()}-${String(d.getMonth() + 1).padStart(2, '0')}-${String(d.getDate()).padStart(2, '0')}`;
};

const EMPTY = (): Draft => ({
  facility: '',
  mrn: '',
  patientName: '',
  birthDate: '',
  grantee: '',
  granteeKind: '',
  decision: 'permit',
  purpose: 'TREAT',
  category: 'general',
  periodStart: today(),
  periodEnd: '',
  externalId: '',
  documentHash: '',
});

const FIELD_LABELS: Record<Field, string> = {
  facility: 'Facility',
  mrn: 'MRN',
  patientName: 'Patient name',
  birthDate: 'Date of birth',
  grantee: 'Grantee',
  granteeKind: 'Grantee kind',
  decision: 'Decision',
  purpose: 'Purpose',
  category: 'Category',
  periodStart: 'Period start',
  periodEnd: 'Period end',
  externalId: 'External id',
  documentHash: 'Document hash',
};

/** "must be 64 hex digits" → "Document hash must be 64 hex digits." */
function sentence(field: Field, message: string): string {
  const text = /^[a-z]/.test(message) ? `${FIELD_LABELS[field]} ${message}` : message;
  return /[.!?]$/.test(text) ? text : `${text}.`;
}

function toInput(d: Draft): Record<string, unknown> {
  const out: Record<string, unknown> = { decision: d.decision, purpose: d.purpose, category: d.category };
  for (const key of ['facility', 'mrn', 'patientName', 'birthDate', 'grantee', 'periodStart', 'periodEnd', 'externalId', 'documentHash'] as const) {
    const v = d[key].trim();
    if (v) out[key] = v;
  }
  if (d.granteeKind) out.granteeKind = d.granteeKind;
  return out;
}

/** Problems found before sending: the contract's schema, plus the order of the dates. */
export function checkGrantDraft(d: Draft): { input: ConsentForm | null; errors: Partial<Record<Field, string>> } {
  const errors: Partial<Record<Field, string>> = {};
  const parsed = consentForm.safeParse(toInput(d));
  if (!parsed.success) {
    for (const issue of parsed.error.issues) {
      const field = issue.path[0] as Field | undefined;
      if (!field || errors[field]) continue;
      const missing = issue.code === 'invalid_type' || (issue.code === 'too_small' && 'minimum' in issue && issue.minimum === 1);
      errors[field] = missing ? `Enter the ${FIELD_LABELS[field].toLowerCase()}.` : sentence(field, issue.message);
    }
  }
  const start = d.periodStart.trim();
  const end = d.periodEnd.trim();
  const bound = /^\d{4}-\d{2}-\d{2}(T\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:\d{2}))?$/;
  if (start && !bound.test(start)) errors.periodStart = 'Period start must be a date as YYYY-MM-DD (or a date-time with its zone).';
  if (end && !bound.test(end)) errors.periodEnd = 'Period end must be a date as YYYY-MM-DD (or a date-time with its zone).';
  if (!errors.periodStart && !errors.periodEnd && start && end && end.slice(0, 10) < start.slice(0, 10)) errors.periodEnd = 'Period end is before the start.';
  return { input: parsed.success && Object.keys(errors).length === 0 ? parsed.data : null, errors };
}

export function GrantConsentDialog({ opened, onClose, onGranted }: { opened: boolean; onClose: () => void; onGranted: (d: ConsentDetail) => void }): ReactElement {
  const [draft, setDraft] = useState<Draft>(EMPTY);
  const [errors, setErrors] = useState<Partial<Record<Field, string>>>({});
  const [failure, setFailure] = useState<ApiCallError | null>(null);
  const [pending, setPending] = useState(false);

  const edit = <K extends Field>(field: K, value: Draft[K]): void => {
    setDraft((d) => ({ ...d, [field]: value }));
    setErrors(({ [field]: _dropped, ...rest }) => rest);
  };
  const close = (): void => {
    setDraft(EMPTY());
    setErrors({});
    setFailure(null);
    onClose();
  };

  const submit = async (event: FormEvent): Promise<void> => {
    event.preventDefault();
    const checked = checkGrantDraft(draft);
    setErrors(checked.errors);
    setFailure(null);
    if (!checked.input) return;
    setPending(true);
    try {
      const granted = await invoke('consents.grant', checked.input);
      setDraft(EMPTY());
      setErrors({});
      onGranted(granted);
    } catch (err) {
      const e = err instanceof ApiCallError ? err : new ApiCallError('consents.grant', 'INTERNAL', String(err));
      const byField: Partial<Record<Field, string>> = {};
      const unplaced: string[] = [];
      for (const issue of issuesOf(e.details)) {
        if (issue.field in FIELD_LABELS && !byField[issue.field as Field]) byField[issue.field as Field] = sentence(issue.field as Field, issue.message);
        else unplaced.push(`${issue.field}: ${issue.message}`);
      }
      setErrors(byField);
      // A refusal not tied to a field (or a failure of another kind) is shown above the buttons.
      if (Object.keys(byField).length === 0 || unplaced.length > 0) setFailure(e);
    } finally {
      setPending(false);
    }
  };

  const text = (field: Field, props: { label?: string; description?: string; required?: boolean; placeholder?: string; type?: string; mono?: boolean } = {}) => (
    <TextInput
      label={props.label ?? FIELD_LABELS[field]}
      description={props.description}
      required={props.required}
      placeholder={props.placeholder}
      type={props.type}
      value={draft[field]}
      onChange={(e) => edit(field, e.currentTarget.value as never)}
      error={errors[field]}
      spellCheck={false}
      autoComplete="off"
      styles={props.mono ? { input: { fontFamily: 'var(--mantine-font-family-monospace)' } } : undefined}
      data-testid={`grant-${field}`}
    />
  );

  const errorCount = Object.keys(errors).length;
  return (
    <Modal opened={opened} onClose={close} title="Record a consent" size="xl" data-testid="grant-dialog" closeButtonProps={{ 'aria-label': 'Close without recording' }}>
      <form onSubmit={(e) => void submit(e)} noValidate>
        <Stack gap="sm">
          <Text size="sm" c="dimmed">
            One consent is one decision: one patient, one grantee, one purpose, one data category. Record a consent that covers several categories as
            several consents. It is checked like an imported row and queued for the chain under the patient’s pseudonym (no name or MRN leaves this
            workstation).
          </Text>
          <Divider label="Patient" labelPosition="left" />
          <SimpleGrid cols={{ base: 1, sm: 4 }} spacing="sm">
            {text('facility', { required: true, placeholder: 'GH01', description: 'The facility’s code', mono: true })}
            {text('mrn', { required: true, placeholder: 'MRN0042', description: 'Medical record number', mono: true })}
            {text('patientName', { placeholder: 'Family, Given', description: 'Fills an empty name on file' })}
            {text('birthDate', { placeholder: 'YYYY-MM-DD', description: 'Must match the record on file', mono: true })}
          </SimpleGrid>
          <Divider label="Who and what" labelPosition="left" />
          <SimpleGrid cols={{ base: 1, sm: 4 }} spacing="sm">
            <div style={{ gridColumn: 'span 2' }}>{text('grantee', { required: true, placeholder: '1234567893 or GH-CARDIOLOGY', description: 'A 10-digit NPI (check digit verified) or an organisation id', mono: true })}</div>
            <NativeSelect
              label="Grantee kind"
              description="Detected when left"
              value={draft.granteeKind}
              onChange={(e) => edit('granteeKind', e.currentTarget.value as Draft['granteeKind'])}
              data={[
                { value: '', label: 'Detect' },
                { value: 'npi', label: 'NPI' },
                { value: 'org', label: 'Organisation' },
              ]}
              error={errors.granteeKind}
              data-testid="grant-granteeKind"
            />
            <Stack gap={4}>
              <div>
                <Text size="sm" fw={500} id="grant-decision-label">
                  Decision <span style={{ color: 'var(--mantine-color-error)' }}>*</span>
                </Text>
                <Text size="xs" c="dimmed">
                  What the patient decided
                </Text>
              </div>
              <SegmentedControl
                aria-labelledby="grant-decision-label"
                value={draft.decision}
                onChange={(v) => edit('decision', v as Draft['decision'])}
                color={draft.decision === 'permit' ? 'teal.9' : 'red.8'}
                data={[
                  { value: 'permit', label: 'Permit' },
                  { value: 'deny', label: 'Deny' },
                ]}
                data-testid="grant-decision"
              />
            </Stack>
            <NativeSelect
              label="Purpose of use"
              description="HL7 v3 purpose of use"
              required
              value={draft.purpose}
              onChange={(e) => edit('purpose', e.currentTarget.value)}
              data={PURPOSES.map((p) => ({ value: p, label: `${p} — ${PURPOSE_LABELS[p]}` }))}
              error={errors.purpose}
              data-testid="grant-purpose"
            />
            <NativeSelect
              label="Data category"
              description="The records it covers"
              required
              value={draft.category}
              onChange={(e) => edit('category', e.currentTarget.value)}
              data={CATEGORIES.map((c) => ({ value: c, label: CATEGORY_LABELS[c] }))}
              error={errors.category}
              data-testid="grant-category"
            />
            {text('periodStart', { required: true, placeholder: 'YYYY-MM-DD', description: 'From 00:00 UTC that day', mono: true })}
            {text('periodEnd', { placeholder: 'YYYY-MM-DD', description: 'Inclusive; empty: open-ended', mono: true })}
          </SimpleGrid>
          <Divider label="Reference (optional)" labelPosition="left" />
          <SimpleGrid cols={{ base: 1, sm: 2 }} spacing="sm">
            {text('externalId', { description: 'The id in the source system, if any', mono: true })}
            {text('documentHash', { description: 'SHA-256 of the signed form (64 hex digits); computed from the terms when empty', mono: true })}
          </SimpleGrid>
          {errorCount > 0 && (
            <Text size="sm" c="var(--custodian-text-danger)" role="alert" data-testid="grant-error-count">
              {errorCount === 1 ? 'One field needs attention.' : `${errorCount} fields need attention.`}
            </Text>
          )}
          {failure && <ErrorBanner title="The consent was not recorded" error={failure} />}
          <Group justify="space-between" mt="xs">
            <Text size="xs" c="dimmed">
              <span style={{ color: 'var(--mantine-color-error)' }}>*</span> required
            </Text>
            <Group gap="sm">
              <Button variant="default" size="sm" onClick={close} disabled={pending}>
                Cancel
              </Button>
              <Button type="submit" size="sm" loading={pending} data-testid="grant-submit">
                Record consent
              </Button>
            </Group>
          </Group>
        </Stack>
      </form>
    </Modal>
  );
}
