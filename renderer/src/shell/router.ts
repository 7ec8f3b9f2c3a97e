// Hash routing (#/dashboard): works the same from file:// under Electron and over HTTP, needs no server routes.
import { useEffect, useState } from 'react';

function readRoute(): string {
  const hash = window.location.hash.replace(/^#\/?/, '');
  return hash.split(/[/?]/)[0] ?? '';
}

/** The current screen id from the address, '' for the root. */
export function useRoute(): string {
  const [route, setRoute] = useState(readRoute);
  useEffect(() => {
    const onChange = (): void => setRoute(readRoute());
    window.addEventListener('hashchange', onChange);
    return () => window.removeEventListener('hashchange', onChange);
  }, []);
  return route;
}

export function hrefFor(id: string): string {
  return `#/${id}`;
}
