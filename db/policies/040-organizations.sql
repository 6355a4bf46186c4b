-- Members see their organizations, platform admins all. Owners and administrators rename; deleting is a job
-- (delete_organization), for owners only.
alter table app_public.organizations enable row level security;
drop policy if exists select_member on app_public.organizations;
create policy select_member on app_public.organizations for select using (
  id in (select app_public.current_user_member_organization_ids())
  or app_hidden.current_user_is_platform_admin()
);
drop policy if exists update_manager on app_public.organizations;
create policy update_manager on app_public.organizations for update using (app_hidden.current_user_can_manage(id));
drop policy if exists delete_owner on app_public.organizations;
revoke all on app_public.organizations from canopy_visitor, canopy_anonymous;
grant select on app_public.organizations to canopy_visitor, canopy_anonymous;
grant update (name, slug) on app_public.organizations to canopy_visitor;

-- Members see who else is in their organizations; changes go through the functions below.
alter table app_public.organization_memberships enable row level security;
drop policy if exists select_member on app_public.organization_memberships;
create policy select_member on app_public.organization_memberships for select using (
  organization_id in (select app_public.current_user_member_organization_ids())
  or app_hidden.current_user_is_platform_admin()
);
revoke all on app_public.organization_memberships from canopy_visitor, canopy_anonymous;
grant select on app_public.organization_memberships to canopy_visitor, canopy_anonymous;

revoke all on function app_public.create_organization(text, text) from public;
revoke all on function app_public.change_member_role(uuid, app_public.organization_role) from public;
revoke all on function app_public.remove_member(uuid) from public;
revoke all on function app_public.leave_organization(uuid) from public;
revoke all on function app_public.transfer_ownership(uuid, uuid) from public;
-- Anonymous callers are told UNAUTHENTICATED by the function itself.
grant execute on function app_public.create_organization(text, text) to canopy_anonymous;
grant execute on function
  app_public.create_organization(text, text),
  app_public.change_member_role(uuid, app_public.organization_role),
  app_public.remove_member(uuid),
  app_public.leave_organization(uuid),
  app_public.transfer_ownership(uuid, uuid)
to canopy_visitor;
