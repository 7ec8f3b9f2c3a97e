// Choosing the file to import: a "Choose file" button and a drop zone. In browser mode the file is uploaded to
// main with a progress bar (and can be cancelled); under Electron main's open dialog picks it. Either way the page
// keeps only the id main gives back, never a path.
import { Button, CloseButton, Group, Paper, Progress, Stack, Text } from '@mantine/core';
import { useRef, useState, type DragEvent, type ReactElement } from 'react';
import type { IncomingFile } from '../../../../main/api/imports';
import { ApiCallError } from '../../api/client';
import { pickFile, uploadFile, usesDialogs, type UploadHandle } from '../../api/files';
import { ErrorBanner } from '../../components/ErrorBanner';
import { formatBytes } from '../../components/format';
import classes from './Imports.module.css';

export const IMPORT_ACCEPT = '.csv,.txt,.json,.ndjson,.jsonl';

interface Props {
  chosen: IncomingFile | null;
  onChosen: (file: IncomingFile | null) => void;
  /** The other imports (claims, provider roster) reuse the chooser with their own words and test ids. */
  label?: string;
  accept?: string;
  kinds?: string;
  idPrefix?: string;
}

function asError(err: unknown): ApiCallError {
  return err instanceof ApiCallError ? err : new ApiCallError('imports.upload', 'INTERNAL', String(err));
}

export function ImportFileChooser({ chosen, onChosen, label = 'File to import', accept = IMPORT_ACCEPT, kinds = 'a CSV or FHIR R4 file (NDJSON or Bundle JSON)', idPrefix = 'import' }: Props): ReactElement {
  const dialogs = usesDialogs();
  const input = useRef<HTMLInputElement>(null);
  const [dragging, setDragging] = useState(false);
  const [upload, setUpload] = useState<{ name: string; sent: number; total: number; handle: UploadHandle } | null>(null);
  const [picking, setPicking] = useState(false);
  const [failure, setFailure] = useState<ApiCallError | null>(null);

  const send = (file: File): void => {
    setFailure(null);
    onChosen(null);
    const handle = uploadFile(file, (sent, total) => setUpload((u) => (u && u.handle === handle ? { ...u, sent, total } : u)));
    setUpload({ name: file.name, sent: 0, total: file.size, handle });
    handle.done.then(
      (incoming) => {
        setUpload(null);
        onChosen(incoming);
      },
      (err: unknown) => {
        setUpload(null);
        setFailure(asError(err));
      },
    );
  };

  const choose = async (): Promise<void> => {
    if (!dialogs) {
      input.current?.click();
      return;
    }
    setFailure(null);
    setPicking(true);
    try {
      const picked = await pickFile();
      if (picked) onChosen(picked);
    } catch (err) {
      setFailure(asError(err));
    } finally {
      setPicking(false);
    }
  };

  const onDrop = (event: DragEvent<HTMLDivElement>): void => {
    event.preventDefault();
    setDragging(false);
    const file = event.dataTransfer.files[0];
    if (!file) return;
    if (dialogs) {
      setFailure(new ApiCallError('imports.pickFile', 'DROP_UNSUPPORTED', 'In the desktop app, use “Choose file…” to pick the file.'));
      return;
    }
    send(file);
  };

  const percent = upload && upload.total > 0 ? Math.min(100, (upload.sent / upload.total) * 100) : 0;
  return (
    <Stack gap={4}>
      <Text size="sm" fw={500} id={`${idPrefix}-file-label`}>
        {label}
      </Text>
      <Paper
        p="md"
        radius="md"
        className={`${classes.dropZone} ${dragging ? classes.dropZoneActive : ''}`}
        onDragOver={(e) => {
          e.preventDefault();
          setDragging(true);
        }}
        onDragLeave={() => setDragging(false)}
        onDrop={onDrop}
        data-testid={`${idPrefix}-drop-zone`}
        data-dragging={dragging}
      >
        <Stack gap="xs">
          <Group gap="sm">
            <Button variant="default" onClick={() => void choose()} loading={picking} disabled={upload !== null} aria-describedby={`${idPrefix}-file-help`} data-testid={`${idPrefix}-choose-file`}>
              Choose file…
            </Button>
            <Text size="sm" c="dimmed" id={`${idPrefix}-file-help`}>
              {dialogs ? `${kinds[0]!.toUpperCase()}${kinds.slice(1)}.` : `or drop ${kinds} here.`}
            </Text>
          </Group>
          {!dialogs && (
            <input
              ref={input}
              type="file"
              accept={accept}
              hidden
              aria-labelledby={`${idPrefix}-file-label`}
              data-testid={`${idPrefix}-file-input`}
              onChange={(e) => {
                const file = e.currentTarget.files?.[0];
                e.currentTarget.value = '';
                if (file) send(file);
              }}
            />
          )}
          {upload && (
            <Stack gap={4} data-testid={`${idPrefix}-upload-progress`}>
              <Group justify="space-between">
                <Text size="sm">
                  Uploading {upload.name}: {formatBytes(upload.sent)} of {formatBytes(upload.total)}
                </Text>
                <Button size="xs" variant="subtle" color="red" onClick={() => upload.handle.abort()} data-testid={`${idPrefix}-upload-cancel`}>
                  Cancel upload
                </Button>
              </Group>
              <Progress value={percent} aria-label={`Upload of ${upload.name}`} aria-valuetext={`${Math.round(percent)} percent`} />
            </Stack>
          )}
          {chosen && (
            <Group gap="xs" data-testid={`${idPrefix}-chosen-file`} data-upload-id={chosen.uploadId}>
              <Text size="sm">
                Selected: <strong>{chosen.fileName}</strong> ({formatBytes(chosen.sizeBytes)})
              </Text>
              <CloseButton size="sm" aria-label="Clear the selected file" onClick={() => onChosen(null)} />
            </Group>
          )}
        </Stack>
      </Paper>
      {failure && <ErrorBanner title={failure.channel === 'imports.pickFile' ? 'Could not pick the file' : 'The upload did not finish'} error={failure} />}
    </Stack>
  );
}
