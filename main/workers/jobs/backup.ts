// A consistent online copy of the database, so a records manager can take a backup while staff keep working.
// VACUUM INTO, not the page-by-page backup API: the copy inherits the connection's cipher and key, so a backup
// of the encrypted database is encrypted too (the backup API refuses an encrypted source with a plain target).
import fs from 'node:fs';
import path from 'node:path';
import type { JobOf } from '../protocol';
import { JobCancelled } from '../protocol';

export const backupDatabaseJob: JobOf<'db.backup'> = async (ctx) => {
  const destination = path.resolve(ctx.params.destination);
  const pages = Number(ctx.db.pragma('page_count', { simple: true }));
  ctx.report(0, pages);
  if (ctx.cancelled) throw new JobCancelled();
  // Written beside the destination and renamed, so a failed or interrupted copy never looks like a backup.
  const partial = `${destination}.partial`;
  fs.rmSync(partial, { force: true });
  try {
    ctx.db.prepare('VACUUM INTO ?').run(partial);
    fs.chmodSync(partial, 0o600);
    fs.renameSync(partial, destination);
  } catch (err) {
    fs.rmSync(partial, { force: true });
    throw err;
  }
  ctx.report(pages, pages);
  return { destination, pages };
};
