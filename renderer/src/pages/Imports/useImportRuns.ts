// The Imports page's data: the history of runs (newest first, older pages on demand) and the live progress of
// import jobs (importProgress.ts). The list is read again when a job finishes or one it does not know appears,
// so the history and the progress panel agree without polling an audited channel.
import { useCallback, useEffect, useMemo, useRef, useState } from 'react';
import type { ImportRunSummary } from '../../../../main/api/imports';
import { ApiCallError, invoke, onSessionChanged } from '../../api/client';
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
  const [runs, setRuns] = useState<ImportRunSummary[]>([]);
  const [older, setOlder] = useState<ImportRunSummary[]>([]);
  const [hasMore, setHasMore] = useState(false);
  const [loading, setLoading] = useState(true);
  const [loadingMore, setLoadingMore] = useState(false);
  const [error, setError] = useState<ApiCallError | null>(null);
  const [nonce, setNonce] = useState(0);
  const generation = useRef(0);
  const reload = useCallback(() => setNonce((n) => n + 1), []);

  // The first page is read again on every reload; older pages, once loaded, stay (finished runs do not change).
  // One read at a time: a reload asked for while one is in flight runs once it answers.
  const inFlight = useRef(false);
  const again = useRef(false);
  useEffect(() => {
    if (inFlight.current) {
      again.current = true;
      return;
    }
    const gen = ++generation.current;
    inFlight.current = true;
    invoke('imports.list', { limit: PAGE_SIZE })
      .then(
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
      )
      .finally(() => {
        inFlight.current = false;
        if (again.current) {
          again.current = false;
          setNonce((n) => n + 1);
        }
      });
  }, [nonce]);

  useEffect(() => onSessionChanged(reload), [reload]);

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

  return { runs: all, live, loading, error, hasMore, loadingMore, loadMore, reload, active };
}
