// The app:// protocol: serves the built renderer (build/renderer) to the window, and nothing outside that
// folder. Electron-free (a fetch-style Request -> Response handler) so the traversal guards are tested directly.
import fs from 'node:fs/promises';
import path from 'node:path';
import { APP_CONTENT_SECURITY_POLICY, isAppUrl } from './url-policy';

const MIME: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json; charset=utf-8',
  '.map': 'application/json; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
  '.woff2': 'font/woff2',
};

export const APP_RESPONSE_HEADERS: Readonly<Record<string, string>> = {
  'Content-Security-Policy': APP_CONTENT_SECURITY_POLICY,
  'X-Content-Type-Options': 'nosniff',
  'Referrer-Policy': 'no-referrer',
  'Cross-Origin-Opener-Policy': 'same-origin',
  'Cross-Origin-Resource-Policy': 'same-origin',
  'Cache-Control': 'no-store',
};

export type AssetResolution = { ok: true; file: string; contentType: string } | { ok: false; status: 400 | 403 | 404 };

/**
 * Maps app://custodian/<path> to a file under rootDir, lexically: decoded once, no NUL, no backslash, no
 * dot segments left after decoding (%2e%2e, ..%2f), and the result must stay inside rootDir.
 */
export function resolveAppAsset(rootDir: string, requestUrl: string): AssetResolution {
  if (!isAppUrl(requestUrl)) return { ok: false, status: 403 };
  const { pathname } = new URL(requestUrl);
  let decoded: string;
  try {
    decoded = decodeURIComponent(pathname);
  } catch {
    return { ok: false, status: 400 };
  }
  if (decoded.includes('\0') || decoded.includes('\\')) return { ok: false, status: 400 };
  const segments = decoded.split('/').filter((s) => s !== '');
  if (segments.some((s) => s === '.' || s === '..' || /^[a-zA-Z]:$/.test(s))) return { ok: false, status: 403 };
  const relative = segments.length === 0 ? 'index.html' : segments.join('/');
  const root = path.resolve(rootDir);
  const file = path.resolve(root, relative);
  if (!isInside(root, file)) return { ok: false, status: 403 };
  return { ok: true, file, contentType: MIME[path.extname(file).toLowerCase()] ?? 'application/octet-stream' };
}

export function isInside(root: string, candidate: string): boolean {
  const rel = path.relative(root, candidate);
  return rel !== '' && !rel.startsWith('..') && !path.isAbsolute(rel);
}

function refusal(status: number): Response {
  return new Response(status === 404 ? 'Not found' : 'Refused', {
    status,
    headers: { ...APP_RESPONSE_HEADERS, 'Content-Type': 'text/plain; charset=utf-8' },
  });
}

/**
 * The handler given to protocol.handle(APP_SCHEME, …). Read-only (GET/HEAD); after the lexical check the real
 * path is checked again so a symlink inside build/renderer cannot point outside it.
 */
export function createAppProtocolHandler(rootDir: string): (request: Request) => Promise<Response> {
  const root = path.resolve(rootDir);
  let realRoot: Promise<string> | null = null;
  return async (request) => {
    if (request.method !== 'GET' && request.method !== 'HEAD') return refusal(405);
    const resolved = resolveAppAsset(root, request.url);
    if (!resolved.ok) return refusal(resolved.status);
    try {
      realRoot ??= fs.realpath(root);
      const realFile = await fs.realpath(resolved.file);
      if (!isInside(await realRoot, realFile)) return refusal(403);
      const stat = await fs.stat(realFile);
      if (!stat.isFile()) return refusal(404);
      const body = request.method === 'HEAD' ? null : await fs.readFile(realFile);
      return new Response(body, { status: 200, headers: { ...APP_RESPONSE_HEADERS, 'Content-Type': resolved.contentType } });
    } catch {
      realRoot = null;
      return refusal(404);
    }
  };
}
