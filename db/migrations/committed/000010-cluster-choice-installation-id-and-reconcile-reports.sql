--! Previous: sha1:4d2cae9b6d4cf11b7bda539c0dea9307db8ea63a
--! Hash: sha1:28e411ea2a52decb369754323a171d1201ffdda1
--! Message: Cluster choice, installation id and reconcile reports

/*
 * Choosing a data cluster for an organization's database, rolling tenant SQL out to the fleet, and reconciling what
 * exists with what the control database says.
 */

/* Which Canopy this is: tenant objects are tagged with it, so that a reconcile never touches another installation's
   objects on a shared Postgres server or S3. */
create table app_private.installation (
  id uuid primary key default gen_random_uuid(),
  singleton boolean not null default true unique check (singleton)
);
insert into app_private.installation default values;

/* The cluster a project asked for at creation (a "region"); the organization's database decides in the end. */
alter table app_public.projects add column requested_cluster text;
comment on column app_public.projects.requested_cluster is
  'The data cluster asked for at creation. An organization''s projects all live in its one database.';

create function app_public.cluster_names() returns setof text as $$
  select name from app_private.clusters order by name;
$$ language sql stable security definer set search_path to pg_catalog, public, pg_temp;
comment on function app_public.cluster_names() is 'The data clusters (regions) a project can be created on.';

drop function app_public.create_project(uuid, text);
create function app_public.create_project(organization_id uuid, name text, cluster text default null)
returns app_public.projects as $$
declare
  project app_public.projects;
  plan app_public.plans;
  placed_on text;
begin
  if not app_hidden.current_user_can_manage(organization_id) then
    raise exception 'Only owners and administrators may create projects' using errcode = 'DNIED';
  end if;
  if (select o.deleting_at from app_public.organizations o where o.id = create_project.organization_id) is not null then
    raise exception 'The organization is being deleted' using errcode = 'STATE';
  end if;
  if cluster is not null then
    if not exists (select from app_private.clusters c where c.name = cluster) then
      raise exception 'There is no cluster named %', cluster using errcode = 'NTFND';
    end if;
    select c.name into placed_on from app_private.organization_databases d join app_private.clusters c on c.id = d.cluster_id
      where d.organization_id = create_project.organization_id;
    if placed_on is not null and placed_on <> cluster then
      raise exception 'This organization''s database is on the cluster %', placed_on using errcode = 'STATE';
    end if;
  end if;
  -- Serialize project creation per organization, so that the plan's limit holds under concurrency.
  perform from app_public.organizations o where o.id = create_project.organization_id for update;
  select p.* into plan from app_public.plans p join app_public.organizations o on o.plan_id = p.id
    where o.id = create_project.organization_id;
  if (select count(*) from app_public.projects p
      where p.organization_id = create_project.organization_id and p.status <> 'deleted') >= plan.max_projects then
    raise exception 'The % plan allows % projects per organization', plan.name, plan.max_projects using errcode = 'PLANL';
  end if;
  insert into app_public.projects (organization_id, name, requested_cluster) values (organization_id, name, cluster)
    returning * into project;
  perform app_private.enqueue_project_job('project__provision', project.id);
  return project;
end;
$$ language plpgsql volatile security definer set search_path to pg_catalog, public, pg_temp;
comment on function app_public.create_project(uuid, text, text) is
  'Creates a project, optionally on a given cluster; it is `provisioning` until the worker has made its database objects, then `active`.';

/* What each reconcile found (and, when asked to, repaired). */
create table app_private.reconcile_reports (
  id uuid primary key default gen_random_uuid(),
  created_at timestamptz not null default now(),
  repaired boolean not null,
  findings jsonb not null
);
