// The filter bar of the trail: patient, staff member, action and a date range. Applied on Enter or "Apply";
// the applied filter lives in the address so Back, a reload and the lock screen keep it.
import { Button, Group, NativeSelect, Paper, TextInput } from '@mantine/core';
import { useEffect, useState, type FormEvent, type ReactElement } from 'react';
import { actionLabel } from '../../components/auditLabels';
import { EMPTY_FILTER, isEmptyFilter, toApiFilter, type FilterForm } from './filters';

export interface ActorOption {
  id: string;
  label: string;
}

export interface AuditFiltersProps {
  applied: FilterForm;
  actors: readonly ActorOption[];
  actions: readonly string[];
  onApply: (form: FilterForm) => void;
}

export function AuditFilters({ applied, actors, actions, onApply }: AuditFiltersProps): ReactElement {
  const [form, setForm] = useState<FilterForm>(applied);
  const [errors, setErrors] = useState<Partial<Record<keyof FilterForm, string>>>({});
  const appliedKey = JSON.stringify(applied);
  useEffect(() => {
    setForm(JSON.parse(appliedKey) as FilterForm);
    setErrors({});
  }, [appliedKey]);

  const set = (field: keyof FilterForm) => (value: string) => setForm((f) => ({ ...f, [field]: value }));

  const submit = (event: FormEvent): void => {
    event.preventDefault();
    const result = toApiFilter(form);
    if (!result.ok) {
      setErrors(result.errors);
      return;
    }
    setErrors({});
    onApply(form);
  };

  const actorData = [{ value: '', label: 'All staff' }, ...actors.map((a) => ({ value: a.id, label: a.label }))];
  if (form.actorId && !actors.some((a) => a.id === form.actorId)) actorData.push({ value: form.actorId, label: form.actorId });
  const actionData = [{ value: '', label: 'All actions' }, ...actions.map((a) => ({ value: a, label: actionLabel(a) }))];
  if (form.action && !actions.includes(form.action)) actionData.push({ value: form.action, label: actionLabel(form.action) });

  return (
    <Paper withBorder radius="md" p="sm" className="custodian-no-print" component="form" onSubmit={submit} noValidate aria-label="Filter the audit trail" data-testid="audit-filters">
      <Group gap="sm" align="flex-start" wrap="wrap">
        <TextInput
          label="Patient id"
          placeholder="e.g. 1042"
          inputMode="numeric"
          w={120}
          size="xs"
          value={form.patientId}
          onChange={(e) => set('patientId')(e.currentTarget.value)}
          error={errors.patientId}
          data-testid="audit-filter-patient"
        />
        <NativeSelect label="Staff member" size="xs" w={230} data={actorData} value={form.actorId} onChange={(e) => set('actorId')(e.currentTarget.value)} data-testid="audit-filter-staff" />
        <NativeSelect label="Action" size="xs" w={250} data={actionData} value={form.action} onChange={(e) => set('action')(e.currentTarget.value)} data-testid="audit-filter-action" />
        <TextInput label="From" type="date" size="xs" w={150} value={form.from} onChange={(e) => set('from')(e.currentTarget.value)} error={errors.from} data-testid="audit-filter-from" />
        <TextInput label="To (inclusive)" type="date" size="xs" w={150} value={form.to} onChange={(e) => set('to')(e.currentTarget.value)} error={errors.to} data-testid="audit-filter-to" />
        <Group gap="xs" mt={22}>
          <Button type="submit" size="xs" data-testid="audit-filter-apply">
            Apply
          </Button>
          <Button
            type="button"
            size="xs"
            variant="default"
            disabled={isEmptyFilter(form) && isEmptyFilter(applied)}
            onClick={() => {
              setForm(EMPTY_FILTER);
              setErrors({});
              onApply(EMPTY_FILTER);
            }}
            data-testid="audit-filter-clear"
          >
            Clear
          </Button>
        </Group>
      </Group>
    </Paper>
  );
}
