// The trail as the Audit page reads it: newest first, one page at a time (keyset: each page continues below the
// last id shown), so a trail of millions of entries opens as fast as an empty one. An infinite query (TanStack
// Query) keyed by the filter: answers to an older filter never land, and a reload re-reads the pages shown from
// the newest down, each continuing below the fresh page before it.
import { useInfiniteQuery } from '@tanstack/react-query';
import type { AuditEntryView, AuditFilter } from '../../../../main/api/audit';
import { ApiCallError, invoke } from '../../api/client';

export const AUDIT_PAGE_SIZE = 100;

export interface AuditTrail {
  entries: AuditEntryView[];
  /** More (older) entries exist below the last one shown. */
  hasMore: boolean;
  loading: boolean;
  loadingMore: boolean;
  error: ApiCallError | null;
  loadMore: () => void;
  reload: () => void;
}

function asError(err: unknown): ApiCallError {
  return err instanceof ApiCallError ? err : new ApiCallError('audit.list', 'INTERNAL', String(err));
}

/** `filter` null holds the query (the form has errors). */
export function useAuditTrail(filter: AuditFilter | null): AuditTrail {
  const filterKey = filter ? JSON.stringify(filter) : null;
  const query = useInfiniteQuery({
    queryKey: ['audit.list', filterKey],
    enabled: filterKey !== null,
    initialPageParam: null as number | null,
    queryFn: ({ pageParam }) => invoke('audit.list', { ...(JSON.parse(filterKey!) as AuditFilter), ...(pageParam !== null ? { cursor: pageParam } : {}), limit: AUDIT_PAGE_SIZE }),
    getNextPageParam: (page) => page.nextCursor,
  });
  const loadingMore = query.isFetchingNextPage;
  return {
    entries: query.data?.pages.flatMap((p) => p.entries) ?? [],
    hasMore: query.hasNextPage,
    loading: query.isPending || (query.isFetching && !loadingMore),
    loadingMore,
    error: query.error ? asError(query.error) : null,
    loadMore: () => {
      if (query.hasNextPage && !loadingMore) void query.fetchNextPage();
    },
    reload: () => void query.refetch(),
  };
}
