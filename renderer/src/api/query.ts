// The renderer's server-state cache (TanStack Query): one client for the app. Reads are not retried on their own
// (an error is shown with a retry button, as before) nor refetched on window focus; a sign-in, sign-out or lock
// invalidates every query, so nothing read under one staff member's session is shown under another's.
import { QueryClient } from '@tanstack/react-query';
import { onSessionChanged } from './client';

export function createQueryClient(): QueryClient {
  const client = new QueryClient({ defaultOptions: { queries: { retry: false, refetchOnWindowFocus: false, staleTime: 0 } } });
  onSessionChanged(() => void client.invalidateQueries());
  return client;
}
