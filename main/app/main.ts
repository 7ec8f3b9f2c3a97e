// Electron main process: the desktop shell around the shared services. Opens the data folder, starts the same
// services as browser mode and the CLI, serves the renderer over app://, and wires the one IPC channel.
import path from 'node:path';
import { app, BrowserWindow, dialog, ipcMain, protocol, safeStorage, session, shell } from 'electron';
import { APP_NAME } from '../runtime/config';
import { startServices, type Services } from '../compose/services';
import { createAppProtocolHandler } from './app-protocol';
import { createFileDialogs } from './file-dialogs';
import { forwardPushEvents, registerApiHandler } from './ipc';
import { pathRedactor, withoutLocalPaths } from '../runtime/answer-paths';
import { appLayout, chooseDataDir, type AppLayout } from './layout';
import { createSafeOpenExternal, hardenSession, hardenWebContents } from './security';
import { describeStartupFailure, type StartupFailure } from './startup-failure';
import { APP_ENTRY_URL, APP_SCHEME } from './url-policy';

// Before 'ready': app:// must be a standard, secure scheme for relative URLs, a real origin and a secure context.
protocol.registerSchemesAsPrivileged([{ scheme: APP_SCHEME, privileges: { standard: true, secure: true, supportFetchAPI: true, codeCache: true } }]);
app.enableSandbox();

// The same folder the CLI and browser mode use by default (<appData>/Custodian), even in dev where the
// package name is lower-case. With --data-dir / CUSTODIAN_HOME the Chromium profile moves inside that folder,
// so the single-instance lock below means "one console per data folder".
app.setPath('userData', path.join(app.getPath('appData'), APP_NAME));
const { dataDir, overridden } = chooseDataDir(process.argv, process.env, app.getPath('userData'));
if (overridden) app.setPath('userData', path.join(dataDir, 'electron-profile'));

let services: Services | null = null;
let layout: AppLayout | null = null;
let quitState: 'running' | 'stopping' | 'stopped' = 'running';
const SHUTDOWN_TIMEOUT_MS = 20_000;

// Only the scheme is logged: a link's path or query could name a patient.
const openExternal = createSafeOpenExternal(shell, (url) => services?.log.warn(`refused to open a link with scheme ${schemeOf(url)}`));
// Every webContents, including any Chromium creates on its own, gets the navigation/window/webview guards.
app.on('web-contents-created', (_event, contents) => hardenWebContents(contents, openExternal));

function schemeOf(url: string): string {
  return /^([a-z][a-z0-9+.-]{0,30}):/i.exec(url.trim())?.[1]?.toLowerCase() ?? '(none)';
}

function fail(failure: StartupFailure): void {
  dialog.showErrorBox(failure.title, failure.message);
  app.exit(1);
}

function createWindow(parts: AppLayout): BrowserWindow {
  const win = new BrowserWindow({
    width: 1360,
    height: 860,
    minWidth: 960,
    minHeight: 600,
    title: 'Custodian',
    show: false,
    backgroundColor: '#ffffff',
    webPreferences: {
      preload: parts.preloadPath, // eng-disable PRELOAD_JS_CHECK: reviewed; sandboxed, exposes only invoke and subscribe (bridge.ts)
      contextIsolation: true,
      sandbox: true,
      nodeIntegration: false,
      nodeIntegrationInWorker: false,
      nodeIntegrationInSubFrames: false,
      webSecurity: true,
      allowRunningInsecureContent: false,
      experimentalFeatures: false,
      webviewTag: false,
      navigateOnDragDrop: false,
      spellcheck: false,
      safeDialogs: true,
      // Middle-click (auxclick) would otherwise bypass the click handlers; new windows are denied anyway.
      disableBlinkFeatures: 'Auxclick',
      devTools: !app.isPackaged,
    },
  });
  win.once('ready-to-show', () => win.show());
  win.webContents.on('render-process-gone', (_event, details) => services?.log.error(`renderer process gone: ${details.reason}`));
  void win.loadURL(APP_ENTRY_URL);
  return win;
}

async function start(): Promise<void> {
  await app.whenReady();
  layout = appLayout({ isPackaged: app.isPackaged, appPath: app.getAppPath(), resourcesPath: process.resourcesPath, bundleDir: __dirname });
  // Bundled to CommonJS there is no import.meta.url: tell the services where the shipped parts are.
  process.env.CUSTODIAN_ARTIFACTS_DIR ??= layout.artifactsDir;

  hardenSession(session.defaultSession);
  protocol.handle(APP_SCHEME, createAppProtocolHandler(layout.rendererDir));

  try {
    services = await startServices({
      dataDir,
      runtime: 'electron',
      migrationsDir: layout.migrationsDir,
      workerEntry: layout.workerEntry,
      // The OS keychain seals the database key (encryption at rest) and a real network's signing key here, not an
      // env passphrase; CUSTODIAN_DB_PASSPHRASE, when set, also wraps the database key so the CLI can open the folder.
      keySealer: safeStorage,
      dialogs: createFileDialogs(dialog, () => BrowserWindow.getFocusedWindow(), () => app.getPath('downloads')),
    });
  } catch (err) {
    // Never open a database the checks refused (edited migration, newer schema, bad config).
    return fail(describeStartupFailure(err, dataDir));
  }

  // Pages get no absolute paths (the data folder, the home folder) in any answer.
  registerApiHandler(ipcMain, withoutLocalPaths(services.dispatch, services.dataDir), services.log);
  const redactPaths = pathRedactor(services.dataDir);
  const events = services.events;
  forwardPushEvents({ subscribe: (listener) => events.subscribe((message) => listener(redactPaths(message))) }, () => BrowserWindow.getAllWindows().map((w) => w.webContents));
  createWindow(layout);
}

if (!app.requestSingleInstanceLock()) {
  // Another console already has this data folder (its job runner and chain node): hand over to it.
  app.quit();
} else {
  app.on('second-instance', () => {
    const [win] = BrowserWindow.getAllWindows();
    if (!win) return;
    if (win.isMinimized()) win.restore();
    win.focus();
  });

  app.on('window-all-closed', () => {
    if (process.platform !== 'darwin') app.quit();
  });

  app.on('activate', () => {
    if (services && layout && BrowserWindow.getAllWindows().length === 0) createWindow(layout);
  });

  // Stop jobs, the chain node (by its PID, saving its state) and the database before Electron exits.
  app.on('before-quit', (event) => {
    if (!services || quitState === 'stopped') return;
    event.preventDefault();
    if (quitState === 'stopping') return;
    quitState = 'stopping';
    const running = services;
    // A stuck shutdown must not keep the app open for ever; anvil is SIGKILLed after its own grace period anyway.
    const giveUp = new Promise<void>((resolve) => setTimeout(() => {
      running.log.warn(`shutdown took over ${SHUTDOWN_TIMEOUT_MS / 1000} s; quitting anyway`);
      resolve();
    }, SHUTDOWN_TIMEOUT_MS).unref());
    void Promise.race([running.stop(), giveUp])
      .catch((err: unknown) => running.log.error(`shutdown failed: ${err instanceof Error ? err.message : String(err)}`))
      .finally(() => {
        quitState = 'stopped';
        app.quit();
      });
  });

  process.on('unhandledRejection', (reason) => {
    services?.log.error(`unhandled rejection in main: ${reason instanceof Error ? reason.message : String(reason)}`);
  });

  start().catch((err: unknown) => fail(describeStartupFailure(err, dataDir)));
}
