--! Previous: sha1:712ff01c4fc4cf9b83a7c9341564d16d0731c778
--! Hash: sha1:4b4bcc8d730919baf1e92cfdb0f2b2e2b6a752ce
--! Message: The audit log filtered in the database

/*
 * The console's audit log, filtered where the data is: an organization's entries, newest first, narrowed by an
 * action (or its start: 'project.' for every project action), an actor and a time range, with paging by the API.
 * Security invoker: the audit log's own policy decides what the caller sees (owners and administrators).
 */
create or replace function app_public.organization_audit_events(
  organization_id uuid,
  action text default null,
  actor_id uuid default null,
  occurred_after timestamptz default null,
  occurred_before timestamptz default null
) returns setof app_public.audit_events as $$
  select e.* from app_public.audit_events e
  where e.organization_id = organization_audit_events.organization_id
    and (organization_audit_events.action is null or starts_with(e.action, organization_audit_events.action))
    and (organization_audit_events.actor_id is null or e.actor_id = organization_audit_events.actor_id)
    and (occurred_after is null or e.occurred_at >= occurred_after)
    and (occurred_before is null or e.occurred_at < occurred_before)
  order by e.occurred_at desc, e.id desc
$$ language sql stable set search_path to pg_catalog, public, pg_temp;
comment on function app_public.organization_audit_events(uuid, text, uuid, timestamptz, timestamptz) is
  E'An organization''s audit log, newest first: `action` matches an action or its start (''project.''), `actor_id` who did it, `occurredAfter` inclusive and `occurredBefore` exclusive.';
