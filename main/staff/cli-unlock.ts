// `custodian staff unlock USER`: the machine owner's way back in. Run by the OS user who owns the data folder
// (who could read and change the database anyway), it clears the account's failure count and any lock, through
// the dispatcher as a principal named after the OS user, so the unlock is in the audit trail like an admin's.
import fs from 'node:fs';
import os from 'node:os';
import { AppError } from '../api/errors';
import type { StaffMember } from '../api/auth';
import type { Principal } from '../api/permissions';
import { typedCall } from '../runtime/call';
import type { Db } from '../db/connection';
import type { Dispatch } from '../runtime/dispatcher';

/** What these commands use of the started services (the CLI passes its Services): typed here, so the domain never imports the composition root. */
type CommandServices = { db: Db; dispatch: Dispatch };

/** Refuses unless the data folder exists and belongs to the OS user running this process (POSIX). */
export function assertOwnsDataDir(dataDir: string, uid: number | undefined = process.getuid?.()): void {
  let stat: fs.Stats;
  try {
    stat = fs.statSync(dataDir);
  } catch {
    throw new AppError('NOT_FOUND', 'There is no data folder there: nothing to unlock.');
  }
  if (uid !== undefined && stat.uid !== uid) {
    throw new AppError('NOT_DATA_OWNER', `Only the OS user who owns the data folder (uid ${stat.uid}) may unlock accounts from the command line; you are uid ${uid}.`);
  }
}

export async function staffUnlockCommand(services: CommandServices, username: string): Promise<StaffMember> {
  const row = services.db.prepare('SELECT id FROM staff WHERE username = ?').get(username) as { id: string } | undefined;
  if (!row) throw new AppError('NOT_FOUND', `There is no staff account named ${username}.`);
  const osUser = os.userInfo().username;
  const principal: Principal = { id: `os-user:${osUser}`, name: `${osUser} (data folder owner, CLI)`, role: 'it_admin' };
  return typedCall(services.dispatch, { transport: 'cli', principal })('staff.update', { id: row.id, unlock: true });
}
