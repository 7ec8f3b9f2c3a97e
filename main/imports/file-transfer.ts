// Files crossing the console's edge. In: uploads (browser mode, streamed to <data dir>/uploads/<id>/<name>) and
// files picked in Electron's open dialog, both known to the page only by an opaque id that main maps to a path.
// Out: a known file copied where the person chose in a save dialog. Imports read what comes in by id.
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { AppError } from '../api/errors';
import type { IncomingFile } from '../api/imports';
import type { Db } from '../db/connection';
import type { EventBus } from '../runtime/event-bus';
import type { Logger } from '../runtime/log';
import { runFileOfJob } from './run-table';

/** Electron's open and save dialogs, injected by the shell; absent in browser mode and the CLI. */
export interface FileDialogs {
  /** The path the person picked, or null when the dialog was dismissed. */
  pickFile(): Promise<string | null>;
  /** Where to save a copy of `fileName`, or null when the dialog was dismissed. */
  saveFile(fileName: string): Promise<string | null>;
}

export const DEFAULT_MAX_UPLOAD_BYTES = 8 * 1024 ** 3;
export const DEFAULT_UPLOAD_RETENTION_MS = 24 * 60 * 60 * 1000;
/** All uploads kept at once (each is swept 24 h after it came): a bound on the disk any staff member can fill. */
export const DEFAULT_MAX_TOTAL_UPLOAD_BYTES = 16 * 1024 ** 3;
const PART_SUFFIX = '.part';
/** Who reserved an upload (a staff id); a dot name, which sanitizeFileName never produces for an upload. */
const OWNER_FILE = '.owner';
const ID_PATTERN = /^[A-Za-z0-9_-]{22}$/;
const WINDOWS_RESERVED = /^(con|prn|aux|nul|com[1-9]|lpt[1-9])(\..*)?$/i;

/**
 * A file name safe to store: the last path segment only, printable characters from a small set, no leading dot,
 * no Windows device name, at most 120 characters with the extension kept. Never empty.
 */
export function sanitizeFileName(name: string): string {
  const last = name.split(/[/\\]/).pop() ?? '';
  let safe = last
    .normalize('NFC')
    .replace(/[^A-Za-z0-9 ._()-]/g, '_')
    .replace(/\s+/g, ' ')
    .replace(/^[ .]+|[ .]+$/g, '');
  if (WINDOWS_RESERVED.test(safe)) safe = `_${safe}`;
  if (safe.length > 120) {
    const ext = path.extname(safe).slice(0, 16);
    safe = safe.slice(0, 120 - ext.length) + ext;
  }
  return safe.length === 0 || /^_+$/.test(safe) ? 'upload' : safe;
}

export interface UploadTarget extends IncomingFile {
  /** Where the route streams the body; renamed to its final name once the last byte arrived. */
  partPath: string;
}

export interface ResolvedFile {
  path: string;
  fileName: string;
  sizeBytes: number;
  kind: 'upload' | 'picked';
}

export interface UploadStoreOptions {
  maxBytes?: number;
  /** Total of every upload kept (finished or reserved); a reservation past it gets UPLOAD_QUOTA_EXCEEDED. */
  maxTotalBytes?: number;
  retentionMs?: number;
  now?: () => number;
}

/** Uploads on disk and picked files in memory, each under a random id; swept after the retention period. */
export class UploadStore {
  readonly maxBytes: number;
  readonly maxTotalBytes: number;
  readonly retentionMs: number;
  private readonly picked = new Map<string, { path: string; at: number; owner: string }>();
  /** Where the CLI's OS user asked main to write a file (an export), by id; never a path from a transport. */
  private readonly saveTargets = new Map<string, { path: string; owner: string }>();
  /** Declared sizes of reservations whose body has not fully arrived (this process's). */
  private readonly declared = new Map<string, number>();
  private readonly now: () => number;

  constructor(
    readonly root: string,
    options: UploadStoreOptions = {},
  ) {
    this.maxBytes = options.maxBytes ?? DEFAULT_MAX_UPLOAD_BYTES;
    this.maxTotalBytes = options.maxTotalBytes ?? DEFAULT_MAX_TOTAL_UPLOAD_BYTES;
    this.retentionMs = options.retentionMs ?? DEFAULT_UPLOAD_RETENTION_MS;
    this.now = options.now ?? Date.now;
  }

  /**
   * Makes the folder of a new upload for `owner` (the staff id of the caller); the route then streams into
   * partPath and calls complete(). Only the same owner can use the upload afterwards.
   */
  reserve(fileName: string, sizeBytes: number, owner: string): UploadTarget {
    if (sizeBytes > this.maxBytes) {
      throw new AppError('UPLOAD_TOO_LARGE', `${sizeBytes} bytes is over the upload limit of ${this.maxBytes} bytes.`, { limit: this.maxBytes });
    }
    // Reserved sizes count in full (a body still arriving will reach its declared length or be discarded).
    const kept = this.keptBytes();
    if (kept + sizeBytes > this.maxTotalBytes) {
      throw new AppError(
        'UPLOAD_QUOTA_EXCEEDED',
        `Uploads kept on this computer would exceed ${this.maxTotalBytes} bytes (${kept} in use). Import or wait for earlier uploads to be removed (after 24 hours), then try again.`,
        { limit: this.maxTotalBytes, inUse: kept },
      );
    }
    const uploadId = crypto.randomBytes(16).toString('base64url');
    const name = sanitizeFileName(fileName);
    const dir = path.join(this.root, uploadId);
    fs.mkdirSync(dir, { recursive: true, mode: 0o700 });
    fs.writeFileSync(path.join(dir, OWNER_FILE), owner, { mode: 0o600, flag: 'wx' });
    this.declared.set(uploadId, sizeBytes);
    return { uploadId, fileName: name, sizeBytes, partPath: path.join(dir, name + PART_SUFFIX) };
  }

