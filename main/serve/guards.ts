// Browser-mode request guards: the per-launch token, and Host/Origin checks against DNS rebinding and
// cross-site requests. Pure functions of the request's headers so every bypass can be tested directly.
import crypto from 'node:crypto';

export interface GuardInput {
  host: string | undefined;
  origin: string | undefined;
  authorization: string | undefined;
}

export type GuardVerdict = { ok: true } | { ok: false; status: 401 | 403; code: 'NOT_AUTHENTICATED' | 'FORBIDDEN_HOST' | 'FORBIDDEN_ORIGIN'; message: string };

export function newToken(): string {
  return crypto.randomBytes(32).toString('base64url');
}

/** The exact Host values this server answers to: its own loopback address and port, nothing else. */
export function allowedHosts(port: number): Set<string> {
  return new Set([`127.0.0.1:${port}`, `localhost:${port}`]);
}

export function checkHost(host: string | undefined, port: number): GuardVerdict {
  if (!host || !allowedHosts(port).has(host.toLowerCase())) {
    return { ok: false, status: 403, code: 'FORBIDDEN_HOST', message: 'Requests must be addressed to this console on 127.0.0.1.' };
  }
  return { ok: true };
}

export function checkOrigin(origin: string | undefined, port: number): GuardVerdict {
  // Same-origin fetches from the console send its own Origin (or none for GET); anything else is refused.
  if (origin === undefined) return { ok: true };
  const allowed = [...allowedHosts(port)].map((h) => `http://${h}`);
  if (!allowed.includes(origin.toLowerCase())) {
    return { ok: false, status: 403, code: 'FORBIDDEN_ORIGIN', message: 'Cross-origin requests are refused.' };
  }
  return { ok: true };
}

export function checkToken(authorization: string | undefined, token: string): GuardVerdict {
  const match = /^Bearer (\S+)$/.exec(authorization ?? '');
  const given = Buffer.from(match?.[1] ?? '');
  const expected = Buffer.from(token);
  if (given.length !== expected.length || !crypto.timingSafeEqual(given, expected)) {
    return { ok: false, status: 401, code: 'NOT_AUTHENTICATED', message: 'Missing or wrong console token; open the URL that `npm run serve` printed.' };
  }
  return { ok: true };
}

export function guardApiRequest(input: GuardInput, port: number, token: string): GuardVerdict {
  for (const verdict of [checkHost(input.host, port), checkOrigin(input.origin, port), checkToken(input.authorization, token)]) {
    if (!verdict.ok) return verdict;
  }
  return { ok: true };
}
