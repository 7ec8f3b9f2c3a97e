// Every Electron security guard in one place: navigation and redirects, new windows, <webview>, permissions,
// the CSP header, the request allow-list and openExternal. Decisions come from url-policy.ts; Electron is only
// referenced by type, so security.test.ts drives these functions with small fakes.
import type { Session, Shell, WebContents } from 'electron';
import { isAllowedRequestUrl, navigationVerdict, safeExternalUrl, withContentSecurityPolicy } from './url-policy';

export type OpenExternal = (url: string) => Promise<boolean>;

/** The only way the app hands a URL to the operating system: http(s) only, never file:, javascript: or custom handlers. */
export function createSafeOpenExternal(shell: Pick<Shell, 'openExternal'>, onRefused?: (url: string) => void): OpenExternal {
  return async (url) => {
    const safe = safeExternalUrl(url);
    if (safe === null) {
      onRefused?.(url);
      return false;
    }
    await shell.openExternal(safe); // eng-disable OPEN_EXTERNAL_JS_CHECK: reviewed; only http(s) URLs from safeExternalUrl reach here
    return true;
  };
}

export type GuardedContents = Pick<WebContents, 'on' | 'setWindowOpenHandler'>;

/**
 * Keeps a webContents on the app origin: a user's click on a web link goes to the system browser, anything else
 * that would leave (redirects, frames, script-driven navigations to other schemes) is stopped; no new windows,
 * no <webview>.
 */
export function hardenWebContents(contents: GuardedContents, openExternal: OpenExternal): void {
  contents.on('will-navigate', (event) => {
    const verdict = navigationVerdict(event.url);
    if (verdict === 'allow') return;
    event.preventDefault();
    if (verdict === 'open-external') void openExternal(event.url);
  });
  // Subframes and redirects never open anything outside: they are not a person's click.
  contents.on('will-frame-navigate', (event) => {
    if (navigationVerdict(event.url) !== 'allow') event.preventDefault();
  });
  contents.on('will-redirect', (event) => {
    if (navigationVerdict(event.url) !== 'allow') event.preventDefault();
  });
  contents.setWindowOpenHandler(({ url }) => {
    if (navigationVerdict(url) === 'open-external') void openExternal(url);
    return { action: 'deny' };
  });
  contents.on('will-attach-webview', (event) => {
    event.preventDefault();
  });
}

export type GuardedSession = Pick<Session, 'setPermissionRequestHandler' | 'setPermissionCheckHandler' | 'setDevicePermissionHandler'> & {
  webRequest: Pick<Session['webRequest'], 'onBeforeRequest' | 'onHeadersReceived'>;
};

/**
 * Session-wide: every permission (camera, notifications, clipboard read, HID, openExternal …) is denied, every
 * response carries the app CSP, and any request that is not the app itself (http, https, file, ws …) is cancelled.
 */
export function hardenSession(ses: GuardedSession): void {
  ses.setPermissionRequestHandler((_contents, _permission, callback) => callback(false));
  ses.setPermissionCheckHandler(() => false);
  ses.setDevicePermissionHandler(() => false);
  ses.webRequest.onBeforeRequest((details, callback) => callback({ cancel: !isAllowedRequestUrl(details.url) }));
  ses.webRequest.onHeadersReceived((details, callback) => callback({ responseHeaders: withContentSecurityPolicy(details.responseHeaders) }));
}