  /** Bytes held by uploads: a reservation still arriving at its declared size, anything else at its size on disk. */
  private keptBytes(): number {
    let ids: string[];
    try {
      ids = fs.readdirSync(this.root).filter((n) => ID_PATTERN.test(n));
    } catch {
      return 0;
    }
    let total = 0;
    for (const id of ids) {
      const declared = this.declared.get(id);
      if (declared !== undefined) {
        total += declared;
        continue;
      }
      const dir = path.join(this.root, id);
      let names: string[] = [];
      try {
        names = fs.readdirSync(dir).filter((n) => n !== OWNER_FILE);
      } catch {
        // removed meanwhile
      }
      for (const n of names) total += statFile(path.join(dir, n))?.size ?? 0;
    }
    return total;
  }

  /** The target of a reservation answered by imports.upload (the id and stored name it returned). */
  targetOf(incoming: IncomingFile): UploadTarget {
    if (!ID_PATTERN.test(incoming.uploadId) || sanitizeFileName(incoming.fileName) !== incoming.fileName) {
      throw new AppError('UPLOAD_NOT_FOUND', 'That is not an upload reservation of this console.');
    }
    return { ...incoming, partPath: path.join(this.root, incoming.uploadId, incoming.fileName + PART_SUFFIX) };
  }

  /** The whole body arrived: the upload becomes usable under its final name. */
  complete(target: UploadTarget): void {
    fs.renameSync(target.partPath, target.partPath.slice(0, -PART_SUFFIX.length));
    this.declared.delete(target.uploadId);
  }

  /** Removes an upload (failed transfer, finished import); ids of picked files are forgotten. */
  discard(uploadId: string): void {
    if (!ID_PATTERN.test(uploadId)) return;
    this.picked.delete(uploadId);
    this.declared.delete(uploadId);
    fs.rmSync(path.join(this.root, uploadId), { recursive: true, force: true });
  }

  /**
   * A file the OS user named on the CLI command line for main to write (e.g. `facility-secret export --out FILE`),
   * usable by `owner` only. Only in-process code reaches this: no transport can name a path to write.
   */
  registerSaveTarget(file: string, owner: string): { targetId: string; fileName: string } {
    const resolved = path.resolve(file);
    const targetId = crypto.randomBytes(16).toString('base64url');
    this.saveTargets.set(targetId, { path: resolved, owner });
    return { targetId, fileName: path.basename(resolved) };
  }

  /** The path behind a save-target id for its owner, or SAVE_TARGET_NOT_FOUND. */
  resolveSaveTarget(targetId: string, owner: string): string {
    const target = this.saveTargets.get(targetId);
    if (!target || target.owner !== owner) throw new AppError('SAVE_TARGET_NOT_FOUND', 'There is no such file to write for you (unknown id, or another person\'s).');
    return target.path;
  }

  /**
   * A file the person picked in the open dialog (or the OS user named on the CLI command line): read where it
   * lies, never copied, usable by `owner` only.
   */
  registerPicked(file: string, owner: string): IncomingFile {
    const resolved = path.resolve(file);
    let stat: fs.Stats;
    try {
      stat = fs.statSync(resolved);
    } catch {
      throw new AppError('IMPORT_FILE_NOT_FOUND', `There is no readable file named ${path.basename(resolved)} there.`);
    }
    if (!stat.isFile()) throw new AppError('IMPORT_NOT_A_FILE', `${path.basename(resolved)} is not a regular file.`);
    const uploadId = crypto.randomBytes(16).toString('base64url');
    this.picked.set(uploadId, { path: resolved, at: this.now(), owner });
    return { uploadId, fileName: path.basename(resolved), sizeBytes: stat.size };
  }

