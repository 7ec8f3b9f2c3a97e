// What the person sees when the console cannot start (a database from a newer version, an edited migration,
// a bad config, SQLite's native binding missing or unloadable): a title and a message for the error box. Pure.
import { AppError } from '../api/errors';

export interface StartupFailure {
  title: string;
  message: string;
}

const DATABASE_CODES = new Set(['DB_MIGRATION_EDITED', 'DB_FROM_FUTURE', 'DB_MIGRATION_FAILED', 'DB_KEY_MISSING', 'DB_KEY_WRONG', 'DB_ENCRYPTION_FAILED']);

/** A native binding that is missing or will not load (wrong platform, damaged file, a non-N-API build). */
function isSqliteLoadFailure(err: unknown, text: string): boolean {
  const code = (err as { code?: unknown } | null)?.code;
  if (code === 'ERR_DLOPEN_FAILED') return true;
  if (/NODE_MODULE_VERSION|was compiled against a different Node\.js version/.test(text)) return true;
  return code === 'MODULE_NOT_FOUND' && /better_sqlite3\.node|better-sqlite3-multiple-ciphers|prebuilds[\\/]/.test(text);
}

export function describeStartupFailure(err: unknown, dataDir: string): StartupFailure {
  const where = `\n\nData folder: ${dataDir}\nCustodian did not start, so nothing was changed.`;
  if (err instanceof AppError) {
    const title = DATABASE_CODES.has(err.code) ? 'Custodian cannot open its database' : 'Custodian could not start';
    return { title, message: `${err.message}\n\n(${err.code})${where}` };
  }
  const text = err instanceof Error ? err.message : String(err);
  if (isSqliteLoadFailure(err, text)) {
    // The app ships SQLite's N-API prebuild for its platform; there is nothing to build for Electron.
    return {
      title: 'Custodian: SQLite could not be loaded',
      message:
        `${text}\n\nCustodian uses the prebuilt SQLite for ${process.platform}-${process.arch}. In a development checkout run ` +
        `\`npm install\`, then \`npm run check:sqlite\`; an installed app is damaged and should be reinstalled.${where}`,
    };
  }
  return { title: 'Custodian could not start', message: `${text}${where}` };
}
