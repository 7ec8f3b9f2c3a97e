// One try of a password (sign-in, unlock): pending while main checks it; a refusal is shown, the password field
// emptied and focused for the next try. On success the screen goes away, so nothing is reset.
import { useRef, useState, type RefObject } from 'react';
import { ApiCallError } from '../api/client';

export interface PasswordAttempt {
  failure: ApiCallError | null;
  pending: boolean;
  /** For the password input: focused again after a refusal. */
  passwordRef: RefObject<HTMLInputElement | null>;
  attempt: (send: () => Promise<void>) => Promise<void>;
}

export function usePasswordAttempt(clearPassword: () => void): PasswordAttempt {
  const [failure, setFailure] = useState<ApiCallError | null>(null);
  const [pending, setPending] = useState(false);
  const passwordRef = useRef<HTMLInputElement>(null);

  const attempt = async (send: () => Promise<void>): Promise<void> => {
    setPending(true);
    setFailure(null);
    try {
      await send();
    } catch (err) {
      setFailure(err instanceof ApiCallError ? err : new ApiCallError('auth.login', 'INTERNAL', String(err)));
      clearPassword();
      setPending(false);
      passwordRef.current?.focus();
    }
  };

  return { failure, pending, passwordRef, attempt };
}
