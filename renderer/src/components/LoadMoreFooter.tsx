// The footer under a paged list (import history, provider directory, audit trail): one centred button that reads the
// next page, busy while it loads. Shown only while main says more exist; the label says what comes next.
import { Button, Group, type MantineSize } from '@mantine/core';
import type { ReactElement } from 'react';

export interface LoadMoreFooterProps {
  /** Whether main said more exist; nothing is shown otherwise. */
  hasMore: boolean;
  loading: boolean;
  onLoadMore: () => void;
  label: string;
  testId: string;
  size?: MantineSize;
  /** e.g. custodian-no-print: a print of the page leaves the button out. */
  className?: string;
}

export function LoadMoreFooter({ hasMore, loading, onLoadMore, label, testId, size, className }: LoadMoreFooterProps): ReactElement | null {
  if (!hasMore) return null;
  return (
    <Group justify="center" className={className}>
      <Button variant="default" size={size} onClick={onLoadMore} loading={loading} data-testid={testId}>
        {label}
      </Button>
    </Group>
  );
}
