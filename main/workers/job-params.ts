// A job's params checked with its kind's schema, in main before the job's row is written and in the worker before
// the job runs; a refusal names the field and the reason.
import { AppError } from '../api/errors';
import type { JobKindDef } from '../api/jobs';

export function parseJobParams(def: JobKindDef, kind: string, params: unknown): unknown {
  const parsed = def.params.safeParse(params);
  if (parsed.success) return parsed.data;
  const issue = parsed.error.issues[0];
  const field = issue?.path.length ? issue.path.join('.') : 'params';
  throw new AppError('VALIDATION_FAILED', `A ${kind} job's ${field} is not valid: ${issue?.message ?? 'unknown reason'}`);
}
