// How a refused sign-in reads: wrong credentials, too many failures from this place (and when to try again),
// a console link without its token, or anything else with its code for support.
import { Alert, Code, Text } from '@mantine/core';
import type { ReactElement } from 'react';
import type { ApiCallError } from '../api/client';

function retryAfterOf(details: unknown): number | null {
  const value = typeof details === 'object' && details !== null ? (details as { retryAfterSeconds?: unknown }).retryAfterSeconds : undefined;
  return typeof value === 'number' ? value : null;
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
          After several wrong passwords from this computer, each further attempt from it has to wait a little longer.
        </Text>
      </Alert>
    );
  }
  if (error.code === 'AUTH_THROTTLED') {
    const seconds = retryAfterOf(error.details);
    return (
      <Alert color="orange" variant="light" title="Too many attempts from here" role="alert" data-testid="auth-error" data-error-code={error.code}>
        <Text size="sm">
          Too many wrong passwords from this computer. Try again in <b data-testid="auth-retry-after">{seconds ?? 'a few'}</b> seconds. The account is
          not locked: the desktop app on the Custodian computer is not slowed, and an IT administrator there can run{' '}
          <Code>custodian staff unlock USER</Code>.
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
        <Code c="var(--custodian-text-danger)">{error.code}</Code> {error.message}
      </Text>
    </Alert>
  );
}
