// The Imports page's data: the history of runs (newest first, older pages on demand) and the live progress of
// import jobs (importProgress.ts). The list is read again when a job finishes or one it does not know appears,
// so the history and the progress panel agree without polling an audited channel.
import { useInfiniteQuery } from '@tanstack/react-query';
import { useCallback, useEffect, useMemo, useRef } from 'react';
import type { ImportRunSummary } from '../../../../main/api/imports';
import { ApiCallError, invoke } from '../../api/client';
import { seedFromJobs, useImportProgress } from './importProgress';
import { effectiveState, isFinished, type LiveProgress } from './runProgress';

const PAGE_SIZE = 50;
const SAFETY_POLL_MS = 5000;

export interface ImportRuns {
  runs: ImportRunSummary[];
  live: Readonly<Record<string, LiveProgress>>;
  loading: boolean;
  error: ApiCallError | null;
  hasMore: boolean;
  loadingMore: boolean;
  loadMore: () => void;
  reload: () => void;
  /** True while any run on the list is queued or running. */
  active: boolean;
}

function asError(err: unknown): ApiCallError {
  return err instanceof ApiCallError ? err : new ApiCallError('imports.list', 'INTERNAL', String(err));
}

/** Reads the job list (cheap, not an audited read of patient data) into the live progress; true if it answered. */
async function refreshJobs(): Promise<boolean> {
  try {
    seedFromJobs(await invoke('jobs.list', { limit: 50 }));
    return true;
  } catch {
    return false;
  }
}

export function useImportRuns(): ImportRuns {
  // An infinite query (TanStack Query): newest page first, older pages on demand. A reload re-reads the pages
  // shown from the newest down (a later reload supersedes one in flight, so the last answer is the newest state);
  // a session change invalidates it with every other query.
  const query = useInfiniteQuery({
    queryKey: ['imports.list'],
    initialPageParam: null as number | null,
    queryFn: ({ pageParam }) => invoke('imports.list', { limit: PAGE_SIZE, ...(pageParam !== null ? { before: pageParam } : {}) }),
    getNextPageParam: (page) => (page.length === PAGE_SIZE ? page[page.length - 1]!.id : undefined),
  });
  const { refetch, fetchNextPage, hasNextPage, isFetchingNextPage: loadingMore } = query;
  const reload = useCallback(() => void refetch(), [refetch]);
  const all = useMemo(() => {
    const seen = new Set<number | string>();
    return (query.data?.pages ?? []).flat().filter((r) => !seen.has(r.id) && seen.add(r.id));
  }, [query.data]);
  const loadMore = useCallback(() => {
    if (hasNextPage && !loadingMore) void fetchNextPage();
  }, [hasNextPage, loadingMore, fetchNextPage]);
  const loading = query.isPending;
  const error = query.error ? asError(query.error) : null;

  const knownJobs = useRef(new Set<string>());
  knownJobs.current = new Set(all.map((r) => r.jobId).filter((id): id is string => id !== null));

  const live = useImportProgress((p) => {
    // A finished job, or one the list does not show yet (started elsewhere: the CLI, another window): read it.
    if (isFinished(p.state) || !knownJobs.current.has(p.jobId)) reload();
  });

  // On opening the page: where each job is now (it may have moved on, or ended, while the page was not shown).
  useEffect(() => {
    void refreshJobs();
  }, []);

  const active = all.some((r) => !isFinished(effectiveState(r, r.jobId ? live[r.jobId] : undefined)));
  const liveRef = useRef(live);
  liveRef.current = live;
  // While an import runs, progress arrives pushed. As a safety net (a dropped push connection), the job list is
  // read now and then; a job it shows finished has its run read again.
  useEffect(() => {
    if (!active) return;
    const timer = setInterval(() => {
      void refreshJobs().then(() => {
        const ended = all.some((r) => r.jobId && !isFinished(r.state) && liveRef.current[r.jobId] && isFinished(liveRef.current[r.jobId]!.state));
        if (ended) reload();
      });
    }, SAFETY_POLL_MS);
    return () => clearInterval(timer);
  }, [active, all, reload]);

  return { runs: all, live, loading, error, hasMore: hasNextPage, loadingMore, loadMore, reload, active };
}
