/**
 * What each role may do to members, mirroring the SQL (db/migrations/committed/000003, 000004). The console only
 * hides what would be refused; the server decides and its refusal is shown where it happened.
 */
import type { Role } from '../../../layout/organization.tsx';

export const ROLES: Role[] = ['owner', 'administrator', 'developer', 'read_only'];

export const ROLE_LABELS: Record<Role, string> = {
  owner: 'Owner',
  administrator: 'Administrator',
  developer: 'Developer',
  read_only: 'Read-only',
};

export const roleLabel = (role: string) => ROLE_LABELS[role as Role] ?? role;

/** Roles the caller may give (in an invitation or a role change): administrators never make owners. */
export function assignableRoles(me: Role | null): Role[] {
  if (me === 'owner') return ROLES;
  if (me === 'administrator') return ROLES.filter((role) => role !== 'owner');
  return [];
}

/** Whether the caller may change or remove another member with this role. */
export function mayManageMember(me: Role | null, theirs: Role): boolean {
  return me === 'owner' || (me === 'administrator' && theirs !== 'owner');
}
