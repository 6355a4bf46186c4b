-- What plans allow is public knowledge, as on any pricing page.
alter table app_public.plans enable row level security;
drop policy if exists select_all on app_public.plans;
create policy select_all on app_public.plans for select using (true);
revoke all on app_public.plans from canopy_visitor, canopy_anonymous;
grant select on app_public.plans to canopy_visitor, canopy_anonymous;

-- Members see their organizations' projects (tombstones included); every change goes through the functions below.
alter table app_public.projects enable row level security;
drop policy if exists select_member on app_public.projects;
create policy select_member on app_public.projects for select using (
  organization_id in (select app_public.current_user_member_organization_ids())
  or app_hidden.current_user_is_platform_admin()
);
revoke all on app_public.projects from canopy_visitor, canopy_anonymous;
grant select on app_public.projects to canopy_visitor, canopy_anonymous;

alter table app_private.clusters enable row level security;
alter table app_private.organization_databases enable row level security;
alter table app_private.project_secrets enable row level security;
alter table app_private.installation enable row level security;
alter table app_private.reconcile_reports enable row level security;
alter table app_private.project_usage enable row level security;
alter table app_private.worker_heartbeats enable row level security;

revoke all on function app_public.create_project(uuid, text, text) from public;
revoke all on function app_public.retry_project(uuid) from public;
revoke all on function app_public.pause_project(uuid) from public;
revoke all on function app_public.resume_project(uuid) from public;
revoke all on function app_public.delete_project(uuid) from public;
revoke all on function app_public.rotate_project_jwt_secret(uuid) from public;
revoke all on function app_public.reset_project_database_password(uuid) from public;
revoke all on function app_public.delete_organization(uuid) from public;
revoke all on function app_public.cluster_names() from public;
grant execute on function app_public.cluster_names() to canopy_visitor;
grant execute on function
  app_public.create_project(uuid, text, text),
  app_public.retry_project(uuid),
  app_public.pause_project(uuid),
  app_public.resume_project(uuid),
  app_public.delete_project(uuid),
  app_public.rotate_project_jwt_secret(uuid),
  app_public.reset_project_database_password(uuid),
  app_public.delete_organization(uuid)
to canopy_visitor;
