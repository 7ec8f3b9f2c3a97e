// Which URLs count as the app itself and which may leave it: the one rule every Electron guard (navigation,
// new windows, IPC senders, web requests, openExternal) consults. Pure, no Electron, so url-policy.test.ts covers it.

/** The renderer is served from this privileged standard scheme (see app-protocol.ts), never from file://. */
export const APP_SCHEME = 'app';
export const APP_HOST = 'custodian';
export const APP_ORIGIN = `${APP_SCHEME}://${APP_HOST}`;
export const APP_ENTRY_URL = `${APP_ORIGIN}/index.html`;

/**
 * The renderer's policy, identical to the meta tag in renderer/index.html (a test keeps them equal). Served as a
 * response header too, where frame-ancestors is honoured.
 */
export const APP_CONTENT_SECURITY_POLICY =
  "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; font-src 'self'; connect-src 'self'; object-src 'none'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'";

function parse(url: unknown): URL | null {
  if (typeof url !== 'string' || url.length > 8192) return null;
  try {
    return new URL(url);
  } catch {
    return null;
  }
}

/** True only for app://custodian/… exactly: no other host, no credentials, no port. */
export function isAppUrl(url: unknown): boolean {
  const u = parse(url);
  return u !== null && u.protocol === `${APP_SCHEME}:` && u.host === APP_HOST && u.username === '' && u.password === '';
}

/**
 * The normalised URL when it may be handed to the operating system (http: and https: with a host and no
 * embedded credentials), else null. Everything else (file:, javascript:, data:, smb:, custom handlers that
 * launch programs) stays inside.
 */
export function safeExternalUrl(url: unknown): string | null {
  const u = parse(url);
  if (!u) return null;
  if (u.protocol !== 'https:' && u.protocol !== 'http:') return null;
  if (!u.hostname || u.username !== '' || u.password !== '') return null;
  return u.href;
}

export function isSafeExternalUrl(url: unknown): boolean {
  return safeExternalUrl(url) !== null;
}

export type NavigationVerdict = 'allow' | 'open-external' | 'deny';

/**
 * A top-level navigation the user started (a link without target): stays if it is the app, goes to the system
 * browser if it is a plain web link, else is dropped. Redirects and frame navigations never open anything.
 */
export function navigationVerdict(url: unknown): NavigationVerdict {
  if (isAppUrl(url)) return 'allow';
  return isSafeExternalUrl(url) ? 'open-external' : 'deny';
}

/**
 * What the renderer's session may fetch at all: its own scheme, inline data/blob URLs its own code made, and
 * DevTools. No http(s): the console has no remote content.
 */
export function isAllowedRequestUrl(url: unknown): boolean {
  if (isAppUrl(url)) return true;
  const u = parse(url);
  if (!u) return false;
  // blob:app://custodian/<uuid> only: a blob URL carries the origin that created it.
  if (u.protocol === 'blob:') return isAppUrl(u.pathname);
  return u.protocol === 'data:' || u.protocol === 'devtools:';
}

/** Response headers with our CSP replacing any policy already there (header names compared case-insensitively). */
export function withContentSecurityPolicy(headers: Record<string, string[] | string> | undefined): Record<string, string[]> {
  const out: Record<string, string[]> = {};
  for (const [name, value] of Object.entries(headers ?? {})) {
    if (name.toLowerCase() === 'content-security-policy') continue;
    out[name] = Array.isArray(value) ? value : [value];
  }
  out['Content-Security-Policy'] = [APP_CONTENT_SECURITY_POLICY];
  return out;
}
