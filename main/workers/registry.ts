// The production job kinds: each name maps to the function a worker thread runs for it.
// Domain issues (imports, bulk verification) add their kinds here.
import type { JobImplementation } from './protocol';
import { backupDatabaseJob } from './jobs/backup';
import { credentialJobKinds } from '../credentials/jobs';
import { consentImportJob } from '../imports/job';
import { consentExportJob, EXPORT_JOB_KIND } from '../consents/export-job';
import { claimImportJob, CLAIM_IMPORT_JOB_KIND } from '../claims/job';

export const jobKinds: Record<string, JobImplementation> = {
  'db.backup': backupDatabaseJob,
  ...credentialJobKinds,
  'import.consents': consentImportJob,
  [EXPORT_JOB_KIND]: consentExportJob,
  [CLAIM_IMPORT_JOB_KIND]: claimImportJob,
};
