// The consents table's rows: newest first (or in the sort chosen, sorted by main), one keyset page at a time (each page continues below the last id
// loaded), fetched as the table scrolls near its end. A million consents open as fast as ten: only the first
// page and a capped count are read up front, and rows never loaded are never held.
import { useInfiniteQuery, useQueryClient, type InfiniteData } from '@tanstack/react-query';
import { useCallback, useMemo } from 'react';
import type { ConsentFilter, ConsentListResult, ConsentListRow, ConsentSort } from '../../../../main/api/consents';
import { ApiCallError, invoke } from '../../api/client';

export const CONSENT_PAGE_SIZE = 200;

export interface ConsentPages {
  rows: ConsentListRow[];
  total: ConsentListResult['total'];
  /** What the search text matched (first page of a search), else null. */
  search: ConsentListResult['search'] | null;
  hasMore: boolean;
  loading: boolean;
  loadingMore: boolean;
  error: ApiCallError | null;
  /** Milliseconds the first page took: a data attribute for support and benchmarks, never text for people. */
  firstPageMs: number | null;
  loadMore: () => void;
  reload: () => void;
  /** Puts a changed consent (revoked, say) in place without reloading the table. */
  replaceRow: (row: ConsentListRow) => void;
}

type Page = ConsentListResult & { tookMs: number };

function asError(err: unknown): ApiCallError {
  return err instanceof ApiCallError ? err : new ApiCallError('consents.list', 'INTERNAL', String(err));
}

/**
 * An infinite query (TanStack Query) keyed by the filter and the sort: answers to an older filter never land, and a page
 * continues below the last row loaded. A reload reads the first page again and drops the rest (the table may hold
 * thousands of rows; they are fetched again as it scrolls).
 */
export function useConsentPages(filter: ConsentFilter, sort: ConsentSort | null = null): ConsentPages {
  const filterKey = JSON.stringify(sort ? { ...filter, sort } : filter);
  const queryKey = useMemo(() => ['consents.list', filterKey], [filterKey]);
  const client = useQueryClient();
  const query = useInfiniteQuery({
    queryKey,
    initialPageParam: null as number | null,
    queryFn: async ({ pageParam }): Promise<Page> => {
      const started = performance.now();
      const page = await invoke('consents.list', { ...(JSON.parse(filterKey) as ConsentFilter), limit: CONSENT_PAGE_SIZE, ...(pageParam !== null ? { before: pageParam } : {}) });
      return { ...page, tookMs: Math.round(performance.now() - started) };
    },
    getNextPageParam: (page) => page.nextCursor,
  });
  const loadingMore = query.isFetchingNextPage;
  // A failed first page shows no rows (as before); a failed further page keeps the rows loaded.
  const failedFirst = query.isError && !query.isFetchNextPageError;
  const pages = failedFirst ? [] : (query.data?.pages ?? []);
  const rows = useMemo(() => pages.flatMap((p) => p.rows), [pages]);

  const { hasNextPage, fetchNextPage, refetch } = query;
  const loadMore = useCallback(() => {
    if (hasNextPage && !loadingMore) void fetchNextPage();
  }, [hasNextPage, loadingMore, fetchNextPage]);
  const reload = useCallback(() => {
    client.setQueryData<InfiniteData<Page, number | null>>(queryKey, (d) => d && { pages: d.pages.slice(0, 1), pageParams: d.pageParams.slice(0, 1) });
    void refetch();
  }, [client, queryKey, refetch]);
  const replaceRow = useCallback(
    (row: ConsentListRow) =>
      client.setQueryData<InfiniteData<Page, number | null>>(queryKey, (d) =>
        d && { ...d, pages: d.pages.map((p) => ({ ...p, rows: p.rows.map((r) => (r.id === row.id ? { ...r, ...pickListFields(row) } : r)) })) },
      ),
    [client, queryKey],
  );
  return {
    rows,
    total: pages[0]?.total ?? null,
    search: pages[0]?.search ?? null,
    hasMore: !failedFirst && hasNextPage,
    loading: query.isPending || (query.isFetching && !loadingMore),
    loadingMore,
    error: query.error ? asError(query.error) : null,
    firstPageMs: pages[0]?.tookMs ?? null,
    loadMore,
    reload,
    replaceRow,
  };
}

function pickListFields(row: ConsentListRow): ConsentListRow {
  const { id, externalId, patient, grantee, granteeKind, decision, purpose, category, periodStart, periodEnd, status, source, createdAt, updatedAt } = row;
  return { id, externalId, patient, grantee, granteeKind, decision, purpose, category, periodStart, periodEnd, status, source, createdAt, updatedAt };
}
