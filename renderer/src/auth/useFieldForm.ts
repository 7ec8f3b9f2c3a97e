// The state of a form whose fields main checks again (set-up, password changes, staff accounts): messages under the
// fields, a banner for what no field explains, and the pending flag. One place, so every such form behaves alike.
import { useState } from 'react';
import type { ChannelName } from '../../../main/api/index';
import { ApiCallError } from '../api/client';
import { fieldErrors } from './fieldErrors';

export interface FieldForm {
  /** A message per field name (main's names, plus 'confirm' for the repeated password). */
  errors: Record<string, string>;
  /** A refusal no field explains (or that names a field this form does not show): shown as a banner. */
  failure: ApiCallError | null;
  pending: boolean;
  /** A change handler that also clears the field's message: the next submit checks it again. */
  edit: (field: string, set: (value: string) => void) => (value: string) => void;
  /**
   * Shows `local` (the form's own checks); when there are none, runs `send` and places main's field refusals under
   * their fields, anything else in `failure`.
   */
  submit: (local: Record<string, string>, send: () => Promise<void>) => Promise<void>;
  /** Forgets every message (a dialog closed). */
  clear: () => void;
}

export function useFieldForm(channel: ChannelName, fields: readonly string[]): FieldForm {
  const [errors, setErrors] = useState<Record<string, string>>({});
  const [failure, setFailure] = useState<ApiCallError | null>(null);
  const [pending, setPending] = useState(false);

  const edit = (field: string, set: (value: string) => void) => (value: string) => {
    set(value);
    setErrors(({ [field]: _dropped, ...rest }) => rest);
  };

  const submit = async (local: Record<string, string>, send: () => Promise<void>): Promise<void> => {
    setErrors(local);
    setFailure(null);
    if (Object.keys(local).length > 0) return;
    setPending(true);
    try {
      await send();
    } catch (err) {
      const error = err instanceof ApiCallError ? err : new ApiCallError(channel, 'INTERNAL', String(err));
      const { byField, unplaced } = fieldErrors(error.details, fields);
      setErrors(byField);
      if (Object.keys(byField).length === 0 || unplaced.length > 0) setFailure(error);
    } finally {
      setPending(false);
    }
  };

  const clear = (): void => {
    setErrors({});
    setFailure(null);
  };

  return { errors, failure, pending, edit, submit, clear };
}
