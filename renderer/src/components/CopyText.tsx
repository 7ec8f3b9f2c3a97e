// A "Copy" button for a value (a file path, a proof bundle): says when it worked, and what to do when the
// clipboard is not available (the text stays selectable next to it).
import { Button } from '@mantine/core';
import { useEffect, useState, type ReactElement } from 'react';

export function CopyText({ value, label = 'Copy', testId }: { value: string; label?: string; testId?: string }): ReactElement {
  const [state, setState] = useState<'idle' | 'copied' | 'failed'>('idle');
  useEffect(() => {
    if (state === 'idle') return;
    const timer = setTimeout(() => setState('idle'), 2000);
    return () => clearTimeout(timer);
  }, [state]);
  return (
    <Button
      size="compact-xs"
      variant={state === 'copied' ? 'light' : 'default'}
      color={state === 'failed' ? 'red' : state === 'copied' ? 'teal' : undefined}
      onClick={() => {
        navigator.clipboard.writeText(value).then(
          () => setState('copied'),
          () => setState('failed'),
        );
      }}
      data-testid={testId}
      aria-live="polite"
    >
      {state === 'copied' ? 'Copied' : state === 'failed' ? 'Copy failed: select and press Ctrl+C' : label}
    </Button>
  );
}
