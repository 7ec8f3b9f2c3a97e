// What the person sees when the console cannot start (a database from a newer version, an edited migration,
// a bad config, SQLite built for the wrong runtime): a title and a message for the error box. Pure.
import { AppError } from '../api/errors';

export interface StartupFailure {
  title: string;
  message: string;
}

const DATABASE_CODES = new Set(['DB_MIGRATION_EDITED', 'DB_FROM_FUTURE', 'DB_MIGRATION_FAILED', 'DB_KEY_MISSING', 'DB_KEY_WRONG', 'DB_ENCRYPTION_FAILED']);

export const ELECTRON_NATIVE_MISSING: StartupFailure = {
  title: 'Custodian: SQLite for Electron is missing',
  message:
    'This development checkout has no SQLite build for Electron (native/electron/better_sqlite3.node).\n\n' +
    'Run `npm run build:electron-native` on a machine with internet access (it downloads Electron headers), ' +
    'then `npm start` again. `npm run serve` opens the same console in a browser without it.',
};

export function describeStartupFailure(err: unknown, dataDir: string): StartupFailure {
  const where = `\n\nData folder: ${dataDir}\nCustodian did not start, so nothing was changed.`;
  if (err instanceof AppError) {
    const title = DATABASE_CODES.has(err.code) ? 'Custodian cannot open its database' : 'Custodian could not start';
    return { title, message: `${err.message}\n\n(${err.code})${where}` };
  }
  const text = err instanceof Error ? err.message : String(err);
  if (/NODE_MODULE_VERSION|was compiled against a different Node\.js version/.test(text)) {
    return {
      title: 'Custodian: SQLite was built for another runtime',
      message: `${text}\n\nRebuild it for Electron with \`npm run build:electron-native\` (never electron-rebuild over node_modules).${where}`,
    };
  }
  return { title: 'Custodian could not start', message: `${text}${where}` };
}
