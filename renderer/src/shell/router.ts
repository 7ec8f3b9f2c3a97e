// Hash routing (#/dashboard): works the same from file:// under Electron and over HTTP, needs no server routes.
// A screen may use a second segment and a query (#/settings/staff, #/audit?action=auth.login): both stay in the
// address, so the console keeps its place across a lock, a reload or the back button.
import { useEffect, useState } from 'react';

export interface Location {
  /** The screen id, '' for the root. */
  page: string;
  /** The part after the screen id, e.g. 'staff' in #/settings/staff; '' when absent. */
  sub: string;
  query: URLSearchParams;
}

export function parseHash(hash: string): Location {
  const raw = hash.replace(/^#\/?/, '');
  const q = raw.indexOf('?');
  const path = q === -1 ? raw : raw.slice(0, q);
  const [page = '', sub = ''] = path.split('/');
  return { page, sub, query: new URLSearchParams(q === -1 ? '' : raw.slice(q + 1)) };
}

function readLocation(): Location {
  return parseHash(window.location.hash);
}

/** The current screen, sub-view and query; updates on every hash change. */
export function useLocation(): Location {
  const [location, setLocation] = useState(readLocation);
  useEffect(() => {
    const onChange = (): void => setLocation(readLocation());
    window.addEventListener('hashchange', onChange);
    return () => window.removeEventListener('hashchange', onChange);
  }, []);
  return location;
}

/** The current screen id from the address, '' for the root. */
export function useRoute(): string {
  return useLocation().page;
}

export function hrefFor(id: string, sub?: string, query?: Record<string, string | undefined>): string {
  const params = new URLSearchParams();
  for (const [k, v] of Object.entries(query ?? {})) if (v !== undefined && v !== '') params.set(k, v);
  const search = params.toString();
  return `#/${id}${sub ? `/${sub}` : ''}${search ? `?${search}` : ''}`;
}

/** Goes to a screen (a new history entry, so Back returns to the previous view). */
export function navigate(id: string, sub?: string, query?: Record<string, string | undefined>): void {
  const next = hrefFor(id, sub, query);
  if (window.location.hash !== next) window.location.hash = next;
}
