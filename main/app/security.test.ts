// Drives the guards through small fakes of webContents and session: the Electron objects are only types there.
import { describe, expect, it, vi } from 'vitest';
import { createSafeOpenExternal, hardenSession, hardenWebContents, type GuardedContents, type GuardedSession } from './security';
import { APP_CONTENT_SECURITY_POLICY } from './url-policy';

type Listener = (...args: unknown[]) => void;

function fakeContents() {
  const listeners = new Map<string, Listener>();
  let windowOpenHandler: ((details: { url: string }) => { action: string }) | null = null;
  const contents = {
    on(event: string, listener: Listener) {
      listeners.set(event, listener);
      return contents;
    },
    setWindowOpenHandler(handler: (details: { url: string }) => { action: string }) {
      windowOpenHandler = handler;
    },
  };
  const fire = (event: string, url: string) => {
    const e = { url, defaultPrevented: false, preventDefault: () => (e.defaultPrevented = true) };
    const listener = listeners.get(event);
    if (!listener) throw new Error(`no ${event} listener`);
    listener(e, url);
    return e.defaultPrevented;
  };
  return {
    contents: contents as unknown as GuardedContents,
    events: () => [...listeners.keys()].sort(),
    navigate: (url: string) => fire('will-navigate', url),
    frameNavigate: (url: string) => fire('will-frame-navigate', url),
    redirect: (url: string) => fire('will-redirect', url),
    attachWebview: () => fire('will-attach-webview', 'about:blank'),
    open: (url: string) => windowOpenHandler!({ url }),
  };
}

describe('hardenWebContents', () => {
  const setup = () => {
    const openExternal = vi.fn(async () => true);
    const fake = fakeContents();
    hardenWebContents(fake.contents, openExternal);
    return { ...fake, openExternal };
  };

  it('guards every way out', () => {
    expect(setup().events()).toEqual(['will-attach-webview', 'will-frame-navigate', 'will-navigate', 'will-redirect']);
  });

  it('lets the app navigate within its own origin', () => {
    const { navigate, frameNavigate, redirect, openExternal } = setup();
    expect(navigate('app://custodian/index.html#/imports')).toBe(false);
    expect(frameNavigate('app://custodian/index.html')).toBe(false);
    expect(redirect('app://custodian/index.html')).toBe(false);
    expect(openExternal).not.toHaveBeenCalled();
  });

  it.each([
    ['https://www.hl7.org/fhir/', true],
    ['http://intranet.example/', true],
    ['file:///etc/passwd', false],
    ['javascript:alert(1)', false],
    ['data:text/html,<h1>phish</h1>', false],
    ['app://evil/index.html', false],
    ['smb://fileserver/share', false],
  ])('stops a top-level navigation to %s (system browser: %s)', (url, external) => {
    const { navigate, openExternal } = setup();
    expect(navigate(url)).toBe(true);
    if (external) expect(openExternal).toHaveBeenCalledWith(url);
    else expect(openExternal).not.toHaveBeenCalled();
  });

  it.each(['https://evil.example/', 'file:///etc/passwd', 'javascript:alert(1)'])('stops redirects and frame navigations to %s without opening anything', (url) => {
    const { redirect, frameNavigate, openExternal } = setup();
    expect(redirect(url)).toBe(true);
    expect(frameNavigate(url)).toBe(true);
    expect(openExternal).not.toHaveBeenCalled();
  });

  it('denies every new window; only http(s) links go to the system browser', () => {
    const { open, openExternal } = setup();
    expect(open('https://example.org/help')).toEqual({ action: 'deny' });
    expect(openExternal).toHaveBeenCalledWith('https://example.org/help');
    openExternal.mockClear();
    for (const url of ['app://custodian/index.html', 'file:///C:/x.exe', 'javascript:alert(1)', 'about:blank', '']) {
      expect(open(url)).toEqual({ action: 'deny' });
    }
    expect(openExternal).not.toHaveBeenCalled();
  });

  it('refuses to attach any <webview>', () => {
    expect(setup().attachWebview()).toBe(true);
  });
});

describe('createSafeOpenExternal', () => {
  it('hands only normalised http(s) URLs to the shell', async () => {
    const shell = { openExternal: vi.fn(async () => undefined) };
    const refused = vi.fn();
    const open = createSafeOpenExternal(shell, refused);
    expect(await open('https://example.org/a b')).toBe(true);
    expect(shell.openExternal).toHaveBeenCalledWith('https://example.org/a%20b');
    for (const url of ['file:///etc/passwd', 'javascript:alert(1)', 'ms-msdt:/id x', 'https://u:p@example.org/', '\\\\server\\share']) {
      expect(await open(url)).toBe(false);
    }
    expect(shell.openExternal).toHaveBeenCalledTimes(1);
    expect(refused).toHaveBeenCalledTimes(5);
  });
});

describe('hardenSession', () => {
  function fakeSession() {
    const handlers: Record<string, (...args: never[]) => unknown> = {};
    const record = (name: string) => (handler: (...args: never[]) => unknown) => {
      handlers[name] = handler;
    };
    const ses = {
      setPermissionRequestHandler: record('request'),
      setPermissionCheckHandler: record('check'),
      setDevicePermissionHandler: record('device'),
      webRequest: { onBeforeRequest: record('beforeRequest'), onHeadersReceived: record('headers') },
    };
    hardenSession(ses as unknown as GuardedSession);
    return handlers as Record<string, (...args: unknown[]) => unknown>;
  }

  it('denies every permission request and check', () => {
    const h = fakeSession();
    for (const permission of ['media', 'geolocation', 'notifications', 'openExternal', 'clipboard-read', 'fullscreen', 'unknown']) {
      const callback = vi.fn();
      h.request!({}, permission, callback, {});
      expect(callback).toHaveBeenCalledWith(false);
      expect(h.check!(null, permission, 'app://custodian', {})).toBe(false);
    }
    expect(h.device!({ deviceType: 'usb', origin: 'app://custodian' })).toBe(false);
  });

  it('cancels every request that is not the app itself', () => {
    const h = fakeSession();
    const verdict = (url: string) => {
      const callback = vi.fn();
      h.beforeRequest!({ url }, callback);
      return callback.mock.calls[0]![0];
    };
    expect(verdict('app://custodian/assets/index.js')).toEqual({ cancel: false });
    expect(verdict('https://cdn.example/lib.js')).toEqual({ cancel: true });
    expect(verdict('http://127.0.0.1:8545/')).toEqual({ cancel: true });
    expect(verdict('file:///etc/passwd')).toEqual({ cancel: true });
  });

  it('puts the app CSP on every response', () => {
    const h = fakeSession();
    const callback = vi.fn();
    h.headers!({ responseHeaders: { 'Content-Security-Policy': ['default-src *'] } }, callback);
    expect(callback).toHaveBeenCalledWith({ responseHeaders: { 'Content-Security-Policy': [APP_CONTENT_SECURITY_POLICY] } });
  });
});
