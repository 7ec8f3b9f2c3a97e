// The filter bar above the consents table: search by MRN, patient or provider (name or NPI), a patient, a grantee, purpose, category and
// status. Lists apply at once; typed text applies after a short pause (or Enter), so typing does not flood main.
import { Button, Group, NativeSelect, TextInput } from '@mantine/core';
import { useEffect, useRef, useState, type ReactElement } from 'react';
import { CATEGORIES, CONSENT_STATUSES, PURPOSES } from '../../../../main/api/consents';
import { EMPTY_FILTER, isEmptyFilter, type FilterForm } from './filters';
import { CATEGORY_LABELS, PURPOSE_LABELS, STATUS_LABELS } from './labels';
import { PatientPicker, type PickedPatient } from './PatientPicker';

const TYPING_DELAY_MS = 350;

export interface ConsentFiltersProps {
  applied: FilterForm;
  onApply: (form: FilterForm) => void;
  /** Patient search needs patients.view; without it the patient filter is a number. */
  canSearchPatients: boolean;
  /** The label of the patient filtered on, when known (picked here or from a consent). */
  patientLabel: string | null;
  onPatientLabel: (label: string | null) => void;
}

export function ConsentFilters({ applied, onApply, canSearchPatients, patientLabel, onPatientLabel }: ConsentFiltersProps): ReactElement {
  const [search, setSearch] = useState(applied.search);
  const [grantee, setGrantee] = useState(applied.grantee);
  // The address changes (Back, a link): the text boxes follow it.
  useEffect(() => setSearch(applied.search), [applied.search]);
  useEffect(() => setGrantee(applied.grantee), [applied.grantee]);

  const appliedRef = useRef(applied);
  appliedRef.current = applied;
  useEffect(() => {
    if (search.trim() === appliedRef.current.search && grantee.trim() === appliedRef.current.grantee) return;
    const timer = setTimeout(() => onApply({ ...appliedRef.current, search: search.trim(), grantee: grantee.trim() }), TYPING_DELAY_MS);
    return () => clearTimeout(timer);
  }, [search, grantee, onApply]);

  const set = (patch: Partial<FilterForm>): void => onApply({ ...applied, search: search.trim(), grantee: grantee.trim(), ...patch });
  const picked: PickedPatient | null = applied.patientId ? { id: Number(applied.patientId), label: patientLabel ?? `Patient no. ${applied.patientId}` } : null;

  return (
    <Group gap="xs" align="flex-end" wrap="wrap" data-testid="consents-filters" role="search" aria-label="Filter consents">
      {/* Searching by name or MRN needs patients.view; main refuses it otherwise. */}
      {canSearchPatients && (
        <TextInput
          label="Search"
          placeholder="MRN, patient, provider or NPI"
          value={search}
          onChange={(e) => setSearch(e.currentTarget.value)}
          onKeyDown={(e) => {
            if (e.key === 'Enter') set({});
          }}
          w={230}
          size="xs"
          data-testid="consents-search"
        />
      )}
      {canSearchPatients ? (
        <PatientPicker
          label="Patient"
          value={picked}
          onChange={(p) => {
            onPatientLabel(p?.label ?? null);
            set({ patientId: p ? String(p.id) : '' });
          }}
          w={250}
          size="xs"
          data-testid="consents-filter-patient"
        />
      ) : (
        <TextInput
          label="Patient no."
          value={applied.patientId}
          onChange={(e) => set({ patientId: /^\d*$/.test(e.currentTarget.value) ? e.currentTarget.value : applied.patientId })}
          w={110}
          size="xs"
          inputMode="numeric"
          data-testid="consents-filter-patient-id"
        />
      )}
      <TextInput
        label="Grantee"
        placeholder="NPI or org id"
        value={grantee}
        onChange={(e) => setGrantee(e.currentTarget.value)}
        onKeyDown={(e) => {
          if (e.key === 'Enter') set({});
        }}
        w={140}
        size="xs"
        styles={{ input: { fontFamily: 'var(--mantine-font-family-monospace)' } }}
        data-testid="consents-filter-grantee"
      />
      <NativeSelect
        label="Purpose"
        value={applied.purpose}
        onChange={(e) => set({ purpose: e.currentTarget.value })}
        data={[{ value: '', label: 'Any purpose' }, ...PURPOSES.map((p) => ({ value: p, label: `${p} — ${PURPOSE_LABELS[p]}` }))]}
        w={190}
        size="xs"
        data-testid="consents-filter-purpose"
      />
      <NativeSelect
        label="Category"
        value={applied.category}
        onChange={(e) => set({ category: e.currentTarget.value })}
        data={[{ value: '', label: 'Any category' }, ...CATEGORIES.map((c) => ({ value: c, label: CATEGORY_LABELS[c] }))]}
        w={140}
        size="xs"
        data-testid="consents-filter-category"
      />
      <NativeSelect
        label="Status"
        value={applied.status}
        onChange={(e) => set({ status: e.currentTarget.value })}
        data={[{ value: '', label: 'Any status' }, ...CONSENT_STATUSES.map((s) => ({ value: s, label: STATUS_LABELS[s] }))]}
        w={116}
        size="xs"
        data-testid="consents-filter-status"
      />
      <Button
        variant="subtle"
        size="xs"
        disabled={isEmptyFilter(applied) && !search && !grantee}
        onClick={() => {
          setSearch('');
          setGrantee('');
          onPatientLabel(null);
          onApply(EMPTY_FILTER);
        }}
        aria-label="Clear all filters"
        data-testid="consents-filter-clear"
      >
        Clear
      </Button>
    </Group>
  );
}
