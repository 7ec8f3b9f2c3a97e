// Error values that cross the API boundary: a stable code the UI can act on, a message for people.
// Pure TypeScript so the renderer can import it; never carries stack traces or PHI.

export type ErrorCode =
  | 'VALIDATION_FAILED'
  | 'UNKNOWN_CHANNEL'
  | 'PERMISSION_DENIED'
  | 'NOT_AUTHENTICATED'
  | 'NOT_FOUND'
  | 'CONFLICT'
  | 'CHAIN_UNAVAILABLE'
  | 'CHAIN_ID_MISMATCH'
  | 'DB_MIGRATION_EDITED'
  | 'DB_FROM_FUTURE'
  | 'DB_MIGRATION_FAILED'
  | 'JOB_NOT_FOUND'
  | 'JOB_FAILED'
  | 'IMPORT_FAILED'
  | 'INTERNAL';

export interface ApiErrorShape {
  code: ErrorCode | (string & {});
  message: string;
  details?: unknown;
}

/** An error meant for the caller: its code, message and details reach the renderer as they are. */
export class AppError extends Error implements ApiErrorShape {
  readonly code: ErrorCode | (string & {});
  readonly details?: unknown;
  constructor(code: ErrorCode | (string & {}), message: string, details?: unknown) {
    super(message);
    this.name = 'AppError';
    this.code = code;
    this.details = details;
  }
  toJSON(): ApiErrorShape {
    return this.details === undefined
      ? { code: this.code, message: this.message }
      : { code: this.code, message: this.message, details: this.details };
  }
}

export type ApiResult<T> = { ok: true; value: T } | { ok: false; error: ApiErrorShape };

export function isApiErrorShape(v: unknown): v is ApiErrorShape {
  return typeof v === 'object' && v !== null && typeof (v as ApiErrorShape).code === 'string' && typeof (v as ApiErrorShape).message === 'string';
}
