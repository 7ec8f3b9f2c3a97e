// Browser mode: serves the built renderer and the same typed API over HTTP on loopback, plus a push stream of
// events. Every API request needs the per-launch token and its own Host/Origin (see guards.ts).
import fs from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import type { Services } from '../compose/services';
import { handleDownload, handleUpload } from './files';
import { pathRedactor } from '../runtime/answer-paths';
import { checkHost, guardApiRequest, newToken } from './guards';
import { cookieSession, refuse, SECURITY_HEADERS, sendJson, STATUS_BY_CODE } from './http';

export { CONTENT_SECURITY_POLICY, SESSION_COOKIE } from './http';

export interface ServeOptions {
  services: Services;
  port?: number;
  staticDir: string;
  token?: string;
}

export interface ConsoleServer {
  url: string;
  port: number;
  token: string;
  close(): Promise<void>;
}

const MAX_BODY_BYTES = 1024 * 1024;

const MIME: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
  '.woff2': 'font/woff2',
  '.json': 'application/json',
};

async function readBody(req: http.IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    size += (chunk as Buffer).length;
    if (size > MAX_BODY_BYTES) throw Object.assign(new Error('too large'), { tooLarge: true });
    chunks.push(chunk as Buffer);
  }
  return Buffer.concat(chunks).toString('utf8');
}

function serveStatic(req: http.IncomingMessage, res: http.ServerResponse, staticDir: string): void {
  const pathname = decodeURIComponent(new URL(req.url ?? '/', 'http://x').pathname);
  const relative = pathname === '/' ? 'index.html' : pathname.slice(1);
  const file = path.resolve(staticDir, relative);
  // Never leave the renderer's build folder (no ../ traversal, no absolute paths), and serve only the kinds of file
  // the console is made of: no source maps (the renderer's source) or anything else left in the folder.
  const servable = Object.prototype.hasOwnProperty.call(MIME, path.extname(file));
  if (!servable || !file.startsWith(path.resolve(staticDir) + path.sep) || !fs.existsSync(file) || !fs.statSync(file).isFile()) {
    res.writeHead(404, { ...SECURITY_HEADERS, 'Content-Type': 'text/plain; charset=utf-8' });
    res.end('Not found');
    return;
  }
  res.writeHead(200, { ...SECURITY_HEADERS, 'Content-Type': MIME[path.extname(file)] ?? 'application/octet-stream' });
  fs.createReadStream(file).pipe(res);
}

export async function startConsoleServer(options: ServeOptions): Promise<ConsoleServer> {
  const { services } = options;
  // Answers and pushed events carry no absolute path (data folder, home folder) to the page.
  const redactPaths = pathRedactor(services.dataDir);
  const token = options.token ?? newToken();
  let port = 0;
  const streams = new Set<http.ServerResponse>();

  const server = http.createServer((req, res) => {
    void handle(req, res).catch((err: unknown) => {
      services.log.error(`browser-mode request failed: ${(err as Error).message}`);
      if (!res.headersSent) refuse(res, 500, 'INTERNAL', 'The request failed; see the console log.');
      else res.destroy();
    });
  });

  async function handle(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://x');
    if (!url.pathname.startsWith('/api/')) {
      const host = checkHost(req.headers.host, port);
      if (!host.ok) return refuse(res, host.status, host.code, host.message);
      if (req.method !== 'GET' && req.method !== 'HEAD') return refuse(res, 405, 'METHOD_NOT_ALLOWED', 'Only GET is served here.');
      return serveStatic(req, res, options.staticDir);
    }
    const verdict = guardApiRequest({ host: req.headers.host, origin: req.headers.origin, authorization: req.headers.authorization }, port, token);
    if (!verdict.ok) return refuse(res, verdict.status, verdict.code, verdict.message);

    if (url.pathname === '/api/events' && req.method === 'GET') return openEventStream(res);
    if (url.pathname === '/api/upload') return handleUpload(req, res, services, url);
    if (url.pathname.startsWith('/api/download/')) return handleDownload(req, res, services, url);

    const match = /^\/api\/invoke\/([A-Za-z0-9._-]{1,100})$/.exec(url.pathname);
    if (!match || req.method !== 'POST') return refuse(res, 404, 'UNKNOWN_CHANNEL', 'Use POST /api/invoke/<channel>.');
    if (!(req.headers['content-type'] ?? '').startsWith('application/json')) {
      return refuse(res, 415, 'VALIDATION_FAILED', 'API requests must be application/json.');
    }
    let input: unknown;
    try {
      const body = await readBody(req);
      input = body.length ? JSON.parse(body) : {};
    } catch (err) {
      if ((err as { tooLarge?: boolean }).tooLarge) return refuse(res, 413, 'VALIDATION_FAILED', `Request body over ${MAX_BODY_BYTES} bytes.`);
      return refuse(res, 400, 'VALIDATION_FAILED', 'Request body is not valid JSON.');
    }
    const session = cookieSession(req);
    const result = redactPaths(await services.dispatch(match[1]!, input, { transport: 'browser', session, source: req.socket.remoteAddress ?? 'unknown' }));
    const cookie = session.setCookie();
    sendJson(res, result.ok ? 200 : (STATUS_BY_CODE[result.error.code] ?? 422), result, cookie ? { 'Set-Cookie': cookie } : {});
  }

  function openEventStream(res: http.ServerResponse): void {
    res.writeHead(200, { ...SECURITY_HEADERS, 'Content-Type': 'text/event-stream; charset=utf-8', Connection: 'keep-alive' });
    res.write(': connected\n\n');
    streams.add(res);
    const unsubscribe = services.events.subscribe((message) => res.write(`data: ${JSON.stringify(redactPaths(message))}\n\n`));
    const heartbeat = setInterval(() => res.write(': keep-alive\n\n'), 15_000);
    res.on('close', () => {
      clearInterval(heartbeat);
      unsubscribe();
      streams.delete(res);
    });
  }

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    // Loopback only: never reachable from the network.
    server.listen(options.port ?? 0, '127.0.0.1', () => resolve());
  });
  port = (server.address() as AddressInfo).port;

  return {
    url: `http://127.0.0.1:${port}/?token=${token}`,
    port,
    token,
    close: () =>
      new Promise<void>((resolve) => {
        for (const stream of streams) stream.end();
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
