// Chain details (chain id, blocks, addresses, hashes, gas, nonces) kept out of records staff's default view: a
// native disclosure, closed by default, keyboard-operable, whose closed content is neither shown nor read aloud.
import type { ReactElement, ReactNode } from 'react';
import classes from './TechnicalDetails.module.css';

export function TechnicalDetails({ children, summary = 'Technical details', testId }: { children: ReactNode; summary?: string; testId?: string }): ReactElement {
  return (
    <details className={classes.details} data-testid={testId ?? 'technical-details'}>
      <summary className={classes.summary}>{summary}</summary>
      <div className={classes.body}>{children}</div>
    </details>
  );
}
