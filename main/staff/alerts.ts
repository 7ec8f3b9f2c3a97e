// Alerts for the auditor: account management by an IT admin that could hand someone (the admin included) patient
// access. Chosen over a second administrator's approval because a small records office may have one IT admin;
// the alert is detective, not preventive, and is written in the same transaction as the change it reports.
import type { StaffAlert } from '../api/auth';
import { ROLE_PERMISSIONS, ROLES, type Role } from '../api/permissions';
import type { Db } from '../db/connection';

/** Roles that see patient identity: giving one of them out is what the auditor must hear about. */
export const PATIENT_ACCESS_ROLES: ReadonlySet<Role> = new Set(ROLES.filter((r) => ROLE_PERMISSIONS[r].has('patients.view')));

export interface AlertInput {
  kind: StaffAlert['kind'];
  actor: { id: string; name: string };
  target: { id: string; username: string; role: Role };
}

export function raiseStaffAlert(db: Db, a: AlertInput): void {
  db.prepare('INSERT INTO staff_alerts (kind, actor_id, actor_name, target_staff_id, target_username, role) VALUES (?, ?, ?, ?, ?, ?)').run(
    a.kind,
    a.actor.id,
    a.actor.name,
    a.target.id,
    a.target.username,
    a.target.role,
  );
}

interface AlertRow {
  id: number;
  kind: StaffAlert['kind'];
  actor_id: string;
  actor_name: string;
  target_staff_id: string;
  target_username: string;
  role: Role;
  created_at: string;
}

export function listStaffAlerts(db: Db, limit = 500): StaffAlert[] {
  return (db.prepare('SELECT * FROM staff_alerts ORDER BY id DESC LIMIT ?').all(limit) as AlertRow[]).map((r) => ({
    id: r.id,
    kind: r.kind,
    actorId: r.actor_id,
    actorName: r.actor_name,
    targetStaffId: r.target_staff_id,
    targetUsername: r.target_username,
    role: r.role,
    createdAt: r.created_at,
  }));
}
