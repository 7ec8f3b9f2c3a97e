// Roles and permissions as staff read them: what each permission lets a person do, and what each role is for.
// The table itself (which role holds which permission) comes from the API contract, main/api/permissions.ts.
import { PERMISSIONS, ROLE_PERMISSIONS, type Permission, type Role } from '../../../main/api/permissions';

export const PERMISSION_LABELS: Record<Permission, string> = {
  'status.read': 'See workstation status and background jobs',
  'patients.view': 'See patient identity (name, MRN, birth date, codes)',
  'consents.view': 'View consents',
  'consents.grant': 'Record a new consent',
  'consents.revoke': 'Revoke a consent',
  'consents.export': 'Export consents (FHIR)',
  'imports.run': 'Run and cancel imports',
  'imports.view': 'View imports and their rejects',
  'credentials.view': 'View staff credentials',
  'credentials.verify': 'Verify credentials',
  'sync.view': 'View sync to the chain',
  'sync.run': 'Send to the chain now, seal audit batches',
  'sync.configure': 'Configure the chain connection',
  'audit.view': 'Read the audit trail, verify it, review break-glass access',
  'settings.view': 'View settings',
  'settings.configure': 'Change settings',
  'staff.manage': 'Manage staff accounts and roles',
  'sharing.view': 'View sharing agreements, release requests and the release log',
  'sharing.manage': 'Propose, sign and terminate sharing agreements',
  'sharing.release': 'Decide release-of-information requests from partners',
  'claims.view': 'View insurance claims and their pre-check verdicts',
  'claims.check': 'Pre-check and submit insurance claims',
  'claims.configure': "Set which account answers for a payer's claims",
};

/** Groups of permissions for the reference table, in the order the navigation lists the screens. */
export const PERMISSION_GROUPS: readonly { label: string; permissions: readonly Permission[] }[] = [
  { label: 'Overview', permissions: ['status.read'] },
  { label: 'Patients and consents', permissions: ['patients.view', 'consents.view', 'consents.grant', 'consents.revoke', 'consents.export'] },
  { label: 'Claims', permissions: ['claims.view', 'claims.check', 'claims.configure'] },
  { label: 'Imports', permissions: ['imports.view', 'imports.run'] },
  { label: 'Credentials', permissions: ['credentials.view', 'credentials.verify'] },
  { label: 'Sharing', permissions: ['sharing.view', 'sharing.manage', 'sharing.release'] },
  { label: 'Sync', permissions: ['sync.view', 'sync.run', 'sync.configure'] },
  { label: 'Audit', permissions: ['audit.view'] },
  { label: 'Administration', permissions: ['settings.view', 'settings.configure', 'staff.manage'] },
];

export const ROLE_DESCRIPTIONS: Record<Role, string> = {
  records_clerk: 'Day-to-day records work: views patients and consents, records new consents.',
  records_manager: 'A clerk’s work plus revoking and exporting consents, imports, credential checks, sending to the chain and reading the audit trail.',
  it_admin: 'Staff accounts, roles, chain and workstation configuration. Does not see patient records or the audit trail.',
  auditor: 'Reads the audit trail, verifies its integrity and reviews break-glass access; read-only everywhere else.',
};

export function permissionLabel(permission: string): string {
  return (PERMISSION_LABELS as Record<string, string | undefined>)[permission] ?? permission;
}

/** What a staff member gains and loses when moving from one role to another, in the reference table's order. */
export function roleChange(from: Role, to: Role): { gains: Permission[]; loses: Permission[] } {
  const before = ROLE_PERMISSIONS[from];
  const after = ROLE_PERMISSIONS[to];
  return { gains: PERMISSIONS.filter((p) => after.has(p) && !before.has(p)), loses: PERMISSIONS.filter((p) => before.has(p) && !after.has(p)) };
}
