// The consents as a dense, virtualized table: only the rows in view (plus a few) are in the DOM, so scrolling
// through hundreds of thousands of loaded rows stays smooth; nearing the end loads the next keyset page.
import { Badge, Checkbox, Text, UnstyledButton } from '@mantine/core';
import { useVirtualizer } from '@tanstack/react-virtual';
import { useEffect, useRef, type ReactElement } from 'react';
import type { ConsentListRow, ConsentSort, ConsentSortColumn } from '../../../../main/api/consents';
import { formatDate, formatDateTime } from '../../components/format';
import classes from './Consents.module.css';
import { CATEGORY_LABELS, DECISION_COLORS, describePeriod, describeSource, patientRef, patientTitle, PURPOSE_LABELS, STATUS_COLORS, STATUS_LABELS } from './labels';

export const ROW_HEIGHT = 44;
/** Start fetching the next page this many rows before the end of what is loaded. */
const PREFETCH_ROWS = 60;

export interface ConsentsTableProps {
  rows: readonly ConsentListRow[];
  hasMore: boolean;
  loadingMore: boolean;
  onLoadMore: () => void;
  onOpen: (row: ConsentListRow) => void;
  openId: number | null;
  /** Null when the role may not export (no selection column). */
  selection: ReadonlySet<number> | null;
  onToggle: (id: number) => void;
  onToggleAll: (select: boolean) => void;
  me: { id: string; name: string } | null;
  /** The sort main applies (null: newest first); a header click asks for the next one. */
  sort: ConsentSort | null;
  onSort: (column: ConsentSortColumn) => void;
}

const SORT_NAMES: Record<ConsentSortColumn, string> = { grantee: 'grantee', periodStart: 'period start' };

/** A sortable column's header: a button (Enter or Space) that says its sort to assistive technology through aria-sort. */
function SortHeader({ column, label, sort, onSort }: { column: ConsentSortColumn; label: string; sort: ConsentSort | null; onSort: (c: ConsentSortColumn) => void }): ReactElement {
  const direction = sort?.column === column ? sort.direction : null;
  const action = direction === 'desc' ? 'back to newest first' : `sort by ${SORT_NAMES[column]}, ${direction === null ? 'ascending' : 'descending'}`;
  return (
    <th aria-sort={direction === 'asc' ? 'ascending' : direction === 'desc' ? 'descending' : 'none'} data-testid={`consents-header-${column}`}>
      <UnstyledButton className={classes.sortButton} onClick={() => onSort(column)} aria-label={`${label}: ${action}`} data-testid={`consents-sort-${column}`}>
        {label}
        <span aria-hidden="true" className={classes.sortMark}>
          {direction === 'asc' ? '▲' : direction === 'desc' ? '▼' : '↕'}
        </span>
      </UnstyledButton>
    </th>
  );
}

