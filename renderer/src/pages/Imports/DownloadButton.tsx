// A button that hands a known file to the person: a download in browser mode, a save dialog in the desktop app.
// Main checks the permission and audits each download; a refusal shows here with its reason.
import { Button, Group, Text } from '@mantine/core';
import { useState, type ReactElement } from 'react';
import { ApiCallError } from '../../api/client';
import { downloadFile, usesDialogs, type DownloadKind } from '../../api/files';

interface Props {
  kind: DownloadKind;
  id: number | string;
  label: string;
  /** Names the file for screen readers when several buttons share a label (history rows). */
  ariaLabel?: string;
  testId: string;
  size?: 'compact-xs' | 'xs' | 'sm';
  variant?: 'light' | 'default' | 'filled' | 'subtle';
}

export function DownloadButton({ kind, id, label, ariaLabel, testId, size = 'xs', variant = 'light' }: Props): ReactElement {
  const [state, setState] = useState<{ pending: boolean; error: string | null; saved: string | null }>({ pending: false, error: null, saved: null });
  const run = async (): Promise<void> => {
    setState({ pending: true, error: null, saved: null });
    try {
      const result = await downloadFile(kind, id);
      setState({ pending: false, error: null, saved: result.saved && usesDialogs() ? result.fileName : null });
    } catch (err) {
      setState({ pending: false, error: err instanceof ApiCallError ? err.message : String(err), saved: null });
    }
  };
  return (
    <Group gap={6} wrap="nowrap">
      <Button size={size} variant={variant} onClick={() => void run()} loading={state.pending} aria-label={ariaLabel} data-testid={testId}>
        {label}
      </Button>
      {state.error && (
        <Text size="xs" c="var(--custodian-text-danger)" role="alert" data-testid={`${testId}-error`}>
          {state.error}
        </Text>
      )}
      {state.saved && (
        <Text size="xs" c="var(--custodian-text-success)" role="status">
          Saved as {state.saved}
        </Text>
      )}
    </Group>
  );
}
