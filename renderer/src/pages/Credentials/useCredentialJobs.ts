// Follows the credentials domain's background jobs (bulk verification, roster import): the polled job list merged
// with pushed progress, so a bar never goes backwards; polled quickly only while one of them runs.
import { useCallback, useEffect, useMemo, useRef, useState } from 'react';
import type { JobProgress } from '../../../../main/api/events';
import type { JobSummary } from '../../../../main/api/system';
import { useApiQuery, usePushEvent } from '../../api/hooks';
import { isTerminal, jobRows, mergeProgress, type JobRow } from '../Dashboard/jobRows';

export const VERIFY_ALL_KIND = 'credentials.verifyAll';
export const ROSTER_IMPORT_KIND = 'import.providers';
const KINDS: ReadonlySet<string> = new Set([VERIFY_ALL_KIND, ROSTER_IMPORT_KIND]);

const ACTIVE_MS = 1500;
const IDLE_MS = 15_000;

export interface CredentialJobs {
  /** The newest job of each kind, or null. */
  latest: Record<typeof VERIFY_ALL_KIND | typeof ROSTER_IMPORT_KIND, JobRow | null>;
  /** Shows a job the moment it is started, before the next read of the list. */
  track: (job: JobSummary) => void;
  /** Called once for each job of these kinds that ends while the page is open. */
  onFinished: (listener: (job: JobRow) => void) => void;
}

function newestFirst(a: JobSummary, b: JobSummary): number {
  return (b.startedAt ?? '\uffff').localeCompare(a.startedAt ?? '\uffff');
}

export function useCredentialJobs(): CredentialJobs {
  const [active, setActive] = useState(false);
  const list = useApiQuery('jobs.list', { limit: 50 }, { refreshMs: active ? ACTIVE_MS : IDLE_MS });
  const [started, setStarted] = useState<Record<string, JobSummary>>({});
  const [live, setLive] = useState<Record<string, JobProgress>>({});
  usePushEvent('job.progress', (p) => {
    if (KINDS.has(p.kind)) setLive((prev) => ({ ...prev, [p.jobId]: mergeProgress(prev[p.jobId], p) }));
  });

  const rows = useMemo(() => {
    const known = new Map<string, JobSummary>();
    for (const j of Object.values(started)) known.set(j.id, j);
    for (const j of list.data ?? []) if (KINDS.has(j.kind)) known.set(j.id, j);
    return jobRows([...known.values()].sort(newestFirst), live);
  }, [list.data, started, live]);

  const latest = useMemo(
    () => ({
      [VERIFY_ALL_KIND]: rows.find((r) => r.kind === VERIFY_ALL_KIND) ?? null,
      [ROSTER_IMPORT_KIND]: rows.find((r) => r.kind === ROSTER_IMPORT_KIND) ?? null,
    }),
    [rows],
  );

  const anyRunning = rows.some((r) => !isTerminal(r.state));
  useEffect(() => setActive(anyRunning), [anyRunning]);
  // A finished push arrives before the list knows: read it again so the final counts and times are the list's.
  const { refetch } = list;
  const finishedPushes = Object.values(live).filter((p) => isTerminal(p.state)).length;
  useEffect(() => {
    if (finishedPushes > 0) refetch();
  }, [finishedPushes, refetch]);

  const listener = useRef<((job: JobRow) => void) | null>(null);
  const seenRunning = useRef<Set<string>>(new Set());
  useEffect(() => {
    for (const r of rows) {
      if (!isTerminal(r.state)) seenRunning.current.add(r.id);
      else if (seenRunning.current.delete(r.id)) listener.current?.(r);
    }
  }, [rows]);

  const track = useCallback(
    (job: JobSummary) => {
      seenRunning.current.add(job.id);
      setStarted((prev) => ({ ...prev, [job.id]: job }));
      setActive(true);
      refetch();
    },
    [refetch],
  );
  const onFinished = useCallback((l: (job: JobRow) => void) => {
    listener.current = l;
  }, []);

  return { latest, track, onFinished };
}
