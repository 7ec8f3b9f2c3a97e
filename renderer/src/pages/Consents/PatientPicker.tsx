// Finds a patient by MRN (exact) or the start of their name (patients.search) and picks one by id. Needs the
// patients.view permission; callers offer a plain patient number to roles without it.
import { Loader, Select, type SelectProps } from '@mantine/core';
import { useEffect, useMemo, useState, type ReactElement } from 'react';
import type { PatientSummary } from '../../../../main/api/consents';
import { ApiCallError, invoke } from '../../api/client';
import { patientRef, patientTitle } from './labels';

const SEARCH_DELAY_MS = 250;

export interface PickedPatient {
  id: number;
  label: string;
}

export function patientLabel(p: Pick<PatientSummary, 'id' | 'name' | 'facility' | 'mrn'>): string {
  return `${patientTitle(p)} · ${patientRef(p)}`;
}

export interface PatientPickerProps extends Omit<SelectProps, 'data' | 'value' | 'onChange' | 'searchValue' | 'onSearchChange'> {
  value: PickedPatient | null;
  onChange: (patient: PickedPatient | null) => void;
}

export function PatientPicker({ value, onChange, ...rest }: PatientPickerProps): ReactElement {
  const [query, setQuery] = useState('');
  const [results, setResults] = useState<PatientSummary[]>([]);
  const [searching, setSearching] = useState(false);
  const [error, setError] = useState<string | null>(null);

  const trimmed = query.trim();
  const searchable = trimmed.length >= 2 && trimmed !== value?.label;
  useEffect(() => {
    if (!searchable) {
      setResults([]);
      return;
    }
    let cancelled = false;
    const timer = setTimeout(() => {
      setSearching(true);
      invoke('patients.search', { query: trimmed, limit: 20 }).then(
        (found) => {
          if (cancelled) return;
          setResults(found);
          setError(null);
          setSearching(false);
        },
        (err: unknown) => {
          if (cancelled) return;
          setError(err instanceof ApiCallError ? `${err.code}: ${err.message}` : String(err));
          setSearching(false);
        },
      );
    }, SEARCH_DELAY_MS);
    return () => {
      cancelled = true;
      clearTimeout(timer);
    };
  }, [trimmed, searchable]);

  const data = useMemo(() => {
    const options = results.map((p) => ({
      value: String(p.id),
      label: `${patientLabel(p)}${p.birthDate ? ` · born ${p.birthDate}` : ''} · ${p.consents} consent${p.consents === 1 ? '' : 's'}`,
    }));
    if (value && !options.some((o) => o.value === String(value.id))) options.unshift({ value: String(value.id), label: value.label });
    return options;
  }, [results, value]);

  return (
    <Select
      searchable
      clearable
      data={data}
      value={value ? String(value.id) : null}
      onChange={(v, option) => onChange(v ? { id: Number(v), label: option?.label ?? `Patient no. ${v}` } : null)}
      searchValue={query}
      onSearchChange={setQuery}
      // Main already matched: show every answer.
      filter={({ options }) => options}
      nothingFoundMessage={searching ? 'Searching…' : trimmed.length < 2 ? 'Type an MRN or the start of a name' : 'No patient with that MRN or name'}
      rightSection={searching ? <Loader size={14} /> : undefined}
      error={error}
      placeholder="MRN or family name"
      {...rest}
    />
  );
}
