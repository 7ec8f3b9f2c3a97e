// Browser mode's file routes. POST /api/upload?name=… streams a file into <data dir>/uploads/<id>/ (never buffered
// whole); GET /api/download/rejects/<runId> and /api/download/export/<exportId> serve a file the database knows, as
// an attachment. server.ts has already applied the token/Host/Origin guards; the session, the permission and the
// audit entry come from the dispatcher (imports.upload, imports.rejectsFile, consents.exportFile).
import fs from 'node:fs';
import type http from 'node:http';
import { Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { DownloadFile, IncomingFile } from '../api/imports';
import type { Services } from '../compose/services';
import { cookieSession, refuse, SECURITY_HEADERS, sendJson, STATUS_BY_CODE } from './http';

type Route = (req: http.IncomingMessage, res: http.ServerResponse, services: Services, url: URL) => Promise<void>;

/** Fails the stream once more bytes arrive than the request declared (a lying Content-Length, or chunked extra). */
function byteLimit(limit: number): Transform & { received: () => number } {
  let received = 0;
  const t = new Transform({
    transform(chunk: Buffer, _enc, done) {
      received += chunk.length;
      if (received > limit) done(Object.assign(new Error('upload longer than declared'), { tooLong: true }));
      else done(null, chunk);
    },
  });
  return Object.assign(t, { received: () => received });
}

function refuseAndClose(res: http.ServerResponse, status: number, code: string, message: string): void {
  // The body may still be arriving: close the connection rather than read gigabytes we refused.
  res.setHeader('Connection', 'close');
  refuse(res, status, code, message);
}

export const handleUpload: Route = async (req, res, services, url) => {
  if (req.method !== 'POST') return refuseAndClose(res, 405, 'METHOD_NOT_ALLOWED', 'Upload with POST /api/upload?name=<file name>.');
  // Not a type a cross-site form can send; the Origin check has already refused other sites' scripts.
  if ((req.headers['content-type'] ?? '').split(';')[0]!.trim() !== 'application/octet-stream') {
    return refuseAndClose(res, 415, 'VALIDATION_FAILED', 'Uploads must be sent as application/octet-stream.');
  }
  const name = url.searchParams.get('name');
  if (!name) return refuseAndClose(res, 400, 'VALIDATION_FAILED', 'The upload needs its file name (?name=).');
  const declared = req.headers['content-length'];
  if (!declared || !/^\d{1,16}$/.test(declared) || Number(declared) === 0) {
    return refuseAndClose(res, 411, 'VALIDATION_FAILED', 'The upload needs a Content-Length above zero.');
  }
  const session = cookieSession(req);
  const reserved = await services.dispatch('imports.upload', { fileName: name, sizeBytes: Number(declared) }, { transport: 'browser', session });
  if (!reserved.ok) {
    return refuseAndClose(res, STATUS_BY_CODE[reserved.error.code] ?? 422, String(reserved.error.code), reserved.error.message);
  }
  const incoming = reserved.value as IncomingFile;
  const target = services.uploads.targetOf(incoming);
  const limit = byteLimit(incoming.sizeBytes);
  try {
    await pipeline(req, limit, fs.createWriteStream(target.partPath, { flags: 'wx', mode: 0o600 }));
  } catch (err) {
    services.uploads.discard(incoming.uploadId);
    if ((err as { tooLong?: boolean }).tooLong) return refuseAndClose(res, 413, 'UPLOAD_TOO_LARGE', 'The upload sent more bytes than its Content-Length.');
    if (!res.destroyed) refuseAndClose(res, 400, 'UPLOAD_INCOMPLETE', 'The upload was cut off before its last byte; nothing was kept.');
    return;
  }
  if (limit.received() !== incoming.sizeBytes) {
    services.uploads.discard(incoming.uploadId);
    return refuseAndClose(res, 400, 'UPLOAD_INCOMPLETE', `The upload ended after ${limit.received()} of ${incoming.sizeBytes} bytes; nothing was kept.`);
  }
  services.uploads.complete(target);
  sendJson(res, 200, { ok: true, value: incoming });
};

const DOWNLOADS: { pattern: RegExp; channel: 'imports.rejectsFile' | 'consents.exportFile' | 'audit.reportFile'; input: (id: string) => unknown }[] = [
  { pattern: /^\/api\/download\/rejects\/([1-9]\d{0,14})$/, channel: 'imports.rejectsFile', input: (id) => ({ runId: Number(id) }) },
  { pattern: /^\/api\/download\/export\/([0-9a-fA-F-]{36})$/, channel: 'consents.exportFile', input: (id) => ({ exportId: id }) },
  // The name only; the channel's schema admits nothing but audit-<UTC stamp>[-n].csv.
  { pattern: /^\/api\/download\/audit\/(audit-[0-9TZ-]{16,24}\.csv)$/, channel: 'audit.reportFile', input: (name) => ({ reportId: name }) },
];

/** attachment, with a plain ASCII name and the exact name in RFC 5987 form. */
export function contentDisposition(fileName: string): string {
  const ascii = fileName.replace(/[^A-Za-z0-9 ._()-]/g, '_');
  return `attachment; filename="${ascii}"; filename*=UTF-8''${encodeURIComponent(fileName)}`;
}

export const handleDownload: Route = async (req, res, services, url) => {
  if (req.method !== 'GET') return refuse(res, 405, 'METHOD_NOT_ALLOWED', 'Downloads are GET requests.');
  const route = DOWNLOADS.map((d) => ({ d, m: d.pattern.exec(url.pathname) })).find((x) => x.m);
  if (!route) return refuse(res, 404, 'NOT_FOUND', 'Download a run’s rejects (/api/download/rejects/<run id>), an export (/api/download/export/<export id>) or an audit report (/api/download/audit/<report id>).');
  const found = await services.dispatch(route.d.channel, route.d.input(route.m![1]!), { transport: 'browser', session: cookieSession(req) });
  if (!found.ok) return refuse(res, STATUS_BY_CODE[found.error.code] ?? 422, String(found.error.code), found.error.message);
  const file = found.value as DownloadFile;
  let fd: fs.promises.FileHandle;
  try {
    fd = await fs.promises.open(file.path, 'r');
  } catch {
    return refuse(res, 404, 'NOT_FOUND', 'The file is no longer in the data folder.');
  }
  // The length of the file as opened now (a rejects file may have grown since it was resolved).
  const size = (await fd.stat()).size;
  res.writeHead(200, {
    ...SECURITY_HEADERS,
    'Content-Type': file.contentType,
    'Content-Length': String(size),
    'Content-Disposition': contentDisposition(file.fileName),
  });
  if (size === 0) {
    await fd.close();
    res.end();
    return;
  }
  await pipeline(fd.createReadStream({ start: 0, end: size - 1 }), res).catch(() => res.destroy());
};
