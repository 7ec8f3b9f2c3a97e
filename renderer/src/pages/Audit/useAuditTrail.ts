// The trail as the Audit page reads it: newest first, one page at a time (keyset: each page continues below the
// last id shown), so a trail of millions of entries opens as fast as an empty one.
import { useCallback, useEffect, useRef, useState } from 'react';
import type { AuditEntryView, AuditFilter } from '../../../../main/api/audit';
import { ApiCallError, invoke, onSessionChanged } from '../../api/client';

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
  const [entries, setEntries] = useState<AuditEntryView[]>([]);
  const [cursor, setCursor] = useState<number | null>(null);
  const [loading, setLoading] = useState(true);
  const [loadingMore, setLoadingMore] = useState(false);
  const [error, setError] = useState<ApiCallError | null>(null);
  const [nonce, setNonce] = useState(0);
  // Answers to an older filter (or an older reload) are dropped.
  const generation = useRef(0);

  useEffect(() => {
    if (filterKey === null) return;
    const gen = ++generation.current;
    setLoading(true);
    setLoadingMore(false);
    setError(null);
    invoke('audit.list', { ...(JSON.parse(filterKey) as AuditFilter), limit: AUDIT_PAGE_SIZE }).then(
      (page) => {
        if (gen !== generation.current) return;
        setEntries(page.entries);
        setCursor(page.nextCursor);
        setLoading(false);
      },
      (err: unknown) => {
        if (gen !== generation.current) return;
        setError(asError(err));
        setLoading(false);
      },
    );
  }, [filterKey, nonce]);

  useEffect(() => onSessionChanged(() => setNonce((n) => n + 1)), []);

  const loadMore = useCallback(() => {
    if (filterKey === null || cursor === null || loadingMore) return;
    const gen = generation.current;
    setLoadingMore(true);
    setError(null);
    invoke('audit.list', { ...(JSON.parse(filterKey) as AuditFilter), cursor, limit: AUDIT_PAGE_SIZE }).then(
      (page) => {
        if (gen !== generation.current) return;
        setEntries((prev) => [...prev, ...page.entries]);
        setCursor(page.nextCursor);
        setLoadingMore(false);
      },
      (err: unknown) => {
        if (gen !== generation.current) return;
        setError(asError(err));
        setLoadingMore(false);
      },
    );
  }, [filterKey, cursor, loadingMore]);

  const reload = useCallback(() => setNonce((n) => n + 1), []);
  return { entries, hasMore: cursor !== null, loading, loadingMore, error, loadMore, reload };
}
