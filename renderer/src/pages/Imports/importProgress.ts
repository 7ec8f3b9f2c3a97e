// Live progress of import jobs, kept for the whole window rather than per visit of the Imports page: a person
// who leaves the page during an import and comes back sees the bar where it was (never blank, never lower), and
// the job list (jobs.list) fills in what happened while the page was not shown, or before a reload.
import { useEffect, useRef, useSyncExternalStore } from 'react';
import type { JobProgress } from '../../../../main/api/events';
import type { JobSummary } from '../../../../main/api/system';
import { subscribe } from '../../api/client';
import { isFinished, mergeLive, type LiveProgress } from './runProgress';

export const IMPORT_JOB_KIND = 'import.consents';

type Listener = (event: JobProgress | null) => void;

let live: Readonly<Record<string, LiveProgress>> = {};
const listeners = new Set<Listener>();
let stopListening: (() => void) | null = null;

function notify(event: JobProgress | null): void {
  for (const listener of [...listeners]) listener(event);
}

function ensureListening(): void {
  if (stopListening) return;
  stopListening = subscribe('job.progress', (p) => {
    if (p.kind !== IMPORT_JOB_KIND) return;
    live = { ...live, [p.jobId]: mergeLive(live[p.jobId], p) };
    notify(p);
  });
}

/** Folds the job list into the live progress (counts only move forward; a finished job stays finished). */
export function seedFromJobs(jobs: readonly JobSummary[]): void {
  let next: Record<string, LiveProgress> | null = null;
  for (const job of jobs) {
    if (job.kind !== IMPORT_JOB_KIND) continue;
    const before = live[job.id];
    if (before && before.done >= job.done && (before.state === job.state || isFinished(before.state))) continue;
    next ??= { ...live };
    next[job.id] = mergeLive(before, {
      jobId: job.id,
      kind: job.kind,
      state: job.state,
      done: job.done,
      total: job.total,
      rate: before?.rate ?? 0,
      etaSeconds: before?.etaSeconds ?? null,
      errors: before?.errors ?? 0,
    });
  }
  if (next) {
    live = next;
    notify(null);
  }
}

function subscribeStore(listener: () => void): () => void {
  ensureListening();
  const wrapped: Listener = () => listener();
  listeners.add(wrapped);
  return () => listeners.delete(wrapped);
}

/** The live progress of every import job seen; `onEvent` hears each pushed event while the caller is mounted. */
export function useImportProgress(onEvent?: (event: JobProgress) => void): Readonly<Record<string, LiveProgress>> {
  const latest = useRef(onEvent);
  latest.current = onEvent;
  useEffect(() => {
    ensureListening();
    const listener: Listener = (event) => {
      if (event) latest.current?.(event);
    };
    listeners.add(listener);
    return () => {
      listeners.delete(listener);
    };
  }, []);
  return useSyncExternalStore(subscribeStore, () => live);
}
