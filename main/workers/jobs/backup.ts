// A consistent online copy of the database (better-sqlite3's backup API), page by page with progress, so a
// records manager can take a backup while staff keep working.
import path from 'node:path';
import { z } from 'zod';
import { AppError } from '../../api/errors';
import type { JobImplementation } from '../protocol';
import { JobCancelled } from '../protocol';

const params = z.object({ destination: z.string().min(1) }).strict();

export const backupDatabaseJob: JobImplementation = async (ctx) => {
  const parsed = params.safeParse(ctx.params);
  if (!parsed.success) throw new AppError('VALIDATION_FAILED', `db.backup needs a destination path: ${parsed.error.issues[0]?.message}`);
  const destination = path.resolve(parsed.data.destination);
  let pages = 0;
  await ctx.db.backup(destination, {
    progress: ({ totalPages, remainingPages }) => {
      if (ctx.cancelled) throw new JobCancelled();
      pages = totalPages;
      ctx.report(totalPages - remainingPages, totalPages);
      return 64;
    },
  });
  ctx.report(pages, pages);
  return { destination, pages };
};
