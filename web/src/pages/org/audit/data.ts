/** The audit log's data: pages of events newest first, and the members who may have done them. */

export interface AuditEvent {
  id: string;
  occurredAt: string;
  actorId: string | null;
  action: string;
  targetType: string;
  targetId: string | null;
  details: unknown;
  ip: string | null;
  userAgent: string | null;
}

export interface AuditPage {
  organizationAuditEvents: { totalCount: number; nodes: AuditEvent[] } | null;
}

export const PAGE_SIZE = 50;

/** Filtered in the database (app_public.organization_audit_events), newest first. */
export const AUDIT_EVENTS = `query AuditEvents($organizationId: UUID!, $action: String, $actorId: UUID, $after: Datetime, $before: Datetime, $first: Int!) {
  organizationAuditEvents(organizationId: $organizationId, action: $action, actorId: $actorId, occurredAfter: $after, occurredBefore: $before, first: $first) {
    totalCount
    nodes { id occurredAt actorId action targetType targetId details ip userAgent }
  }
}`;

export interface Teammate {
  userId: string;
  user: { email: string } | null;
}

export const TEAMMATES = `query AuditTeammates($organizationId: UUID!) {
  organization(id: $organizationId) { id organizationMemberships { nodes { id userId user { id email } } } }
}`;

export interface Filters {
  /** An action's start: 'project.' for every project action; '' for all. */
  action: string;
  /** A user id, or '' for anyone. */
  actor: string;
  /** yyyy-mm-dd, local days, inclusive. */
  from: string;
  to: string;
}

export const NO_FILTERS: Filters = { action: '', actor: '', from: '', to: '' };

/** What the audit log records of an organization, by the kind of thing changed (the actions' first part). */
export const ACTION_KINDS = [
  { value: 'organization.', label: 'Organization settings' },
  { value: 'organization_membership.', label: 'Members and roles' },
  { value: 'organization_invitation.', label: 'Invitations' },
  { value: 'project.', label: 'Projects' },
  { value: 'project_user.', label: 'Projects’ end users' },
];

const dayStart = (day: string, plusDays = 0) => {
  const date = new Date(`${day}T00:00:00`);
  date.setDate(date.getDate() + plusDays);
  return date.toISOString();
};

/** The query's variables for these filters: days are local, the end day included. */
export const filterVariables = (filters: Filters) => ({
  action: filters.action || null,
  actorId: filters.actor || null,
  after: filters.from ? dayStart(filters.from) : null,
  before: filters.to ? dayStart(filters.to, 1) : null,
});

export const hasFilters = (filters: Filters) => !!(filters.action || filters.actor || filters.from || filters.to);
