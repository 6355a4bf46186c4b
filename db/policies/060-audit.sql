-- The audit log: owners and administrators read their organization's entries, users their own account's, platform
-- admins everything. Nobody writes it but the security definer triggers; nobody may change it.
alter table app_public.audit_events enable row level security;
drop policy if exists select_visible on app_public.audit_events;
create policy select_visible on app_public.audit_events for select using (
  (organization_id is not null and app_hidden.current_user_can_manage(organization_id))
  or (organization_id is null and user_id = app_public.current_user_id())
  or app_hidden.current_user_is_platform_admin()
);
revoke all on app_public.audit_events from canopy_visitor, canopy_anonymous;
grant select on app_public.audit_events to canopy_visitor, canopy_anonymous;
grant execute on function app_public.organization_audit_events(uuid, text, uuid, timestamptz, timestamptz)
  to canopy_visitor, canopy_anonymous;
