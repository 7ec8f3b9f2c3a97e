// Electron's open and save dialogs behind the services' FileDialogs: the picked or chosen path stays in main (the
// page gets an upload id or a "saved" answer). Electron is only referenced by type; file-dialogs.test.ts uses fakes.
import path from 'node:path';
import type { BaseWindow, Dialog, OpenDialogOptions, SaveDialogOptions } from 'electron';
import type { FileDialogs } from '../runtime/file-transfer';

export type DialogApi = Pick<Dialog, 'showOpenDialog' | 'showSaveDialog'>;

export const IMPORT_FILE_FILTERS: OpenDialogOptions['filters'] = [
  { name: 'Import files (CSV, FHIR JSON / NDJSON)', extensions: ['csv', 'txt', 'json', 'ndjson', 'jsonl'] },
  { name: 'All files', extensions: ['*'] },
];

/**
 * The dialogs, modal to the window that asked (the focused one) when there is one. `defaultDir` is where a save
 * dialog opens (the Downloads folder).
 */
export function createFileDialogs(dialog: DialogApi, parent: () => BaseWindow | null, defaultDir: () => string): FileDialogs {
  return {
    async pickFile() {
      const options: OpenDialogOptions = { title: 'Choose a file to import', properties: ['openFile'], filters: IMPORT_FILE_FILTERS };
      const win = parent();
      const result = win ? await dialog.showOpenDialog(win, options) : await dialog.showOpenDialog(options);
      return result.canceled ? null : (result.filePaths[0] ?? null);
    },
    async saveFile(fileName) {
      // Only a base name is offered as the default: never a path from the data folder.
      const options: SaveDialogOptions = { title: 'Save a copy', defaultPath: path.join(defaultDir(), path.basename(fileName)), properties: ['createDirectory', 'showOverwriteConfirmation'] };
      const win = parent();
      const result = win ? await dialog.showSaveDialog(win, options) : await dialog.showSaveDialog(options);
      return result.canceled || !result.filePath ? null : result.filePath;
    },
  };
}
