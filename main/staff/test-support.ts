// For tests whose subject is not account creation: an account made the way an office makes one, an IT admin
// setting a temporary password and the person replacing it at first sign-in (a pending change blocks everything else).
import type { Principal } from '../api/permissions';
import type { Role } from '../api/permissions';
import { memorySession, type CallerContext } from '../runtime/dispatcher';
import type { Services } from '../compose/services';

export async function createStaffReady(
  services: Services,
  as: Principal | Partial<CallerContext>,
  input: { username: string; displayName: string; role: Role; password: string },
): Promise<void> {
  const temporary = `${input.password} (temporary)`;
  const created = await services.call('staff.create', { ...input, password: temporary }, as);
  if (!created.ok) throw new Error(`staff.create ${input.username}: ${created.error.code} ${created.error.message}`);
  const session = memorySession();
  const login = await services.call('auth.login', { username: input.username, password: temporary }, { session });
  if (!login.ok) throw new Error(`auth.login ${input.username}: ${login.error.code}`);
  const changed = await services.call('auth.changePassword', { currentPassword: temporary, newPassword: input.password }, { session });
  if (!changed.ok) throw new Error(`auth.changePassword ${input.username}: ${changed.error.code} ${changed.error.message}`);
  await services.call('auth.logout', {}, { session });
}
