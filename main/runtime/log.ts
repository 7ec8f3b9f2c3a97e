// A small logger for the main process: one line per message, to stderr and optionally to a file in the data
// folder. Callers log codes, ids and counts, never PHI or secrets.
import fs from 'node:fs';

export interface Logger {
  info(message: string): void;
  warn(message: string): void;
  error(message: string): void;
}

export function createLogger(options: { file?: string; quiet?: boolean } = {}): Logger {
  const write = (level: string, message: string) => {
    const line = `${new Date().toISOString()} ${level} ${message}\n`;
    if (!options.quiet || level !== 'INFO') process.stderr.write(line);
    if (options.file) {
      try {
        fs.appendFileSync(options.file, line);
      } catch {
        // Logging must never take the app down.
      }
    }
  };
  return { info: (m) => write('INFO', m), warn: (m) => write('WARN', m), error: (m) => write('ERROR', m) };
}

export const silentLogger: Logger = { info() {}, warn() {}, error() {} };
