// A done action's confirmation above the table it changed ("Created clerk.cole as Records clerk."), dismissible.
import { Alert, Text } from '@mantine/core';
import type { ReactElement, ReactNode } from 'react';

export function SuccessNotice({ children, onClose, testId = 'success-notice' }: { children: ReactNode; onClose: () => void; testId?: string }): ReactElement {
  return (
    <Alert color="teal" variant="light" withCloseButton closeButtonLabel="Dismiss" onClose={onClose} role="status" data-testid={testId} py="xs">
      <Text size="sm">{children}</Text>
    </Alert>
  );
}
