// The renderer's server-state cache (TanStack Query): one client for the app. Reads are not retried on their own
// (an error is shown with a retry button, as before) nor refetched on window focus; a sign-in, sign-out or lock
// invalidates every query, so nothing read under one staff member's session is shown under another's. Every read goes
// to this computer's own main process or loopback server, so the browser's online flag must not pause them.
import { QueryClient } from '@tanstack/react-query';
import { onSessionChanged } from './client';

export function createQueryClient(): QueryClient {
  const client = new QueryClient({ defaultOptions: { queries: { retry: false, refetchOnWindowFocus: false, staleTime: 0, networkMode: 'always' } } });
  onSessionChanged(() => void client.invalidateQueries());
  return client;
}
