// The facts of the first-run checklist (runtime/first-run.ts), read from the modules that own them: the audit
// trail (the facility secret exported or imported), the import runs and the staff accounts.
import type { ChainStatus } from '../api/system';
import { lastSuccessOf } from '../audit/queries';
import type { Db } from '../db/connection';
import { firstCommittedImportAt } from '../imports/runs';
import { SECRET_SAVED_ACTIONS, type FirstRunFacts } from '../runtime/first-run';
import { enabledStaffOutsideIt } from '../staff/accounts';

export function readFirstRunFacts(db: Db, chain: ChainStatus): FirstRunFacts {
  return {
    chain,
    secretSavedAt: lastSuccessOf(db, SECRET_SAVED_ACTIONS),
    firstImportAt: firstCommittedImportAt(db),
    staffAccounts: enabledStaffOutsideIt(db),
  };
}
