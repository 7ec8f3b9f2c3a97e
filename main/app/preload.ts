// Preload for the console window (sandboxed, context-isolated): exposes the typed bridge as window.custodian
// and nothing else. Bundled to build/electron/preload.cjs, which may require only 'electron'.
import { contextBridge, ipcRenderer } from 'electron';
import { createBridge } from './bridge';

contextBridge.exposeInMainWorld('custodian', createBridge(ipcRenderer));
