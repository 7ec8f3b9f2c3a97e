// Uploads and picked files by id, on a real folder: names that cannot escape, ids that resolve only to completed
// uploads of this store, the retention sweep, and the dialogs' pick and save (dialogs faked: Electron cannot run here).
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { AppError } from '../api/errors';
import { pickWithDialog, sanitizeFileName, saveWithDialog, UploadStore, type FileDialogs } from './file-transfer';

describe('sanitizeFileName', () => {
  it.each([
    ['consents.csv', 'consents.csv'],
    ['../../etc/passwd', 'passwd'],
    ['..\\..\\Windows\\win.ini', 'win.ini'],
    ['/abs/path/x.csv', 'x.csv'],
    ['..', 'upload'],
    ['.bashrc', 'bashrc'],
    ['a\u0000b.csv', 'a_b.csv'],
    ['März 2026 (final).csv', 'M_rz 2026 (final).csv'],
    ['CON.csv', '_CON.csv'],
    ['lpt1', '_lpt1'],
    ['x.csv.', 'x.csv'],
    ['<script>.csv', '_script_.csv'],
    ['', 'upload'],
    ['///', 'upload'],
    [`${'a'.repeat(300)}.ndjson`, `${'a'.repeat(113)}.ndjson`],
  ])('%j -> %j', (input, expected) => {
    expect(sanitizeFileName(input)).toBe(expected);
  });
});

let dir: string;
let store: UploadStore;
let clock: number;
beforeEach(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'custodian-uploads-'));
  clock = Date.now();
  store = new UploadStore(path.join(dir, 'uploads'), { maxBytes: 1000, retentionMs: 60_000, now: () => clock });
});
afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

const code = (fn: () => unknown) => {
  try {
    fn();
  } catch (err) {
    return (err as AppError).code;
  }
  return 'no error';
};

function upload(name: string, content: string) {
  const target = store.reserve(name, Buffer.byteLength(content), OWNER);
  fs.writeFileSync(target.partPath, content);
  return target;
}

const OWNER = 'staff-1';

describe('UploadStore', () => {
  it('resolves an upload or a pick for its owner only, with one error that names no path', () => {
    const target = upload('mine.csv', 'a,b\n');
    store.complete(target);
    const picked = path.join(dir, 'picked.csv');
    fs.writeFileSync(picked, 'y');
    const pick = store.registerPicked(picked, OWNER);
    for (const id of [target.uploadId, pick.uploadId, 'AAAAAAAAAAAAAAAAAAAAAA']) {
      let message = '';
      try {
        store.resolve(id, 'someone-else');
      } catch (err) {
        expect((err as AppError).code).toBe('UPLOAD_NOT_FOUND');
        message = (err as AppError).message;
      }
      expect(message).not.toBe('');
      expect(message).not.toContain(dir);
    }
    expect(store.resolve(target.uploadId, OWNER).fileName).toBe('mine.csv');
    expect(store.resolve(pick.uploadId, OWNER).path).toBe(picked);
  });

  it('keeps who reserved an upload on disk, beside it, where no upload name can land', () => {
    const target = upload('.owner', 'x');
    store.complete(target);
    expect(target.fileName).not.toBe('.owner');
    expect(fs.readFileSync(path.join(store.root, target.uploadId, '.owner'), 'utf8')).toBe(OWNER);
  });

  it('resolves a completed upload by id, never an unfinished one', () => {
    const target = upload('../x.csv', 'a,b\n');
    expect(path.dirname(path.dirname(target.partPath))).toBe(store.root);
    expect(code(() => store.resolve(target.uploadId, OWNER))).toBe('UPLOAD_NOT_FOUND');
    store.complete(target);
    expect(store.resolve(target.uploadId, OWNER)).toEqual({ path: path.join(store.root, target.uploadId, 'x.csv'), fileName: 'x.csv', sizeBytes: 4, kind: 'upload' });
    expect(store.uploadIdOf(store.resolve(target.uploadId, OWNER).path)).toBe(target.uploadId);
  });

  it.each(['../uploads', 'AAAAAAAAAAAAAAAAAAAAAA', '../../../../../../etc', 'a'.repeat(23), ''])('does not resolve %j', (id) => {
    expect(code(() => store.resolve(id, OWNER))).toBe('UPLOAD_NOT_FOUND');
  });

  it('refuses a reservation over the limit, and a forged reservation', () => {
    expect(code(() => store.reserve('big.csv', 1001, OWNER))).toBe('UPLOAD_TOO_LARGE');
    expect(code(() => store.targetOf({ uploadId: '../../etc/passwd12345', fileName: 'x', sizeBytes: 1 }))).toBe('UPLOAD_NOT_FOUND');
    expect(code(() => store.targetOf({ uploadId: 'AAAAAAAAAAAAAAAAAAAAAA', fileName: '../x.csv', sizeBytes: 1 }))).toBe('UPLOAD_NOT_FOUND');
  });

  it('caps the total kept, counting reservations still arriving, and frees room as uploads go', () => {
    const small = new UploadStore(path.join(dir, 'quota'), { maxBytes: 100, maxTotalBytes: 150 });
    const a = small.reserve('a.csv', 100, OWNER);
    fs.writeFileSync(a.partPath, 'x'.repeat(10)); // still arriving: counts at its declared 100
    expect(code(() => small.reserve('b.csv', 60, 'someone-else'))).toBe('UPLOAD_QUOTA_EXCEEDED');
    const b = small.reserve('b.csv', 50, OWNER);
    fs.writeFileSync(b.partPath, 'y'.repeat(50));
    small.complete(b);
    expect(code(() => small.reserve('c.csv', 1, OWNER))).toBe('UPLOAD_QUOTA_EXCEEDED');
    small.discard(a.uploadId);
    expect(small.reserve('c.csv', 100, OWNER).fileName).toBe('c.csv');
  });

  it('knows only its own uploads as uploads', () => {
    expect(store.uploadIdOf(path.join(dir, 'elsewhere.csv'))).toBeNull();
    expect(store.uploadIdOf(path.join(store.root, 'AAAAAAAAAAAAAAAAAAAAAA', 'sub', 'x.csv'))).toBeNull();
  });

  it('sweeps uploads and picks older than the retention period, and keeps newer ones', () => {
    const old = upload('old.csv', 'x');
    store.complete(old);
    const picked = path.join(dir, 'picked.csv');
    fs.writeFileSync(picked, 'y');
    const pick = store.registerPicked(picked, OWNER);
    fs.utimesSync(path.join(store.root, old.uploadId), new Date(clock - 120_000), new Date(clock - 120_000));
    clock += 61_000;
    const fresh = upload('new.csv', 'z');
    fs.utimesSync(path.join(store.root, fresh.uploadId), new Date(clock), new Date(clock));
    expect(store.sweep()).toBe(2);
    expect(fs.existsSync(path.join(store.root, old.uploadId))).toBe(false);
    expect(fs.existsSync(path.join(store.root, fresh.uploadId))).toBe(true);
    expect(code(() => store.resolve(pick.uploadId, OWNER))).toBe('UPLOAD_NOT_FOUND');
    expect(fs.existsSync(picked)).toBe(true);
  });
});