export function ConsentsTable({ rows, hasMore, loadingMore, onLoadMore, onOpen, openId, selection, onToggle, onToggleAll, me, sort, onSort }: ConsentsTableProps): ReactElement {
  const scrollRef = useRef<HTMLDivElement>(null);
  const count = rows.length + (hasMore ? 1 : 0);
  const virtualizer = useVirtualizer({
    count,
    getScrollElement: () => scrollRef.current,
    estimateSize: () => ROW_HEIGHT,
    overscan: 12,
  });
  const items = virtualizer.getVirtualItems();
  const lastIndex = items.length ? items[items.length - 1]!.index : -1;

  useEffect(() => {
    if (hasMore && !loadingMore && lastIndex >= rows.length - PREFETCH_ROWS) onLoadMore();
  }, [hasMore, loadingMore, lastIndex, rows.length, onLoadMore]);

  const paddingTop = items.length ? items[0]!.start : 0;
  const paddingBottom = items.length ? virtualizer.getTotalSize() - items[items.length - 1]!.end : 0;
  const loadedSelected = selection ? rows.filter((r) => selection.has(r.id)).length : 0;
  const allSelected = rows.length > 0 && loadedSelected === rows.length;
  const columns = selection ? 10 : 9;

  return (
    <div
      ref={scrollRef}
      className={classes.scroller}
      tabIndex={0}
      role="region"
      aria-label={`Consents, ${sort ? `by ${SORT_NAMES[sort.column]}, ${sort.direction === 'asc' ? 'ascending' : 'descending'}` : 'newest first'} (scroll for more)`}
      data-testid="consents-scroller"
    >
      <table className={classes.table} data-testid="consents-table" aria-rowcount={count + 1}>
        <colgroup>
          {selection && <col style={{ width: 34 }} />}
          <col style={{ width: 66 }} />
          <col />
          <col style={{ width: 132 }} />
          <col style={{ width: 68 }} />
          <col style={{ width: 132 }} />
          <col style={{ width: 142 }} />
          <col style={{ width: 176 }} />
          <col style={{ width: 88 }} />
          <col style={{ width: 140 }} />
        </colgroup>
        <thead>
          <tr>
            {selection && (
              <th>
                <Checkbox
                  size="xs"
                  aria-label={allSelected ? 'Clear the selection' : `Select all ${rows.length} loaded consents`}
                  checked={allSelected}
                  indeterminate={loadedSelected > 0 && !allSelected}
                  onChange={() => onToggleAll(!allSelected)}
                  data-testid="consents-select-all"
                />
              </th>
            )}
            <th>No.</th>
            <th>Patient</th>
            <SortHeader column="grantee" label="Grantee" sort={sort} onSort={onSort} />
            <th>Decision</th>
            <th>Purpose</th>
            <th>Category</th>
            <SortHeader column="periodStart" label="Period (UTC)" sort={sort} onSort={onSort} />
            <th>Status</th>
            <th>Source</th>
          </tr>
        </thead>
        <tbody>
          {paddingTop > 0 && (
            <tr aria-hidden="true">
              <td colSpan={columns} style={{ height: paddingTop, padding: 0, border: 0 }} />
            </tr>
          )}
          {items.map((item) => {
            const row = rows[item.index];
            if (!row) {
              return (
                <tr key="loader" style={{ height: ROW_HEIGHT }} data-testid="consents-loading-more">
                  <td colSpan={columns}>
                    <Text size="xs" c="dimmed">
                      {loadingMore ? `Loading ${sort ? 'more' : 'older'} consents…` : `Scroll to load ${sort ? 'more' : 'older'} consents`}
                    </Text>
                  </td>
                </tr>
              );
            }
            const selected = selection?.has(row.id) ?? false;
            return (
              <tr
                key={row.id}
                style={{ height: ROW_HEIGHT }}
                className={row.id === openId ? classes.open : selected ? classes.selected : undefined}
                onClick={() => onOpen(row)}
                data-testid="consent-row"
                data-consent-id={row.id}
                data-status={row.status}
                data-mrn={row.patient.mrn ?? undefined}
                data-patient-id={row.patient.id}
                aria-rowindex={item.index + 2}
                aria-selected={selection ? selected : undefined}
              >
                {selection && (
                  <td onClick={(e) => e.stopPropagation()}>
                    <Checkbox size="xs" aria-label={`Select consent ${row.id}`} checked={selected} onChange={() => onToggle(row.id)} data-testid="consent-select" />
                  </td>
                )}
                <td>
                  <UnstyledButton
                    className={classes.idLink}
                    onClick={(e) => {
                      e.stopPropagation();
                      onOpen(row);
                    }}
                    aria-label={`Open consent ${row.id}`}
                    data-testid="consent-open"
                  >
                    #{row.id}
                  </UnstyledButton>
                </td>
                <td>
                  <div className={classes.ellipsis} title={patientTitle(row.patient)}>
                    {patientTitle(row.patient)}
                  </div>
                  <div className={`${classes.ellipsis} ${classes.sub}`}>
                    {patientRef(row.patient)}
                  </div>
                </td>
                <td>
                  <div className={`${classes.ellipsis} ${classes.mono}`} title={row.grantee}>
                    {row.grantee}
                  </div>
                  <div className={classes.sub}>{row.granteeKind === 'npi' ? 'NPI' : 'Organisation'}</div>
                </td>
                <td>
                  <Badge size="sm" variant="light" color={DECISION_COLORS[row.decision]} tt="none" data-testid="consent-decision">
                    {row.decision}
                  </Badge>
                </td>
                <td>
                  <div className={classes.mono}>{row.purpose}</div>
                  <div className={`${classes.ellipsis} ${classes.sub}`}>{PURPOSE_LABELS[row.purpose]}</div>
                </td>
                <td className={classes.ellipsis}>{CATEGORY_LABELS[row.category]}</td>
                <td className={`${classes.ellipsis} ${classes.mono}`} title={describePeriod(row.periodStart, row.periodEnd)}>
                  {describePeriod(row.periodStart, row.periodEnd)}
                </td>
                <td>
                  <Badge size="sm" variant="light" color={STATUS_COLORS[row.status]} tt="none" data-testid="consent-status">
                    {STATUS_LABELS[row.status]}
                  </Badge>
                </td>
                <td title={`Last change ${formatDateTime(row.updatedAt)}`}>
                  <div className={classes.ellipsis}>{describeSource(row.source, me)}</div>
                  <div className={`${classes.ellipsis} ${classes.sub} ${classes.num}`}>{formatDate(row.updatedAt)}</div>
                </td>
              </tr>
            );
          })}
          {paddingBottom > 0 && (
            <tr aria-hidden="true">
              <td colSpan={columns} style={{ height: paddingBottom, padding: 0, border: 0 }} />
            </tr>
          )}
        </tbody>
      </table>
    </div>
  );
}
