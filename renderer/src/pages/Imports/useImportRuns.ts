// The Imports page's data: the history of runs (newest first, older pages on demand) and the live progress of
// import jobs pushed as job.progress. The list is read again when a job the page follows finishes, and every
// few seconds while one runs (its committed counts), so the history and the progress panel agree.
import { useCallback, useEffect, useMemo, useRef, useState } from 'react';
import type { ImportRunSummary } from '../../../../main/api/imports';
import { ApiCallError, invoke, onSessionChanged } from '../../api/client';
import { usePushEvent } from '../../api/hooks';
import { effectiveState, isFinished, mergeLive, type LiveProgress } from './runProgress';

export const IMPORT_JOB_KIND = 'import.consents';
const PAGE_SIZE = 50;
const ACTIVE_REFRESH_MS = 3000;

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

export function useImportRuns(): ImportRuns {
  const [runs, setRuns] = useState<ImportRunSummary[]>([]);
  const [older, setOlder] = useState<ImportRunSummary[]>([]);
  const [hasMore, setHasMore] = useState(false);
  const [loading, setLoading] = useState(true);
  const [loadingMore, setLoadingMore] = useState(false);
  const [error, setError] = useState<ApiCallError | null>(null);
  const [live, setLive] = useState<Record<string, LiveProgress>>({});
  const [nonce, setNonce] = useState(0);
  const generation = useRef(0);

  // The first page is read again on every reload; older pages, once loaded, stay (finished runs do not change).
  useEffect(() => {
    const gen = ++generation.current;
    invoke('imports.list', { limit: PAGE_SIZE }).then(
      (page) => {
        if (gen !== generation.current) return;
        setRuns(page);
        setHasMore((more) => more || page.length === PAGE_SIZE);
        setError(null);
        setLoading(false);
      },
      (err: unknown) => {
        if (gen !== generation.current) return;
        setError(asError(err));
        setLoading(false);
      },
    );
  }, [nonce]);

  useEffect(() => onSessionChanged(() => setNonce((n) => n + 1)), []);
  const reload = useCallback(() => setNonce((n) => n + 1), []);

  const all = useMemo(() => {
    const seen = new Set(runs.map((r) => r.id));
    return [...runs, ...older.filter((r) => !seen.has(r.id))];
  }, [runs, older]);

  const loadMore = useCallback(() => {
    const last = all[all.length - 1];
    if (!last || loadingMore) return;
    setLoadingMore(true);
    invoke('imports.list', { limit: PAGE_SIZE, before: last.id }).then(
      (page) => {
        setOlder((prev) => [...prev, ...page]);
        setHasMore(page.length === PAGE_SIZE);
        setLoadingMore(false);
      },
      (err: unknown) => {
        setError(asError(err));
        setLoadingMore(false);
      },
    );
  }, [all, loadingMore]);

  const knownJobs = useRef(new Set<string>());
  knownJobs.current = new Set(all.map((r) => r.jobId).filter((id): id is string => id !== null));

  usePushEvent('job.progress', (p) => {
    if (p.kind !== IMPORT_JOB_KIND) return;
    setLive((prev) => ({ ...prev, [p.jobId]: mergeLive(prev[p.jobId], p) }));
    // A finished job, or one the list does not show yet (started elsewhere, by the CLI or another window): read it.
    if (isFinished(p.state) || !knownJobs.current.has(p.jobId)) reload();
  });

  const active = all.some((r) => !isFinished(effectiveState(r, r.jobId ? live[r.jobId] : undefined)));
  useEffect(() => {
    if (!active) return;
    const timer = setInterval(reload, ACTIVE_REFRESH_MS);
    return () => clearInterval(timer);
  }, [active, reload]);

  return { runs: all, live, loading, error, hasMore, loadingMore, loadMore, reload, active };
}
