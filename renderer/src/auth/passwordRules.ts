// The password rules as staff read them on the set-up, new-account and reset screens, ticked off as they type.
// Main checks them again (main/staff/passwords.ts) and its answer, shown under the field, is the one that counts.

import { MIN_PASSWORD_LENGTH } from '../../../main/api/auth';

export { MIN_PASSWORD_LENGTH };

export interface PasswordCheck {
  id: 'length' | 'not-repeated';
  label: string;
  met: boolean;
}

export function passwordChecks(password: string): PasswordCheck[] {
  return [
    {
      id: 'length',
      label: `At least ${MIN_PASSWORD_LENGTH} characters${password.length > 0 && password.length < MIN_PASSWORD_LENGTH ? ` (${password.length} so far)` : ''}`,
      met: password.length >= MIN_PASSWORD_LENGTH,
    },
    { id: 'not-repeated', label: 'Not one character repeated (such as “aaaaaaaaaaaa”)', met: password.length > 0 && !/^(.)\1*$/.test(password) },
  ];
}

export const PASSWORD_ADVICE = 'A phrase of three or four unrelated words is long enough and easy to remember.';

/** Checked before sending: only what main cannot know (the confirmation) and empty fields. */
export function confirmProblem(password: string, confirm: string): string | null {
  if (confirm.length === 0) return 'Type the password again to confirm it.';
  return password === confirm ? null : 'The two passwords differ.';
}
