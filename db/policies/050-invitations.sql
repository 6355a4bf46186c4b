-- Members see their organizations' invitations (never the token); the functions decide who may change them.
alter table app_public.organization_invitations enable row level security;
drop policy if exists select_member on app_public.organization_invitations;
create policy select_member on app_public.organization_invitations for select using (
  organization_id in (select app_public.current_user_member_organization_ids())
  or app_hidden.current_user_is_platform_admin()
);
revoke all on app_public.organization_invitations from canopy_visitor, canopy_anonymous;
grant select (id, organization_id, email, role, status, invited_by, created_at, updated_at, expires_at)
  on app_public.organization_invitations to canopy_visitor, canopy_anonymous;

alter table app_private.mails enable row level security;

revoke all on function app_public.invite_to_organization(uuid, text, app_public.organization_role) from public;
revoke all on function app_public.revoke_organization_invitation(uuid) from public;
revoke all on function app_public.organization_invitation_by_token(text) from public;
revoke all on function app_public.accept_organization_invitation(text) from public;
revoke all on function app_public.decline_organization_invitation(text) from public;
-- Anonymous callers are told UNAUTHENTICATED by the function itself.
grant execute on function app_public.accept_organization_invitation(text) to canopy_anonymous;
grant execute on function
  app_public.invite_to_organization(uuid, text, app_public.organization_role),
  app_public.revoke_organization_invitation(uuid),
  app_public.accept_organization_invitation(text),
  app_public.decline_organization_invitation(text)
to canopy_visitor;
-- Anyone holding a token may see what it invites to, before signing up.
grant execute on function app_public.organization_invitation_by_token(text) to canopy_visitor, canopy_anonymous;