describe('dialogs', () => {
  const fake = (picked: string | null, saveTo: string | null) => {
    const calls: string[] = [];
    const dialogs: FileDialogs = {
      pickFile: async () => (calls.push('pick'), picked),
      saveFile: async (name) => (calls.push(`save ${name}`), saveTo),
    };
    return { dialogs, calls };
  };

  it('registers a picked file under an id, reading it where it lies', async () => {
    const file = path.join(dir, 'roster.csv');
    fs.writeFileSync(file, 'a,b\n');
    const picked = await pickWithDialog(fake(file, null).dialogs, store, OWNER);
    expect(picked).toMatchObject({ fileName: 'roster.csv', sizeBytes: 4 });
    expect(JSON.stringify(picked)).not.toContain(dir);
    expect(store.resolve(picked!.uploadId, OWNER)).toMatchObject({ path: file, kind: 'picked' });
    expect(await pickWithDialog(fake(null, null).dialogs, store, OWNER)).toBeNull();
  });

  it('saves a copy where the person chose, or nothing when dismissed', async () => {
    const src = path.join(dir, 'run-1-rejects.csv');
    fs.writeFileSync(src, 'row,reason\n');
    const to = path.join(dir, 'chosen.csv');
    const { dialogs, calls } = fake(null, to);
    expect(await saveWithDialog(dialogs, { path: src, fileName: 'run-1-rejects.csv' })).toEqual({ saved: true, fileName: 'chosen.csv' });
    expect(fs.readFileSync(to, 'utf8')).toBe('row,reason\n');
    expect(calls).toEqual(['save run-1-rejects.csv']);
    expect(await saveWithDialog(fake(null, null).dialogs, { path: src, fileName: 'x' })).toEqual({ saved: false, fileName: 'x' });
  });

  it('says a dialog needs the desktop app when there is none', async () => {
    await expect(pickWithDialog(undefined, store, OWNER)).rejects.toMatchObject({ code: 'DIALOG_UNAVAILABLE' });
    await expect(saveWithDialog(undefined, { path: 'x', fileName: 'x' })).rejects.toMatchObject({ code: 'DIALOG_UNAVAILABLE' });
  });
});
