// The consents table's rows: newest first, one keyset page at a time (each page continues below the last id
// loaded), fetched as the table scrolls near its end. A million consents open as fast as ten: only the first
// page and a capped count are read up front, and rows never loaded are never held.
import { useCallback, useEffect, useRef, useState } from 'react';
import type { ConsentFilter, ConsentListResult, ConsentListRow } from '../../../../main/api/consents';
import { ApiCallError, invoke, onSessionChanged } from '../../api/client';

export const CONSENT_PAGE_SIZE = 200;

export interface ConsentPages {
  rows: ConsentListRow[];
  total: ConsentListResult['total'];
  hasMore: boolean;
  loading: boolean;
  loadingMore: boolean;
  error: ApiCallError | null;
  /** Milliseconds the first page took (shown for support; the table's speed is part of the issue). */
  firstPageMs: number | null;
  loadMore: () => void;
  reload: () => void;
  /** Puts a changed consent (revoked, say) in place without reloading the table. */
  replaceRow: (row: ConsentListRow) => void;
}

function asError(err: unknown): ApiCallError {
  return err instanceof ApiCallError ? err : new ApiCallError('consents.list', 'INTERNAL', String(err));
}

export function useConsentPages(filter: ConsentFilter): ConsentPages {
  const filterKey = JSON.stringify(filter);
  const [rows, setRows] = useState<ConsentListRow[]>([]);
  const [total, setTotal] = useState<ConsentListResult['total']>(null);
  const [cursor, setCursor] = useState<number | null>(null);
  const [loading, setLoading] = useState(true);
  const [loadingMore, setLoadingMore] = useState(false);
  const [error, setError] = useState<ApiCallError | null>(null);
  const [firstPageMs, setFirstPageMs] = useState<number | null>(null);
  const [nonce, setNonce] = useState(0);
  const generation = useRef(0);
  const moreInFlight = useRef(false);

  useEffect(() => {
    const gen = ++generation.current;
    moreInFlight.current = false;
    setLoading(true);
    setLoadingMore(false);
    setError(null);
    const started = performance.now();
    invoke('consents.list', { ...(JSON.parse(filterKey) as ConsentFilter), limit: CONSENT_PAGE_SIZE }).then(
      (page) => {
        if (gen !== generation.current) return;
        setRows(page.rows);
        setTotal(page.total);
        setCursor(page.nextCursor);
        setFirstPageMs(Math.round(performance.now() - started));
        setLoading(false);
      },
      (err: unknown) => {
        if (gen !== generation.current) return;
        setRows([]);
        setTotal(null);
        setCursor(null);
        setError(asError(err));
        setLoading(false);
      },
    );
  }, [filterKey, nonce]);

  useEffect(() => onSessionChanged(() => setNonce((n) => n + 1)), []);

  const loadMore = useCallback(() => {
    if (cursor === null || moreInFlight.current) return;
    const gen = generation.current;
    moreInFlight.current = true;
    setLoadingMore(true);
    invoke('consents.list', { ...(JSON.parse(filterKey) as ConsentFilter), limit: CONSENT_PAGE_SIZE, before: cursor }).then(
      (page) => {
        if (gen !== generation.current) return;
        moreInFlight.current = false;
        setRows((prev) => [...prev, ...page.rows]);
        setCursor(page.nextCursor);
        setLoadingMore(false);
      },
      (err: unknown) => {
        if (gen !== generation.current) return;
        moreInFlight.current = false;
        setError(asError(err));
        setLoadingMore(false);
      },
    );
  }, [filterKey, cursor]);

  const reload = useCallback(() => setNonce((n) => n + 1), []);
  const replaceRow = useCallback((row: ConsentListRow) => setRows((prev) => prev.map((r) => (r.id === row.id ? { ...r, ...pickListFields(row) } : r))), []);
  return { rows, total, hasMore: cursor !== null, loading, loadingMore, error, firstPageMs, loadMore, reload, replaceRow };
}

function pickListFields(row: ConsentListRow): ConsentListRow {
  const { id, externalId, patient, grantee, granteeKind, decision, purpose, category, periodStart, periodEnd, status, source, createdAt, updatedAt } = row;
  return { id, externalId, patient, grantee, granteeKind, decision, purpose, category, periodStart, periodEnd, status, source, createdAt, updatedAt };
}
