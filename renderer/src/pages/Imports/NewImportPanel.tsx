// Choosing what to import: a file chosen or dropped (uploaded in browser mode, picked in main's dialog under
// Electron; the page holds only its id, never a path), its format, a preview of the header mapping and first
// rows, then a dry run or the import. Files already on the server are imported with the `custodian` CLI.
import { Button, Code, Group, Paper, SegmentedControl, Stack, Text, Title } from '@mantine/core';
import { useState, type FormEvent, type ReactElement } from 'react';
import type { ImportFormatName, ImportPreview, IncomingFile } from '../../../../main/api/imports';
import { ApiCallError, invoke } from '../../api/client';
import { ErrorBanner } from '../../components/ErrorBanner';
import { ImportFileChooser } from './ImportFileChooser';
import { PreviewView } from './PreviewView';

/** Where the template ships, relative to the Custodian installation (main/imports/README.md documents the columns). */
export const TEMPLATE_PATH = 'main/imports/templates/consents-template.csv';

type FormatChoice = 'auto' | ImportFormatName;

function asError(channel: 'imports.preview' | 'imports.start', err: unknown): ApiCallError {
  return err instanceof ApiCallError ? err : new ApiCallError(channel, 'INTERNAL', String(err));
}

export function NewImportPanel({ onStarted }: { onStarted: (started: { runId: number; jobId: string }) => void }): ReactElement {
  const [chosen, setChosen] = useState<IncomingFile | null>(null);
  const [format, setFormat] = useState<FormatChoice>('auto');
  const [pathError, setPathError] = useState<string | null>(null);
  const [preview, setPreview] = useState<{ key: string; value: ImportPreview } | null>(null);
  const [previewing, setPreviewing] = useState(false);
  const [starting, setStarting] = useState<'dry' | 'import' | null>(null);
  const [failure, setFailure] = useState<ApiCallError | null>(null);

  // The page sends the file's id; main knows where it lies.
  const source = chosen ? { uploadId: chosen.uploadId } : null;
  const key = `${format}|${chosen ? `upload:${chosen.uploadId}` : ''}`;
  const current = preview?.key === key ? preview.value : null;
  const formatInput = format === 'auto' ? {} : { format };
  const noSource = 'Choose or drop the file to import.';

  const runPreview = async (event?: FormEvent): Promise<void> => {
    event?.preventDefault();
    if (!source) {
      setPathError(noSource);
      return;
    }
    setPathError(null);
    setFailure(null);
    setPreviewing(true);
    try {
      setPreview({ key, value: await invoke('imports.preview', { ...source, ...formatInput, rows: 20 }) });
    } catch (err) {
      setPreview(null);
      setFailure(asError('imports.preview', err));
    } finally {
      setPreviewing(false);
    }
  };

  const start = async (dryRun: boolean): Promise<void> => {
    if (!source) {
      setPathError(noSource);
      return;
    }
    setPathError(null);
    setFailure(null);
    setStarting(dryRun ? 'dry' : 'import');
    try {
      onStarted(await invoke('imports.start', { ...source, ...formatInput, dryRun }));
    } catch (err) {
      setFailure(asError('imports.start', err));
    } finally {
      setStarting(null);
    }
  };

  const blocked = current?.problem ?? null;
  return (
    <Paper withBorder radius="md" p="md" data-testid="import-new">
      <form onSubmit={(e) => void runPreview(e)} noValidate>
        <Stack gap="sm">
          <Title order={2} fz="h5">
            New import
          </Title>
          <ImportFileChooser
            chosen={chosen}
            onChosen={(file) => {
              setChosen(file);
              setPathError(null);
            }}
          />
          {pathError && (
            <Text size="sm" c="red" role="alert" data-testid="import-source-error">
              {pathError}
            </Text>
          )}
          <Group align="flex-start" gap="sm" wrap="nowrap">
            <Text size="xs" c="dimmed" style={{ flex: 1 }}>
              Start from the template <Code fz="xs">{TEMPLATE_PATH}</Code> in the Custodian installation folder. A file already on the computer running Custodian can be imported there with{' '}
              <Code fz="xs">custodian import consents FILE</Code>.
            </Text>
            <Stack gap={4}>
              <Text size="sm" fw={500} id="import-format-label">
                Format
              </Text>
              <SegmentedControl
                aria-labelledby="import-format-label"
                size="xs"
                value={format}
                onChange={(v) => setFormat(v as FormatChoice)}
                data={[
                  { value: 'auto', label: 'Detect' },
                  { value: 'csv', label: 'CSV' },
                  { value: 'fhir', label: 'FHIR' },
                ]}
                data-testid="import-format"
              />
            </Stack>
          </Group>
          <Group gap="sm">
            <Button type="submit" variant="default" loading={previewing} data-testid="import-preview-button">
              Preview
            </Button>
            <Button
              variant="light"
              onClick={() => void start(true)}
              loading={starting === 'dry'}
              disabled={starting !== null || !!blocked}
              data-testid="import-dry-run"
              title="Check every row and count what an import would do; nothing is written"
            >
              Dry run
            </Button>
            <Button onClick={() => void start(false)} loading={starting === 'import'} disabled={starting !== null || !!blocked} data-testid="import-start">
              Import
            </Button>
            <Text size="xs" c="dimmed">
              {blocked
                ? 'Fix the problem shown below, then preview again.'
                : current
                  ? 'A dry run checks every row and writes nothing; Import writes the accepted rows.'
                  : 'Preview shows the column mapping and the first rows before anything is written.'}
            </Text>
          </Group>
          {failure && <ErrorBanner title={failure.channel === 'imports.start' ? 'The import did not start' : 'Could not read the file'} error={failure} />}
          {current && <PreviewView preview={current} />}
        </Stack>
      </form>
    </Paper>
  );
}
