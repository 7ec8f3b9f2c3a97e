// How a refused sign-in reads: wrong credentials, a locked account (until when, and who can unlock it sooner),
// a console link without its token, or anything else with its code for support.
import { Alert, Code, Text } from '@mantine/core';
import type { ReactElement } from 'react';
import type { ApiCallError } from '../api/client';
import { formatDateTime } from '../components/format';

function lockedUntilOf(details: unknown): string | null {
  const value = typeof details === 'object' && details !== null ? (details as { lockedUntil?: unknown }).lockedUntil : undefined;
  return typeof value === 'string' ? value : null;
}

/** True when main refused the browser-mode request itself (missing or stale console token), not the staff member. */
export function isConsoleTokenProblem(error: ApiCallError): boolean {
  return error.code === 'NOT_AUTHENTICATED' && /token/i.test(error.message);
}

export function AuthError({ error, title = 'Could not sign in' }: { error: ApiCallError; title?: string }): ReactElement {
  if (error.code === 'AUTH_FAILED') {
    return (
      <Alert color="red" variant="light" title="Sign-in refused" role="alert" data-testid="auth-error" data-error-code={error.code}>
        <Text size="sm">Wrong username or password, or the account is disabled. Check both and try again.</Text>
        <Text size="xs" mt={4}>
          Five wrong passwords in a row lock the account for 15 minutes.
        </Text>
      </Alert>
    );
  }
  if (error.code === 'AUTH_LOCKED') {
    const until = lockedUntilOf(error.details);
    return (
      <Alert color="orange" variant="light" title="Account locked" role="alert" data-testid="auth-error" data-error-code={error.code}>
        <Text size="sm">
          Too many wrong passwords: this account is locked
          {until ? (
            <>
              {' '}
              until <b data-testid="auth-locked-until">{formatDateTime(until)}</b>
            </>
          ) : null}
          . Wait until then, or ask an IT administrator to unlock it (Settings → Staff).
        </Text>
      </Alert>
    );
  }
  if (isConsoleTokenProblem(error)) {
    return (
      <Alert color="orange" variant="light" title="This link is no longer valid" role="alert" data-testid="auth-error" data-error-code={error.code}>
        <Text size="sm">
          The console link has no valid access token, or the Custodian service was restarted since it was opened. Open the link
          that <Code>custodian serve</Code> printed when it started (it ends in <Code>?token=…</Code>).
        </Text>
      </Alert>
    );
  }
  return (
    <Alert color="red" variant="light" title={title} role="alert" data-testid="auth-error" data-error-code={error.code}>
      <Text size="sm">
        <Code c="red.9">{error.code}</Code> {error.message}
      </Text>
    </Alert>
  );
}
