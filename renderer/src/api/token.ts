// The browser-mode session token: `custodian serve` prints a URL with ?token=…; we keep it in sessionStorage
// (so a reload still works, and it dies with the tab) and remove it from the address bar at once.

const STORAGE_KEY = 'custodian.session-token';

/** Reads the token from the URL (moving it to sessionStorage) or, after a reload, from sessionStorage. */
export function takeSessionToken(win: Window = window): string | null {
  const url = new URL(win.location.href);
  const fromUrl = url.searchParams.get('token');
  if (fromUrl) {
    try {
      win.sessionStorage.setItem(STORAGE_KEY, fromUrl);
    } catch {
      // Storage can be disabled; the token still works for this page load.
    }
    url.searchParams.delete('token');
    win.history.replaceState(win.history.state, '', `${url.pathname}${url.search}${url.hash}`);
    return fromUrl;
  }
  try {
    return win.sessionStorage.getItem(STORAGE_KEY);
  } catch {
    return null;
  }
}
