// The one way a failed call is shown: the error code (for support and the runbook) and the message (for people).
import { Alert, Button, Code, Group, Text } from '@mantine/core';
import type { ReactElement } from 'react';
import type { ApiCallError } from '../api/client';

export interface ErrorBannerProps {
  error: ApiCallError;
  /** What was being attempted, e.g. "Could not load background jobs". */
  title: string;
  onRetry?: () => void;
  /** True when older data is still on screen below the banner. */
  stale?: boolean;
}

function detailsText(details: unknown): string | null {
  if (details === undefined || details === null) return null;
  try {
    return JSON.stringify(details, null, 2);
  } catch {
    return String(details);
  }
}

export function ErrorBanner({ error, title, onRetry, stale }: ErrorBannerProps): ReactElement {
  const details = detailsText(error.details);
  return (
    <Alert color="red" variant="light" title={title} role="alert" data-testid="error-banner" data-error-code={error.code}>
      <Group gap="xs" align="baseline" wrap="nowrap">
        <Code data-testid="error-code" c="var(--custodian-text-danger)">
          {error.code}
        </Code>
        <Text size="sm" data-testid="error-message">
          {error.message}
        </Text>
      </Group>
      {details && (
        <Code block mt="xs" fz="xs">
          {details}
        </Code>
      )}
      {(stale || onRetry) && (
        <Group gap="sm" mt="xs">
          {stale && <Text size="xs">The values below are the last ones received.</Text>}
          {onRetry && (
            <Button size="compact-xs" variant="outline" color="red" onClick={onRetry}>
              Try again
            </Button>
          )}
        </Group>
      )}
    </Alert>
  );
}
