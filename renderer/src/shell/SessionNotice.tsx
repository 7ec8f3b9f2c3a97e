// Browser mode only: the session token is missing or no longer accepted (the server was restarted).
import { Alert, Code, Text } from '@mantine/core';
import type { ReactElement } from 'react';

export function SessionNotice(): ReactElement {
  return (
    <Alert color="orange" variant="light" title="This console is not signed in" mb="md" role="alert" data-testid="session-notice">
      <Text size="sm">
        The link you opened has no valid session token, or the Custodian service was restarted since. Open the link that{' '}
        <Code>custodian serve</Code> printed when it started (it ends in <Code>?token=…</Code>). Nothing can be read or
        changed until then.
      </Text>
    </Alert>
  );
}
