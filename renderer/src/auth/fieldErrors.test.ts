import { describe, expect, it } from 'vitest';
import { fieldErrors, fieldSentence, issuesOf } from './fieldErrors';

describe('field errors from main', () => {
  it('places issues under the form fields that exist and keeps the rest for the banner', () => {
    const details = {
      issues: [
        { field: 'password', message: 'must be at least 12 characters' },
        { field: 'username', message: 'taken' },
        { field: '(input)', message: 'Unrecognized key: "extra"' },
      ],
    };
    const { byField, unplaced } = fieldErrors(details, ['username', 'password']);
    expect(byField).toEqual({ password: 'Password must be at least 12 characters.', username: 'Username is already taken by another account.' });
    expect(unplaced).toEqual([{ field: '(input)', message: 'Unrecognized key: "extra"' }]);
  });

  it('ignores details that are not a list of issues', () => {
    expect(issuesOf(undefined)).toEqual([]);
    expect(issuesOf({ issues: 'nope' })).toEqual([]);
    expect(issuesOf({ issues: [{ field: 1 }, { field: 'a', message: 'b' }] })).toEqual([{ field: 'a', message: 'b' }]);
  });

  it('keeps a message that is already a sentence', () => {
    expect(fieldSentence('displayName', 'is required')).toBe('Full name is required.');
    expect(fieldSentence('password', 'Too weak!')).toBe('Too weak!');
  });
});
