// What e2e/electron.spec.ts's dialog test checks in a real window, run here in Node (the Electron binary cannot be
// downloaded on this machine): the desktop app's file dialogs (createFileDialogs over a stand-in for Electron's
// dialog module) wired into the real services as main.ts wires them, called through the dispatcher as Electron's
// IPC calls it. A picked file reaches the page only as an id bound to the staff member who picked it; another
// staff member holding that id gets the same UPLOAD_NOT_FOUND as for an id that never existed, on every channel that
// takes one; a dismissed dialog answers null; browser mode has no dialog at all.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { BaseWindow } from 'electron';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Principal } from '../api/permissions';
import { silentLogger } from '../runtime/log';
import { startServices, type Services } from '../compose/services';
import { createFileDialogs, type DialogApi } from './file-dialogs';

const alice: Principal = { id: 'mgr-alice', name: 'Alice Manager', role: 'records_manager' };
const mallory: Principal = { id: 'mgr-mallory', name: 'Mallory Manager', role: 'records_manager' };
const HEADER = 'external_id,facility,mrn,patient_name,birth_date,grantee,grantee_kind,decision,purpose,category,period_start,period_end,document_hash';

let dir: string;
let services: Services;
let picked: string | null = null;
const focused = { id: 'focused-window' } as unknown as BaseWindow;
const dialogCalls: { parent: unknown; options: { properties?: string[] } }[] = [];

// Electron's dialog module as main.ts hands it over: answers what the person "chose" (`picked`), or a dismissal.
const dialog = {
  showOpenDialog: async (parent: unknown, options: { properties?: string[] }) => {
    dialogCalls.push({ parent, options });
    return picked ? { canceled: false, filePaths: [picked] } : { canceled: true, filePaths: [] };
  },
  showSaveDialog: async () => ({ canceled: true }),
} as unknown as DialogApi;

const call = (channel: string, input: unknown, who: Principal) => services.dispatch(channel, input, { transport: 'electron', principal: who });

beforeAll(async () => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'custodian-dialog-binding-'));
  services = await startServices({
    dataDir: path.join(dir, 'data'),
    runtime: 'electron',
    logger: silentLogger,
    config: { chain: { mode: 'none' } },
    sync: 'manual',
    dialogs: createFileDialogs(dialog, () => focused, () => path.join(dir, 'Downloads')),
  });
}, 60_000);
afterAll(async () => {
  await services?.stop();
  fs.rmSync(dir, { recursive: true, force: true });
});

describe('files through the desktop app’s dialogs, by id only', () => {
  it('gives the picker an id (no path), modal to the focused window, and the file previews for them', async () => {
    picked = path.join(dir, 'outside', 'consents.csv');
    fs.mkdirSync(path.dirname(picked), { recursive: true });
    fs.writeFileSync(picked, `${HEADER}\nX-1,GH01,MRN-D1,"Roe, Jane",1980-01-01,1234567893,npi,permit,TREAT,general,2024-01-01,,\n`);
    const r = await call('imports.pickFile', {}, alice);
    expect(r.ok, JSON.stringify(r)).toBe(true);
    const incoming = (r as { value: { uploadId: string; fileName: string } }).value;
    expect(incoming).toMatchObject({ fileName: 'consents.csv' });
    expect(JSON.stringify(r)).not.toContain(dir);
    expect(dialogCalls.at(-1)).toMatchObject({ parent: focused, options: { properties: ['openFile'] } });
    const preview = await call('imports.preview', { uploadId: incoming.uploadId }, alice);
    expect(preview.ok, JSON.stringify(preview)).toBe(true);
    expect(JSON.stringify(preview)).not.toContain(dir);
  });

  it('refuses the id to another staff member exactly as an unknown id, on every channel that takes one', async () => {
    picked = path.join(dir, 'outside', 'consents.csv');
    const mine = (await call('imports.pickFile', {}, alice)) as { ok: true; value: { uploadId: string } };
    const unknown = 'AAAAAAAAAAAAAAAAAAAAAA';
    for (const [channel, input] of [
      ['imports.preview', (uploadId: string) => ({ uploadId })],
      ['imports.start', (uploadId: string) => ({ uploadId, dryRun: true })],
      ['credentials.import', (uploadId: string) => ({ uploadId })],
      ['claims.import', (uploadId: string) => ({ uploadId })],
    ] as const) {
      const stolen = await call(channel, input(mine.value.uploadId), mallory);
      const never = await call(channel, input(unknown), mallory);
      expect(stolen.ok ? 'ok' : stolen.error.code, channel).toBe('UPLOAD_NOT_FOUND');
      // Same answer, so the id's existence does not leak either (the ids differ only in the message's echo of it).
      expect(stolen.ok ? null : stolen.error.message.replace(mine.value.uploadId, '<id>')).toBe(never.ok ? null : never.error.message.replace(unknown, '<id>'));
    }
  });

  it('answers null when the dialog is dismissed, and audits the pick either way', async () => {
    picked = null;
    const calls = dialogCalls.length;
    expect(await call('imports.pickFile', {}, alice)).toEqual({ ok: true, value: null });
    expect(dialogCalls.length).toBe(calls + 1);
    const entries = services.db.prepare(`SELECT actor_id, details FROM audit_log WHERE action = 'imports.pickFile' ORDER BY id`).all() as { actor_id: string; details: string }[];
    expect(entries.map((e) => [e.actor_id, JSON.parse(e.details).picked])).toEqual([
      [alice.id, true],
      [alice.id, true],
      [alice.id, false],
    ]);
  });
});

describe('browser mode', () => {
  it('has no dialog: picking is refused by name', async () => {
    const browserDir = fs.mkdtempSync(path.join(os.tmpdir(), 'custodian-dialog-browser-'));
    const browser = await startServices({ dataDir: browserDir, runtime: 'browser', logger: silentLogger, config: { chain: { mode: 'none' } }, sync: 'manual' });
    try {
      const r = await browser.dispatch('imports.pickFile', {}, { transport: 'browser', principal: alice });
      expect(r.ok ? 'ok' : r.error.code).toBe('DIALOG_UNAVAILABLE');
    } finally {
      await browser.stop();
      fs.rmSync(browserDir, { recursive: true, force: true });
    }
  }, 60_000);
});
