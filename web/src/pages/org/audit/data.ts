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
  auditEvents: {
    totalCount: number;
    pageInfo: { hasNextPage: boolean; endCursor: string | null };
    edges: { cursor: string; node: AuditEvent }[];
  } | null;
}

export const PAGE_SIZE = 50;

// The API has no `filter` argument (no connection-filter plugin): the organization is a condition and the order is
// the indexed (organization_id, occurred_at desc); narrowing by action, actor and date happens in the page.
export const AUDIT_EVENTS = `query AuditEvents($organizationId: UUID!, $first: Int!, $after: Cursor) {
  auditEvents(
    condition: { organizationId: $organizationId }
    orderBy: [OCCURRED_AT_DESC, ID_DESC]
    first: $first
    after: $after
  ) {
    totalCount
    pageInfo { hasNextPage endCursor }
    edges { cursor node { id occurredAt actorId action targetType targetId details ip userAgent } }
  }
}`;

export interface Teammate {
  userId: string;
  user: { email: string } | null;
}

export const TEAMMATES = `query AuditTeammates($organizationId: UUID!) {
  organization(id: $organizationId) { id organizationMemberships { nodes { id userId user { id email } } } }
}`;

/** Newest first; ties (one transaction's events) by id, newest first too. */
export const newestFirst = (a: AuditEvent, b: AuditEvent) =>
  b.occurredAt.localeCompare(a.occurredAt) || Number(b.id) - Number(a.id);

export interface Filters {
  action: string;
  /** A user id, SYSTEM for events without an actor, or '' for anyone. */
  actor: string;
  /** yyyy-mm-dd, local days, inclusive. */
  from: string;
  to: string;
}

export const SYSTEM = 'system';
export const NO_FILTERS: Filters = { action: '', actor: '', from: '', to: '' };

const dayStart = (day: string, plusDays = 0) => {
  const date = new Date(`${day}T00:00:00`);
  date.setDate(date.getDate() + plusDays);
  return date.getTime();
};

export function matches(event: AuditEvent, filters: Filters): boolean {
  if (filters.action && event.action !== filters.action) return false;
  if (filters.actor === SYSTEM ? event.actorId !== null : filters.actor && event.actorId !== filters.actor) return false;
  const at = new Date(event.occurredAt).getTime();
  if (filters.from && at < dayStart(filters.from)) return false;
  if (filters.to && at >= dayStart(filters.to, 1)) return false;
  return true;
}

export const hasFilters = (filters: Filters) => !!(filters.action || filters.actor || filters.from || filters.to);
