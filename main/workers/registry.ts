// The production job kinds: each name maps to the function a worker thread runs for it.
// Domain issues (imports, bulk verification) add their kinds here.
import type { JobImplementation } from './protocol';
import { backupDatabaseJob } from './jobs/backup';

export const jobKinds: Record<string, JobImplementation> = {
  'db.backup': backupDatabaseJob,
};
