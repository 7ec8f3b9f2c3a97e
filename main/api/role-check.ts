// The permission check itself: does a role grant a channel's access? Its own module so that a dependency rule
// (.dependency-cruiser.cjs, permission-check-only-in-dispatcher) can keep it to the dispatcher in main/ (handlers ask
// through ctx.allows); the renderer imports it too, only to hide what a role cannot do (main enforces).
import { ROLE_PERMISSIONS, type ChannelAccess, type Role } from './permissions';

export function roleAllows(role: Role | 'anonymous', access: ChannelAccess): boolean {
  if (access === 'public') return true;
  if (role === 'anonymous') return false;
  if (access === 'signed-in') return true;
  return ROLE_PERMISSIONS[role].has(access);
}
