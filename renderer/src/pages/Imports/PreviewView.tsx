// What a file holds before it is imported: its format, each header cell and the consent column it maps to
// (required, ignored), required columns that are missing, the first rows as read (CSV) or the first resources
// (FHIR), and the problem that would stop an import (e.g. IMPORT_HEADER_MISSING naming the misspelled column).
import { Alert, Badge, Code, Group, Stack, Table, Text } from '@mantine/core';
import type { ReactElement } from 'react';
import type { ImportPreview } from '../../../../main/api/imports';
import { formatBytes, formatCount } from '../../components/format';
import classes from './Imports.module.css';

const PREVIEW_ROWS_SHOWN = 10;

function CsvMapping({ preview }: { preview: ImportPreview }): ReactElement {
  const rows = preview.rows.slice(0, PREVIEW_ROWS_SHOWN);
  return (
    <div className={classes.previewScroll} tabIndex={0} role="region" aria-label="The file’s columns, how each is imported, and its first rows (scrolls sideways)">
      <Table withTableBorder withColumnBorders verticalSpacing={3} horizontalSpacing={8} fz="xs" className={classes.previewTable} data-testid="import-preview-table">
        <Table.Thead>
          <Table.Tr>
            <Table.Th className={classes.rowNumber}>
              <Text span size="xs" c="dimmed">
                In the file
              </Text>
            </Table.Th>
            {preview.columns.map((c, i) => (
              <Table.Th key={i} className={classes.nowrap}>
                {c.name || <Text span size="xs" c="dimmed">(empty)</Text>}
              </Table.Th>
            ))}
          </Table.Tr>
          <Table.Tr data-testid="import-preview-mapping">
            <Table.Th className={classes.rowNumber}>
              <Text span size="xs" c="dimmed">
                Imported as
              </Text>
            </Table.Th>
            {preview.columns.map((c, i) => (
              <Table.Th key={i} data-mapped-to={c.mappedTo ?? ''} className={classes.nowrap}>
                {c.mappedTo ? (
                  <Group gap={4} wrap="nowrap">
                    <Code fz={11} bg="transparent" p={0} c="var(--custodian-text-success)">
                      {c.mappedTo}
                    </Code>
                    {c.required && (
                      <Badge size="xs" variant="light" color="blue" tt="none">
                        required
                      </Badge>
                    )}
                  </Group>
                ) : (
                  <Badge size="xs" variant="outline" color="gray" tt="none" title="Not a consent column: ignored on import">
                    ignored
                  </Badge>
                )}
              </Table.Th>
            ))}
          </Table.Tr>
        </Table.Thead>
        <Table.Tbody>
          {rows.map((cells, r) => (
            <Table.Tr key={r}>
              <Table.Td className={classes.rowNumber}>{r + 1}</Table.Td>
              {preview.columns.map((_, i) => (
                <Table.Td key={i} className={classes.cell} title={cells[i]}>
                  {cells[i] ?? ''}
                </Table.Td>
              ))}
            </Table.Tr>
          ))}
          {rows.length === 0 && (
            <Table.Tr>
              <Table.Td colSpan={preview.columns.length + 1}>
                <Text size="xs" c="dimmed">
                  The file has a header and no data rows.
                </Text>
              </Table.Td>
            </Table.Tr>
          )}
        </Table.Tbody>
      </Table>
    </div>
  );
}

function FhirResources({ preview }: { preview: ImportPreview }): ReactElement {
  return (
    <Table withTableBorder verticalSpacing={3} horizontalSpacing={8} fz="xs" data-testid="import-preview-resources">
      <Table.Thead>
        <Table.Tr>
          <Table.Th w={90}>Resource</Table.Th>
          <Table.Th>As it would be imported</Table.Th>
        </Table.Tr>
      </Table.Thead>
      <Table.Tbody>
        {preview.resources.slice(0, PREVIEW_ROWS_SHOWN).map((r) => (
          <Table.Tr key={r.row}>
            <Table.Td>{r.row}</Table.Td>
            <Table.Td c={r.summary.startsWith('refused') ? 'red.8' : undefined}>{r.summary}</Table.Td>
          </Table.Tr>
        ))}
      </Table.Tbody>
    </Table>
  );
}

export function PreviewView({ preview }: { preview: ImportPreview }): ReactElement {
  const mapped = preview.columns.filter((c) => c.mappedTo !== null).length;
  const isCsv = preview.format === 'csv';
  const shown = isCsv ? Math.min(preview.rows.length, PREVIEW_ROWS_SHOWN) : Math.min(preview.resources.length, PREVIEW_ROWS_SHOWN);
  return (
    <Stack gap="xs" data-testid="import-preview" data-format={preview.format} data-problem={preview.problem?.code ?? ''}>
      <Group gap="xs">
        <Text size="sm" fw={600} data-testid="import-preview-file">
          {preview.fileName}
        </Text>
        <Text size="sm" c="dimmed">
          {formatBytes(preview.sizeBytes)}
        </Text>
        <Badge variant="light" color="gray" size="sm" tt="none">
          {isCsv ? 'CSV' : `FHIR R4${preview.layout ? ` · ${preview.layout === 'ndjson' ? 'NDJSON' : preview.layout === 'bundle' ? 'Bundle' : 'single resource'}` : ''}`}
        </Badge>
        {isCsv && preview.columns.length > 0 && (
          <Text size="xs" c="dimmed">
            {preview.columns.length} columns: {mapped} imported, {preview.ignored.length} ignored
          </Text>
        )}
      </Group>
      {preview.problem && (
        <Alert color="red" variant="light" title="This file cannot be imported as it is" data-testid="import-preview-problem" data-error-code={preview.problem.code}>
          <Group gap="xs" align="baseline" wrap="nowrap">
            <Code c="var(--custodian-text-danger)">{preview.problem.code}</Code>
            <Text size="sm">{preview.problem.message}</Text>
          </Group>
        </Alert>
      )}
      {preview.missing.length > 0 && (
        <Text size="sm" c="var(--custodian-text-danger)" data-testid="import-preview-missing">
          Required {preview.missing.length === 1 ? 'column' : 'columns'} missing: {preview.missing.join(', ')}.
        </Text>
      )}
      {isCsv && preview.columns.length > 0 && <CsvMapping preview={preview} />}
      {!isCsv && preview.resources.length > 0 && <FhirResources preview={preview} />}
      {shown > 0 && (
        <Text size="xs" c="dimmed">
          The first {formatCount(shown)} {isCsv ? 'rows' : 'resources'}, as read; every row is checked when the file is run.
        </Text>
      )}
    </Stack>
  );
}
