// Browser mode's shared HTTP pieces: security headers on every response, JSON answers, status codes for error
// codes, and the staff session cookie. Used by the API route (server.ts) and the file routes (files.ts).
import type http from 'node:http';
import { parseCookie } from 'cookie';
import type { ApiResult } from '../api/errors';
import type { SessionHolder } from '../runtime/dispatcher';

// Same policy as the renderer's meta tag; sent as a header too so it also covers non-HTML responses.
export const CONTENT_SECURITY_POLICY =
  "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; font-src 'self'; connect-src 'self'; object-src 'none'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'";

export const SECURITY_HEADERS: Record<string, string> = {
  'Content-Security-Policy': CONTENT_SECURITY_POLICY,
  'X-Content-Type-Options': 'nosniff',
  'X-Frame-Options': 'DENY',
  'Referrer-Policy': 'no-referrer',
  'Cross-Origin-Opener-Policy': 'same-origin',
  'Cross-Origin-Resource-Policy': 'same-origin',
  'Cache-Control': 'no-store',
};

export const STATUS_BY_CODE: Record<string, number> = {
  VALIDATION_FAILED: 400,
  NOT_AUTHENTICATED: 401,
  SESSION_LOCKED: 401,
  AUTH_FAILED: 401,
  AUTH_THROTTLED: 429,
  PERMISSION_DENIED: 403,
  PASSWORD_CHANGE_REQUIRED: 403,
  UNKNOWN_CHANNEL: 404,
  NOT_FOUND: 404,
  JOB_NOT_FOUND: 404,
  CONFLICT: 409,
  UPLOAD_NOT_FOUND: 404,
  UPLOAD_TOO_LARGE: 413,
  UPLOAD_INCOMPLETE: 400,
  INTERNAL: 500,
  CHAIN_UNAVAILABLE: 503,
  AUDIT_WRITE_FAILED: 503,
  UPLOAD_QUOTA_EXCEEDED: 507,
};

export function sendJson(res: http.ServerResponse, status: number, body: unknown, extra: Record<string, string> = {}): void {
  const text = JSON.stringify(body);
  res.writeHead(status, { ...SECURITY_HEADERS, ...extra, 'Content-Type': 'application/json; charset=utf-8', 'Content-Length': Buffer.byteLength(text) });
  res.end(text);
}

export const SESSION_COOKIE = 'custodian_session';

function decodeOrSkip(value: string): string | undefined {
  try {
    return decodeURIComponent(value);
  } catch {
    return undefined;
  }
}

/**
 * The staff session rides in an HttpOnly, SameSite=Strict cookie scoped to /api: page scripts never read it, and
 * cross-site requests neither carry it nor pass the Origin and token checks.
 */
export function cookieSession(req: http.IncomingMessage): SessionHolder & { setCookie(): string | undefined } {
  // Cookies for 127.0.0.1 are shared by every local port, so the header may carry other apps' cookies, encoded
  // however they like. Parsed by the cookie package; a value that does not decode is skipped (for our own name the
  // next cookie of that name is tried), never a 500.
  const cookies = parseCookie(req.headers.cookie ?? '', { decode: decodeOrSkip });
  let token: string | undefined = cookies[SESSION_COOKIE];
  let changed = false;
  return {
    get: () => token,
    set: (next) => {
      token = next;
      changed = true;
    },
    setCookie: () => {
      if (!changed) return undefined;
      return token
        ? `${SESSION_COOKIE}=${encodeURIComponent(token)}; HttpOnly; SameSite=Strict; Path=/api`
        : `${SESSION_COOKIE}=; HttpOnly; SameSite=Strict; Path=/api; Max-Age=0`;
    },
  };
}

export function refuse(res: http.ServerResponse, status: number, code: string, message: string): void {
  sendJson(res, status, { ok: false, error: { code, message } } satisfies ApiResult<never>);
}

