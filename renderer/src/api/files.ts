// Files in and out of the console. Browser mode: uploads stream to POST /api/upload (with upload progress) and
// downloads come from GET /api/download/… with the console token; Electron: main's open and save dialogs, so the
// page never handles a path. Main checks the session, the permission and records the audit entry either way.
import type { ApiResult } from '../../../main/api/errors';
import { isApiErrorShape } from '../../../main/api/errors';
import type { IncomingFile } from '../../../main/api/imports';
import { ApiCallError, fileRouteAuth, invoke } from './client';

export type DownloadKind = 'rejects' | 'export' | 'audit';

/** The name a Content-Disposition header gives (filename* first), or null. */
export function dispositionFileName(header: string | null): string | null {
  if (!header) return null;
  const star = /filename\*=UTF-8''([^;]+)/i.exec(header);
  if (star) {
    try {
      return decodeURIComponent(star[1]!.trim());
    } catch {
      // fall through to the plain name
    }
  }
  const plain = /filename="([^"]*)"/i.exec(header);
  return plain ? plain[1]! : null;
}

export function downloadPath(kind: DownloadKind, id: number | string): string {
  return `/api/download/${kind}/${encodeURIComponent(String(id))}`;
}

/** Whether files come and go through main's dialogs (Electron) rather than upload and download routes. */
export function usesDialogs(): boolean {
  return fileRouteAuth() === null;
}

export interface UploadHandle {
  done: Promise<IncomingFile>;
  abort(): void;
}

/** Streams one file to main (browser mode), reporting bytes sent; resolves with its upload id. */
export function uploadFile(file: File, onProgress: (sent: number, total: number) => void): UploadHandle {
  const auth = fileRouteAuth();
  const xhr = new XMLHttpRequest();
  const done = new Promise<IncomingFile>((resolve, reject) => {
    if (!auth) {
      reject(new ApiCallError('imports.upload', 'UPLOAD_UNAVAILABLE', 'Uploads are for browser mode; the desktop app opens the file where it lies.'));
      return;
    }
    xhr.open('POST', `${auth.baseUrl}/api/upload?name=${encodeURIComponent(file.name)}`);
    for (const [k, v] of Object.entries(auth.headers)) xhr.setRequestHeader(k, v);
    xhr.setRequestHeader('Content-Type', 'application/octet-stream');
    xhr.withCredentials = true;
    xhr.upload.onprogress = (e) => onProgress(e.loaded, e.lengthComputable ? e.total : file.size);
    xhr.onload = () => {
      let body: unknown = null;
      try {
        body = JSON.parse(xhr.responseText);
      } catch {
        // handled below
      }
      const result = body as ApiResult<IncomingFile> | null;
      if (result && result.ok === true) resolve(result.value);
      else if (result && result.ok === false && isApiErrorShape(result.error)) reject(new ApiCallError('imports.upload', String(result.error.code), result.error.message, result.error.details));
      else reject(new ApiCallError('imports.upload', `HTTP_${xhr.status}`, `The upload was answered with HTTP ${xhr.status}.`));
    };
    xhr.onerror = () => reject(new ApiCallError('imports.upload', 'SERVICE_UNREACHABLE', 'The upload could not reach the Custodian service. Is `custodian serve` still running?'));
    xhr.onabort = () => reject(new ApiCallError('imports.upload', 'UPLOAD_CANCELLED', 'The upload was cancelled; nothing was kept.'));
    xhr.send(file);
  });
  return { done, abort: () => xhr.abort() };
}

/** Electron: main's open dialog; null when the person dismissed it. */
export function pickFile(): Promise<IncomingFile | null> {
  return invoke('imports.pickFile', {});
}

/**
 * Hands a known file to the person: a download in browser mode (the file is fetched with the token, then saved
 * through a temporary link), a save dialog under Electron. Resolves with whether it was saved and its name.
 */
export async function downloadFile(kind: DownloadKind, id: number | string): Promise<{ saved: boolean; fileName: string }> {
  const channel = kind === 'rejects' ? 'imports.rejectsFile' : kind === 'audit' ? 'audit.reportFile' : 'consents.exportFile';
  const auth = fileRouteAuth();
  if (!auth) {
    if (kind === 'rejects') return invoke('imports.saveRejects', { runId: Number(id) });
    if (kind === 'audit') return invoke('audit.saveReport', { reportId: String(id) });
    return invoke('consents.saveExport', { exportId: String(id) });
  }
  let response: Response;
  try {
    response = await fetch(`${auth.baseUrl}${downloadPath(kind, id)}`, { headers: auth.headers, credentials: 'same-origin', cache: 'no-store' });
  } catch (err) {
    throw new ApiCallError(channel, 'SERVICE_UNREACHABLE', `Cannot reach the Custodian service (${(err as Error).message}).`);
  }
  if (!response.ok) {
    const body = (await response.json().catch(() => null)) as ApiResult<never> | null;
    if (body && body.ok === false && isApiErrorShape(body.error)) throw new ApiCallError(channel, String(body.error.code), body.error.message);
    throw new ApiCallError(channel, `HTTP_${response.status}`, `The download was answered with HTTP ${response.status}.`);
  }
  const fileName = dispositionFileName(response.headers.get('Content-Disposition')) ?? `${kind}-${id}`;
  saveBlob(await response.blob(), fileName);
  return { saved: true, fileName };
}

/** Hands `blob` to the browser to save as `fileName` (a download; nothing here reads or writes a path). */
export function saveBlob(blob: Blob, fileName: string): void {
  const url = URL.createObjectURL(blob);
  try {
    const link = document.createElement('a');
    link.href = url;
    link.download = fileName;
    link.rel = 'noopener';
    document.body.appendChild(link);
    link.click();
    link.remove();
  } finally {
    // Give the browser a moment to start the download before the object URL goes.
    setTimeout(() => URL.revokeObjectURL(url), 60_000);
  }
}
