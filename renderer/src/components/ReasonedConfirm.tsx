// The part every consequential confirmation shares (bulk revoke, break-glass): a required reason kept in the audit
// trail, then Cancel and a coloured confirm button. The dialog around it says what will happen; this says why.
import { Button, Group, Textarea } from '@mantine/core';
import { useCallback, useState, type ReactElement, type ReactNode } from 'react';

/** Shortest reason accepted: main's schemas ask for the same. */
export const MIN_REASON_LENGTH = 3;

export interface ReasonState {
  reason: string;
  error: string | null;
  setReason: (value: string) => void;
  reset: () => void;
  /** The trimmed reason, or null (and the field shows `missing`) when it is too short. */
  validate: () => string | null;
}

/** A reason field's value and its one rule; `missing` is the sentence shown when the reason is too short. */
export function useReason(missing: string): ReasonState {
  const [reason, setValue] = useState('');
  const [error, setError] = useState<string | null>(null);
  const setReason = useCallback((value: string) => {
    setValue(value);
    setError(null);
  }, []);
  const reset = useCallback(() => {
    setValue('');
    setError(null);
  }, []);
  const validate = (): string | null => {
    const trimmed = reason.trim();
    if (trimmed.length >= MIN_REASON_LENGTH) return trimmed;
    setError(missing);
    return null;
  };
  return { reason, error, setReason, reset, validate };
}

export function ReasonField({ state, label, description, testId }: { state: ReasonState; label: string; description: string; testId: string }): ReactElement {
  return (
    <Textarea
      label={label}
      description={description}
      required
      autosize
      minRows={2}
      maxLength={500}
      value={state.reason}
      onChange={(e) => state.setReason(e.currentTarget.value)}
      error={state.error}
      data-autofocus
      data-testid={testId}
    />
  );
}

export interface ConfirmButtonsProps {
  onCancel: () => void;
  /** Absent: only Cancel (nothing to confirm). */
  confirm?: { label: ReactNode; color: string; pending: boolean; disabled?: boolean };
  /** `${testIdPrefix}-cancel` and `${testIdPrefix}-confirm`. */
  testIdPrefix: string;
}

/** Cancel, then the submit button of the surrounding form. */
export function ConfirmButtons({ onCancel, confirm, testIdPrefix }: ConfirmButtonsProps): ReactElement {
  return (
    <Group justify="flex-end">
      <Button variant="default" onClick={onCancel} data-testid={`${testIdPrefix}-cancel`}>
        Cancel
      </Button>
      {confirm && (
        <Button type="submit" color={confirm.color} loading={confirm.pending} disabled={confirm.disabled} data-testid={`${testIdPrefix}-confirm`}>
          {confirm.label}
        </Button>
      )}
    </Group>
  );
}
