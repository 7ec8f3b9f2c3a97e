// The production job kinds: each declared kind (main/api/jobs.ts) maps to the function a worker thread runs for
// it. The mapped type makes a kind without a function, or a function for an undeclared kind, a compile error.
import { JOB_KINDS, type JobKind } from '../api/jobs';
import { claimImportJob } from '../claims/job';
import { consentExportJob } from '../consents/export-job';
import { installProviderDirectory } from '../consents/provider-directory';
import { credentialsDirectory } from '../credentials/directory';
import { rosterImportJob, verifyAllJob } from '../credentials/jobs';
import { consentImportJob } from '../imports/job';
import { backupDatabaseJob } from '../workers/jobs/backup';
import type { JobOf, JobRegistryModule } from '../workers/protocol';

// The consents export selects by search text, which finds providers in the credentials directory (this thread's copy).
installProviderDirectory(credentialsDirectory);

export const jobKindDefs = JOB_KINDS;

export const jobKinds: { [K in JobKind]: JobOf<K> } = {
  'db.backup': backupDatabaseJob,
  'credentials.verifyAll': verifyAllJob,
  'import.providers': rosterImportJob,
  'import.consents': consentImportJob,
  'consents.exportFhir': consentExportJob,
  'import.claims': claimImportJob,
};

export const productionRegistry: JobRegistryModule<typeof JOB_KINDS> = { jobKindDefs, jobKinds };
