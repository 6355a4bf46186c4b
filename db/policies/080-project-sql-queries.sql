-- Saved SQL queries are private: a person sees and changes only their own, on projects they may see (the projects
-- policy decides), and saves new ones only as themselves.
alter table app_public.project_sql_queries enable row level security;
drop policy if exists select_own on app_public.project_sql_queries;
create policy select_own on app_public.project_sql_queries for select using (
  user_id = app_public.current_user_id() and project_id in (select id from app_public.projects)
);
drop policy if exists insert_own on app_public.project_sql_queries;
create policy insert_own on app_public.project_sql_queries for insert with check (
  user_id = app_public.current_user_id() and project_id in (select id from app_public.projects)
);
drop policy if exists update_own on app_public.project_sql_queries;
create policy update_own on app_public.project_sql_queries for update using (
  user_id = app_public.current_user_id() and project_id in (select id from app_public.projects)
);
drop policy if exists delete_own on app_public.project_sql_queries;
create policy delete_own on app_public.project_sql_queries for delete using (
  user_id = app_public.current_user_id() and project_id in (select id from app_public.projects)
);
revoke all on app_public.project_sql_queries from canopy_visitor, canopy_anonymous;
grant select on app_public.project_sql_queries to canopy_visitor, canopy_anonymous;
grant delete on app_public.project_sql_queries to canopy_visitor;
grant insert (project_id, name, sql) on app_public.project_sql_queries to canopy_visitor;
grant update (name, sql) on app_public.project_sql_queries to canopy_visitor;
