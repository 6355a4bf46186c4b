-- Users see themselves and their teammates; platform admins see everyone. A user may rename only themselves.
alter table app_public.users enable row level security;
drop policy if exists select_visible on app_public.users;
create policy select_visible on app_public.users for select using (
  id = app_public.current_user_id()
  or id in (select app_hidden.current_user_teammate_ids())
  or app_hidden.current_user_is_platform_admin()
);
drop policy if exists update_self on app_public.users;
create policy update_self on app_public.users for update using (id = app_public.current_user_id());
revoke all on app_public.users from canopy_visitor, canopy_anonymous;
grant select on app_public.users to canopy_visitor, canopy_anonymous;
grant update (name) on app_public.users to canopy_visitor;

alter table app_private.user_secrets enable row level security;
alter table app_private.sign_in_failures enable row level security;
