-- Sessions and personal access tokens: each user sees and ends only their own; token hashes are never readable.
alter table app_public.sessions enable row level security;
drop policy if exists select_own on app_public.sessions;
create policy select_own on app_public.sessions for select using (user_id = app_public.current_user_id());
drop policy if exists delete_own on app_public.sessions;
create policy delete_own on app_public.sessions for delete using (user_id = app_public.current_user_id());
revoke all on app_public.sessions from canopy_visitor, canopy_anonymous;
grant select (id, user_id, created_at, last_used_at, expires_at, ip, user_agent) on app_public.sessions
  to canopy_visitor, canopy_anonymous;
grant delete on app_public.sessions to canopy_visitor;

alter table app_public.personal_access_tokens enable row level security;
drop policy if exists select_own on app_public.personal_access_tokens;
create policy select_own on app_public.personal_access_tokens for select using (user_id = app_public.current_user_id());
drop policy if exists delete_own on app_public.personal_access_tokens;
create policy delete_own on app_public.personal_access_tokens for delete using (user_id = app_public.current_user_id());
revoke all on app_public.personal_access_tokens from canopy_visitor, canopy_anonymous;
grant select (id, user_id, name, token_prefix, created_at, last_used_at, expires_at)
  on app_public.personal_access_tokens to canopy_visitor, canopy_anonymous;
grant delete on app_public.personal_access_tokens to canopy_visitor;

revoke all on function app_public.create_personal_access_token(text, timestamptz) from public;
-- Anonymous callers may call it to be told UNAUTHENTICATED (its first check) rather than FORBIDDEN.
grant execute on function app_public.create_personal_access_token(text, timestamptz) to canopy_visitor, canopy_anonymous;
