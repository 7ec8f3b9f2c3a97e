// The dialogs through a fake of Electron's dialog module (Electron cannot launch here): modal to the asking
// window, dismissals answered as null, and a save dialog that proposes only the file's base name.
import { describe, expect, it } from 'vitest';
import type { BaseWindow } from 'electron';
import { createFileDialogs, type DialogApi } from './file-dialogs';

function fakeDialog(answer: { open?: { canceled: boolean; filePaths: string[] }; save?: { canceled: boolean; filePath?: string } }) {
  const calls: { kind: 'open' | 'save'; withWindow: boolean; options: Record<string, unknown> }[] = [];
  const record = (kind: 'open' | 'save', args: unknown[]) => {
    const withWindow = args.length === 2;
    calls.push({ kind, withWindow, options: (withWindow ? args[1] : args[0]) as Record<string, unknown> });
  };
  const dialog = {
    showOpenDialog: async (...args: unknown[]) => (record('open', args), answer.open ?? { canceled: true, filePaths: [] }),
    showSaveDialog: async (...args: unknown[]) => (record('save', args), answer.save ?? { canceled: true }),
  } as unknown as DialogApi;
  return { dialog, calls };
}

const win = {} as BaseWindow;

describe('createFileDialogs', () => {
  it('returns the picked path to main, modal to the asking window', async () => {
    const { dialog, calls } = fakeDialog({ open: { canceled: false, filePaths: ['/home/ada/consents.csv'] } });
    expect(await createFileDialogs(dialog, () => win, () => '/home/ada/Downloads').pickFile()).toBe('/home/ada/consents.csv');
    expect(calls).toEqual([{ kind: 'open', withWindow: true, options: expect.objectContaining({ properties: ['openFile'] }) }]);
  });

  it('answers null when the open dialog is dismissed, with or without a window', async () => {
    const { dialog, calls } = fakeDialog({ open: { canceled: true, filePaths: [] } });
    expect(await createFileDialogs(dialog, () => null, () => '/tmp').pickFile()).toBeNull();
    expect(calls[0]!.withWindow).toBe(false);
  });

  it('proposes the base name in the downloads folder and returns the chosen path', async () => {
    const { dialog, calls } = fakeDialog({ save: { canceled: false, filePath: '/home/ada/Desktop/rejects.csv' } });
    const dialogs = createFileDialogs(dialog, () => win, () => '/home/ada/Downloads');
    expect(await dialogs.saveFile('../../secret/run-3-rejects.csv')).toBe('/home/ada/Desktop/rejects.csv');
    expect(calls[0]!.options.defaultPath).toBe('/home/ada/Downloads/run-3-rejects.csv');
  });

  it('answers null when the save dialog is dismissed', async () => {
    const { dialog } = fakeDialog({ save: { canceled: true, filePath: '' } });
    expect(await createFileDialogs(dialog, () => win, () => '/tmp').saveFile('x.ndjson')).toBeNull();
  });
});
