import { describe, expect, it } from 'vitest';
import { actionLabel, actorName, actorRole, detailsSummary, outcomeView } from './auditLabels';

describe('audit labels', () => {
  it('names known actions and reads unknown ones from their name', () => {
    expect(actionLabel('auth.login')).toBe('Sign-in');
    expect(actionLabel('reports.monthly-summary')).toBe('Reports · Monthly summary');
  });

  it('gives every outcome a label and a colour', () => {
    expect(outcomeView('denied')).toMatchObject({ label: 'Denied', color: 'orange' });
    expect(outcomeView('break-glass')).toMatchObject({ label: 'Break-glass', color: 'red' });
    expect(outcomeView('something-new').label).toBe('Something new');
  });

  it('says who acted, including nobody and a failed sign-in', () => {
    expect(actorName(null)).toBe('Not signed in');
    expect(actorName({ id: 'anonymous', name: 'Not signed in', role: 'anonymous' })).toBe('Not signed in');
    expect(actorName({ id: 'u1', name: 'clerk.cole', role: 'anonymous' })).toBe('clerk.cole');
    expect(actorRole({ id: 'u1', name: 'clerk.cole', role: 'anonymous' })).toBe('—');
    expect(actorRole({ id: 'u1', name: 'Cole', role: 'records_clerk' })).toBe('Records clerk');
  });

  it('summarises details with the error and reason first, without the transport', () => {
    expect(detailsSummary({ transport: 'browser', subjectCount: 2, error: 'AUTH_FAILED', reason: 'invalid' })).toBe('AUTH_FAILED · reason: invalid · subjectCount: 2');
    expect(detailsSummary({ transport: 'cli' })).toBe('');
  });
});
