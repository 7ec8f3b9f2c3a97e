// Turns main's field-level refusals (VALIDATION_FAILED, or CONFLICT for a taken username) into messages under
// the matching form fields. Main names fields as in the channel's input (username, displayName, password, role).

export interface FieldIssue {
  field: string;
  message: string;
}

function isIssue(v: unknown): v is FieldIssue {
  return typeof v === 'object' && v !== null && typeof (v as FieldIssue).field === 'string' && typeof (v as FieldIssue).message === 'string';
}

/** The issues in an error's details ({ issues: [{ field, message }] }), or none. */
export function issuesOf(details: unknown): FieldIssue[] {
  if (typeof details !== 'object' || details === null) return [];
  const issues = (details as { issues?: unknown }).issues;
  return Array.isArray(issues) ? issues.filter(isIssue) : [];
}

const FIELD_NAMES: Record<string, string> = {
  username: 'Username',
  displayName: 'Full name',
  password: 'Password',
  role: 'Role',
};

/** A sentence for a field: "must be at least 12 characters" → "Password must be at least 12 characters." */
export function fieldSentence(field: string, message: string): string {
  const name = FIELD_NAMES[field] ?? field;
  const text = message === 'taken' ? 'is already taken by another account' : message;
  const sentence = /^[a-z]/.test(text) ? `${name} ${text}` : text;
  return /[.!?]$/.test(sentence) ? sentence : `${sentence}.`;
}

/**
 * Messages by form field for the fields the form has; anything else (an unknown field, or no issues at all) is
 * left for the form's general error banner.
 */
export function fieldErrors(details: unknown, fields: readonly string[]): { byField: Record<string, string>; unplaced: FieldIssue[] } {
  const byField: Record<string, string> = {};
  const unplaced: FieldIssue[] = [];
  for (const issue of issuesOf(details)) {
    if (fields.includes(issue.field) && !byField[issue.field]) byField[issue.field] = fieldSentence(issue.field, issue.message);
    else unplaced.push(issue);
  }
  return { byField, unplaced };
}
