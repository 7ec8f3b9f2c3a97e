// The dense list tables of the console (sync batches, consent conflicts): scrollable, striped, one header row whose
// last column holds each row's buttons under a header only screen readers hear. Rows are the caller's.
import { Table, VisuallyHidden } from '@mantine/core';
import type { ReactElement, ReactNode } from 'react';
import classes from './DenseTable.module.css';

export interface DenseTableColumn {
  label: ReactNode;
  align?: 'right';
  /** Keep the header on one line (dates, short words). */
  nowrap?: boolean;
  /** Not shown (a technical column behind a switch); the rows hide their cell the same way. */
  hidden?: boolean;
}

export interface DenseTableProps {
  columns: readonly DenseTableColumn[];
  /** A last column for each row's buttons, headed "Actions" for screen readers only. */
  actions?: boolean;
  /** Below this width the table scrolls sideways instead of squeezing its columns. */
  minWidth: number;
  testId: string;
  children: ReactNode;
}

export function DenseTable({ columns, actions = false, minWidth, testId, children }: DenseTableProps): ReactElement {
  return (
    <Table.ScrollContainer minWidth={minWidth}>
      <Table striped highlightOnHover withTableBorder verticalSpacing={4} horizontalSpacing={8} fz="xs" className={classes.table} data-testid={testId}>
        <Table.Thead>
          <Table.Tr>
            {columns.map((c, i) => (
              <Table.Th key={i} ta={c.align} className={c.nowrap ? classes.nowrap : undefined} hidden={c.hidden}>
                {c.label}
              </Table.Th>
            ))}
            {actions && (
              <Table.Th>
                <VisuallyHidden>Actions</VisuallyHidden>
              </Table.Th>
            )}
          </Table.Tr>
        </Table.Thead>
        <Table.Tbody>{children}</Table.Tbody>
      </Table>
    </Table.ScrollContainer>
  );
}
