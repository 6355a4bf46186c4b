--! Previous: sha1:4d891a4df095a10ded27369121314bed5703d595
--! Hash: sha1:c9997548276d13babcabd7ecbd4695d5f8efffaf
--! Message: Announce audited changes to subscribers

/*
 * Every audited change is also announced, so that open consoles update without a reload: on
 * `canopy:organization:<id>` for the organization's members (GraphQL `organizationEvents`) and on
 * `canopy:user:<id>` for the account it concerns (`currentUserEvents`). The payload names what changed, never data:
 * subscribers read the data again through their own RLS.
 */
create or replace function app_private.audit(
  action text,
  target_type text,
  target_id text,
  organization_id uuid default null,
  user_id uuid default null,
  details jsonb default '{}'
) returns void as $$
begin
  insert into app_public.audit_events (actor_id, organization_id, user_id, action, target_type, target_id, details, ip, user_agent)
  values (
    app_public.current_user_id(), organization_id, user_id, action, target_type, target_id, details,
    nullif(pg_catalog.current_setting('canopy.client_ip', true), '')::inet,
    left(nullif(pg_catalog.current_setting('canopy.user_agent', true), ''), 512)
  );
  if organization_id is not null then
    perform pg_notify('canopy:organization:' || organization_id,
      json_build_object('action', action, 'targetType', target_type, 'organizationId', organization_id)::text);
  end if;
  if user_id is not null then
    perform pg_notify('canopy:user:' || user_id,
      json_build_object('action', action, 'targetType', target_type, 'organizationId', organization_id)::text);
  end if;
end;
$$ language plpgsql volatile security definer set search_path to pg_catalog, public, pg_temp;
