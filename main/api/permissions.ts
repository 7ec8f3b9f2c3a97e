// Roles and permissions: which role may do what. Every channel names one permission and main enforces it;
// the renderer only uses this table to hide what a user cannot do.

export const PERMISSIONS = [
  'status.read',
  'patients.view',
  'consents.view',
  'consents.grant',
  'consents.revoke',
  'consents.export',
  'imports.run',
  'imports.view',
  'credentials.view',
  'credentials.verify',
  'sync.view',
  'sync.run',
  'sync.configure',
  'audit.view',
  'settings.view',
  'settings.configure',
  'staff.manage',
  'sharing.view',
  'sharing.manage',
  'sharing.release',
  'claims.view',
  'claims.check',
  'claims.configure',
] as const;
export type Permission = (typeof PERMISSIONS)[number];

export const ROLES = ['records_clerk', 'records_manager', 'it_admin', 'auditor'] as const;
export type Role = (typeof ROLES)[number];

const clerk: Permission[] = ['status.read', 'patients.view', 'consents.view', 'consents.grant', 'credentials.view', 'imports.view', 'sync.view', 'sharing.view', 'sharing.release', 'claims.view', 'claims.check'];

export const ROLE_PERMISSIONS: Record<Role, ReadonlySet<Permission>> = {
  records_clerk: new Set(clerk),
  records_manager: new Set<Permission>([
    ...clerk,
    'consents.revoke',
    'consents.export',
    'imports.run',
    'credentials.verify',
    'sync.run',
    'audit.view',
    'settings.view',
    'sharing.view',
    'sharing.manage',
    'sharing.release',
    'claims.configure',
  ]),
  it_admin: new Set<Permission>([
    'status.read',
    'consents.view',
    'imports.view',
    'imports.run',
    'credentials.view',
    'credentials.verify',
    'sync.view',
    'sync.run',
    'sync.configure',
    'settings.view',
    'settings.configure',
    'staff.manage',
    'sharing.view',
    'sharing.manage',
    'claims.configure',
  ]),
  auditor: new Set<Permission>(['status.read', 'consents.view', 'imports.view', 'credentials.view', 'sync.view', 'audit.view', 'settings.view', 'sharing.view', 'claims.view']),
};

/**
 * What a channel requires: a permission of the caller's role, any signed-in staff member ('signed-in'), or
 * nothing ('public': set-up, sign-in, and the status bar, which shows no patient data).
 */
export type ChannelAccess = Permission | 'public' | 'signed-in';


/** Who is calling: a staff member once signed in, or nobody yet. */
export interface Principal {
  id: string;
  name: string;
  role: Role | 'anonymous';
}

export const ANONYMOUS: Principal = { id: 'anonymous', name: 'Not signed in', role: 'anonymous' };

export const ROLE_LABELS: Record<Role, string> = {
  records_clerk: 'Records clerk',
  records_manager: 'Records manager',
  it_admin: 'IT administrator',
  auditor: 'Auditor',
};
