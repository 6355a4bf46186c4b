/** The members page's data: one live query for the organization's members and its invitations. */
import type { Role } from '../../../layout/organization.tsx';

export interface Member {
  id: string;
  role: Role;
  createdAt: string;
  userId: string;
  user: { id: string; email: string; name: string | null } | null;
}

export interface Invitation {
  id: string;
  organizationId: string;
  email: string;
  role: Role;
  status: 'pending' | 'accepted' | 'declined' | 'revoked';
  createdAt: string;
  expiresAt: string;
  userByInvitedBy: { email: string } | null;
}

export interface MembersData {
  organization: { id: string; organizationMemberships: { nodes: Member[] } } | null;
  organizationInvitations: { nodes: Invitation[] } | null;
}

// Invitations have no organizationId condition in the API (no index on that column alone), so this reads the
// invitations of every organization the caller is in and the page keeps this one's.
export const MEMBERS = `query Members($organizationId: UUID!) {
  organization(id: $organizationId) {
    id
    organizationMemberships(orderBy: PRIMARY_KEY_ASC) {
      nodes { id role createdAt userId user { id email name } }
    }
  }
  organizationInvitations(orderBy: PRIMARY_KEY_ASC) {
    nodes { id organizationId email role status createdAt expiresAt userByInvitedBy { email } }
  }
}`;

export const INVITE = `mutation Invite($input: InviteToOrganizationInput!) {
  inviteToOrganization(input: $input) { result { id email role expiresAt } }
}`;
export const REVOKE_INVITATION = `mutation RevokeInvitation($id: UUID!) {
  revokeOrganizationInvitation(input: { invitationId: $id }) { result { id status } }
}`;
export const CHANGE_ROLE = `mutation ChangeMemberRole($id: UUID!, $role: OrganizationRole!) {
  changeMemberRole(input: { membershipId: $id, role: $role }) { result { id role } }
}`;
export const REMOVE_MEMBER = `mutation RemoveMember($id: UUID!) {
  removeMember(input: { membershipId: $id }) { result { id } }
}`;
export const LEAVE = `mutation LeaveOrganization($organizationId: UUID!) {
  leaveOrganization(input: { organizationId: $organizationId }) { result { id } }
}`;
export const TRANSFER = `mutation TransferOwnership($organizationId: UUID!, $userId: UUID!) {
  transferOwnership(input: { organizationId: $organizationId, toUserId: $userId }) { result { id role } }
}`;

const ROLE_ORDER: Record<Role, number> = { owner: 0, administrator: 1, developer: 2, read_only: 3 };

/** Owners first, then by email: the people who decide are at the top. */
export const byRoleThenEmail = (a: Member, b: Member) =>
  ROLE_ORDER[a.role] - ROLE_ORDER[b.role] || (a.user?.email ?? '').localeCompare(b.user?.email ?? '');

export const memberLabel = (member: Member) => member.user?.email ?? 'a former teammate';

export const isExpired = (invitation: Invitation) => new Date(invitation.expiresAt).getTime() <= Date.now();

const dayFormat = new Intl.DateTimeFormat(undefined, { dateStyle: 'medium' });

/** A day without the time, for when someone joined. */
export const formatDay = (value: string) => dayFormat.format(new Date(value));