  /**
   * The path behind an id, for its owner. Only a completed upload or a picked file of `owner` resolves; every
   * other id (unknown, someone else's, unfinished, expired) gets the same error, which names no path.
   */
  resolve(uploadId: string, owner: string): ResolvedFile {
    const notFound = () => new AppError('UPLOAD_NOT_FOUND', 'There is no such uploaded file of yours (unknown id, another person\'s upload, unfinished, or removed after the retention period). Upload it again.');
    if (!ID_PATTERN.test(uploadId)) throw notFound();
    const picked = this.picked.get(uploadId);
    if (picked) {
      if (picked.owner !== owner) throw notFound();
      const stat = statFile(picked.path);
      if (!stat) throw notFound();
      return { path: picked.path, fileName: path.basename(picked.path), sizeBytes: stat.size, kind: 'picked' };
    }
    const dir = path.join(this.root, uploadId);
    let names: string[];
    try {
      if (fs.readFileSync(path.join(dir, OWNER_FILE), 'utf8') !== owner) throw notFound();
      names = fs.readdirSync(dir).filter((n) => !n.endsWith(PART_SUFFIX) && n !== OWNER_FILE);
    } catch {
      throw notFound();
    }
    if (names.length !== 1) throw notFound();
    const file = path.join(dir, names[0]!);
    const stat = statFile(file);
    if (!stat) throw notFound();
    return { path: file, fileName: names[0]!, sizeBytes: stat.size, kind: 'upload' };
  }

  /** Whether a path is an upload of this store (so a finished import may remove it). Returns its id or null. */
  uploadIdOf(file: string): string | null {
    const relative = path.relative(this.root, file);
    const [id, ...rest] = relative.split(path.sep);
    return id && ID_PATTERN.test(id) && rest.length === 1 && !relative.startsWith('..') ? id : null;
  }

  /** Removes uploads and forgets picked files older than the retention period; returns how many went. */
  sweep(): number {
    const cutoff = this.now() - this.retentionMs;
    let removed = 0;
    for (const [id, entry] of this.picked) {
      if (entry.at < cutoff) {
        this.picked.delete(id);
        removed++;
      }
    }
    let entries: fs.Dirent[];
    try {
      entries = fs.readdirSync(this.root, { withFileTypes: true });
    } catch {
      return removed;
    }
    for (const entry of entries) {
      if (!entry.isDirectory() || !ID_PATTERN.test(entry.name)) continue;
      const dir = path.join(this.root, entry.name);
      if (fs.statSync(dir).mtimeMs < cutoff) {
        fs.rmSync(dir, { recursive: true, force: true });
        this.declared.delete(entry.name);
        removed++;
      }
    }
    return removed;
  }
}

function statFile(file: string): fs.Stats | null {
  try {
    const stat = fs.statSync(file);
    return stat.isFile() ? stat : null;
  } catch {
    return null;
  }
}

/** Copies a known file where the person chose in the save dialog; no dialog outside Electron. */
export async function saveWithDialog(dialogs: FileDialogs | undefined, file: { path: string; fileName: string }): Promise<{ saved: boolean; fileName: string }> {
  if (!dialogs) throw new AppError('DIALOG_UNAVAILABLE', 'Saving through a dialog needs the desktop app; in the browser use the download link.');
  const target = await dialogs.saveFile(file.fileName);
  if (!target) return { saved: false, fileName: file.fileName };
  await fs.promises.copyFile(file.path, target);
  return { saved: true, fileName: path.basename(target) };
}

/** The open dialog's pick, registered under an id for the staff member who picked it. */
export async function pickWithDialog(dialogs: FileDialogs | undefined, store: UploadStore, owner: string): Promise<IncomingFile | null> {
  if (!dialogs) throw new AppError('DIALOG_UNAVAILABLE', 'Picking a file through a dialog needs the desktop app; in the browser choose or drop the file.');
  const picked = await dialogs.pickFile();
  return picked ? store.registerPicked(picked, owner) : null;
}

/** The file behind an upload id for the calling staff member, or the one named error (no path in it). */
export function resolveIncoming(store: UploadStore | undefined, uploadId: string, owner: string): ResolvedFile {
  if (!store) throw new AppError('UPLOAD_NOT_FOUND', 'There is no such uploaded file of yours. Upload it again.');
  return store.resolve(uploadId, owner);
}

export interface UploadCleanupDeps {
  db: Db;
  events: Pick<EventBus, 'subscribe'>;
  uploads: UploadStore;
  log: Logger;
  sweepEveryMs?: number;
}

/**
 * Removes an upload once an import of it succeeded or was cancelled (not after a dry run, which is usually
 * followed by the real run, nor after a failure, which may be resumed), and sweeps expired uploads hourly.
 */
export function releaseFinishedUploads(deps: UploadCleanupDeps): { stop(): void } {
  const sweep = () => {
    try {
      const removed = deps.uploads.sweep();
      if (removed) deps.log.info(`removed ${removed} upload(s) past the retention period`);
    } catch (err) {
      deps.log.warn(`upload sweep failed: ${(err as Error).message}`);
    }
  };
  sweep();
  const timer = setInterval(sweep, deps.sweepEveryMs ?? 60 * 60 * 1000);
  timer.unref();
  const unsubscribe = deps.events.subscribe((message) => {
    if (message.event !== 'job.progress' || message.payload.kind !== 'import.consents') return;
    const { state, jobId } = message.payload;
    if (state !== 'succeeded' && state !== 'cancelled') return;
    const run = runFileOfJob(deps.db, jobId);
    if (!run || (state === 'succeeded' && run.dry_run === 1)) return;
    const id = deps.uploads.uploadIdOf(run.file_path);
    if (id) deps.uploads.discard(id);
  });
  return {
    stop: () => {
      clearInterval(timer);
      unsubscribe();
    },
  };
}
