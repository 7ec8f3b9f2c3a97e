// The main process's logger: structured JSON lines (pino) to <data dir>/custodian.log, written asynchronously,
// rotated by size, owner-only (0600), with PHI- and secret-bearing field names redacted; a short line to stderr.
// Callers log codes, ids and counts in the message and put anything else in named fields.
import fs from 'node:fs';
import path from 'node:path';
import pino from 'pino';

export type LogFields = Record<string, unknown>;

export interface Logger {
  info(message: string, fields?: LogFields): void;
  warn(message: string, fields?: LogFields): void;
  error(message: string, fields?: LogFields): void;
}

export interface FileLogger extends Logger {
  /** Writes out what is buffered (tests, shutdown). */
  flush(): Promise<void>;
}

/**
 * Field names whose values never reach the log, at the top level or one object down (`{ patient: { mrn } }`):
 * patient identity and demographics, free text that may name a patient, and secrets. The censor keeps the key, so
 * a reader sees that something was there. This is a net under the rule (no PHI in logs), not a licence to log
 * records: a value under an unlisted name is written as it is.
 */
export const REDACTED_FIELDS = [
  'mrn',
  'name',
  'displayName',
  'patientName',
  'givenName',
  'familyName',
  'given',
  'family',
  'birthDate',
  'dob',
  'address',
  'phone',
  'email',
  'ssn',
  'note',
  'reason',
  'password',
  'passphrase',
  'token',
  'sessionToken',
  'secret',
  'privateKey',
  'keystore',
  'authorization',
  'cookie',
] as const;
export const REDACTED = '[redacted]';

export interface LoggerOptions {
  /** The log file; without it only stderr is written. */
  file?: string;
  /** stderr gets warnings and errors only. */
  quiet?: boolean;
  /** Rotate when the file would pass this size (give or take the 4 KiB write buffer). Default 10 MiB. */
  maxBytes?: number;
  /** Rotated files kept (custodian.log.1 … .N, .1 the newest). Default 5. */
  keep?: number;
}

const DEFAULT_MAX_BYTES = 10 * 1024 * 1024;
const DEFAULT_KEEP = 5;

/**
 * pino's asynchronous file destination (sonic-boom) on a file descriptor opened here, synchronously: a process that
 * logs and exits at once (a CLI command refused before it starts) has its line flushed by pino's exit hook, where a
 * destination still opening its file would throw "sonic boom is not ready yet" over the process's own error. At
 * maxBytes the file is renamed aside and a new destination opened; the old one writes out its buffer to the renamed
 * file and closes, so lines stay in order and a rotation never splits a line (pino writes one line per call); a file
 * may pass maxBytes by at most the write buffer (4 KiB).
 */
function rotatingFile(file: string, maxBytes: number, keep: number) {
  fs.mkdirSync(path.dirname(file), { recursive: true });
  // A file left by an older version may be world-readable; mode applies only on creation.
  if (fs.existsSync(file)) fs.chmodSync(file, 0o600);
  // Buffered off the calling thread's path: written when 4 KiB have gathered or after at most a second, and on exit.
  const open = () => pino.destination({ dest: fs.openSync(file, 'a', 0o600), sync: false, minLength: 4096, periodicFlush: 1000 });
  let dest = open();
  const closing = new Set<Promise<void>>();
  let size = fs.statSync(file).size;
  const rotate = () => {
    try {
      for (let i = keep - 1; i >= 1; i--) {
        const from = `${file}.${i}`;
        if (fs.existsSync(from)) fs.renameSync(from, `${file}.${i + 1}`);
      }
      fs.renameSync(file, `${file}.1`);
      const old = dest;
      dest = open();
      const closed = new Promise<void>((resolve) => {
        old.once('close', () => resolve());
        old.once('error', () => resolve());
      });
      closing.add(closed);
      void closed.then(() => closing.delete(closed));
      old.end();
    } catch {
      // A failed rotation keeps writing to the current file; logging must never take the app down.
    }
    size = 0;
  };
  return {
    write(line: string): boolean {
      const bytes = Buffer.byteLength(line);
      if (size > 0 && size + bytes > maxBytes) rotate();
      size += bytes;
      return dest.write(line);
    },
    flush: async () => {
      await Promise.all([...closing]);
      await new Promise<void>((resolve) => dest.flush(() => resolve()));
    },
  };
}

function redactPaths(): string[] {
  return REDACTED_FIELDS.flatMap((k) => [k, `*.${k}`]);
}

export function createLogger(options: LoggerOptions = {}): FileLogger {
  const file = options.file ? rotatingFile(options.file, options.maxBytes ?? DEFAULT_MAX_BYTES, options.keep ?? DEFAULT_KEEP) : null;
  const log = file
    ? pino(
        {
          base: { pid: process.pid },
          timestamp: pino.stdTimeFunctions.isoTime,
          messageKey: 'msg',
          redact: { paths: redactPaths(), censor: REDACTED },
          formatters: { level: (label) => ({ level: label }) },
        },
        file,
      )
    : null;
  const toStderr = (level: string, message: string) => {
    if (options.quiet && level === 'INFO') return;
    process.stderr.write(`${new Date().toISOString()} ${level} ${message}\n`);
  };
  const emit = (level: 'info' | 'warn' | 'error', message: string, fields?: LogFields) => {
    toStderr(level.toUpperCase(), message);
    try {
      if (fields) log?.[level](fields, message);
      else log?.[level](message);
    } catch {
      // Logging must never take the app down.
    }
  };
  return {
    info: (m, f) => emit('info', m, f),
    warn: (m, f) => emit('warn', m, f),
    error: (m, f) => emit('error', m, f),
    flush: async () => {
      log?.flush();
      await file?.flush();
    },
  };
}

export const silentLogger: Logger = { info() {}, warn() {}, error() {} };
