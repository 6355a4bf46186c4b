-- Extensions (citext, pgcrypto) live in public: the API roles may use them, never create anything there.
revoke all on schema public from public;
grant usage on schema public to canopy_visitor, canopy_anonymous;

-- Identity helpers: every role may ask who it is; the policies below call the rest.
revoke all on function app_public.current_user_id() from public;
revoke all on function app_public.current_session_id() from public;
revoke all on function app_public.current_user() from public;
revoke all on function app_public.current_user_member_organization_ids() from public;
revoke all on function app_hidden.current_user_is_platform_admin() from public;
revoke all on function app_hidden.current_user_role_in(uuid) from public;
revoke all on function app_hidden.current_user_can_manage(uuid) from public;
revoke all on function app_hidden.current_user_teammate_ids() from public;
grant execute on function
  app_public.current_user_id(),
  app_public.current_session_id(),
  app_public.current_user(),
  app_public.current_user_member_organization_ids(),
  app_hidden.current_user_is_platform_admin(),
  app_hidden.current_user_role_in(uuid),
  app_hidden.current_user_can_manage(uuid),
  app_hidden.current_user_teammate_ids()
to canopy_visitor, canopy_anonymous;
