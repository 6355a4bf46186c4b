--! Previous: sha1:f10abe20726b5f6ef41950ea0827f75e6201472a
--! Hash: sha1:04187b375254f30dbf88caca4c36b5ff571bc376
--! Message: Projects, plans, clusters and organization databases

/*
 * Projects and where they live. A project's database objects are made by graphile-worker jobs
 * (worker/src/tasks/project__*.ts); these tables say what should exist and how far each job got.
 */

/* Plans and what they allow. Limits beyond projects are recorded now and enforced as the features arrive. */
create table app_public.plans (
  id text primary key,
  name text not null,
  max_projects int not null,
  max_database_bytes bigint,
  max_storage_bytes bigint,
  sort_order int not null
);
comment on table app_public.plans is E'@behavior -insert -update -delete\nWhat an organization''s plan allows.';
insert into app_public.plans (id, name, max_projects, max_database_bytes, max_storage_bytes, sort_order) values
  ('free', 'Free', 2, 500 * 1024 * 1024, 1024 * 1024 * 1024, 1),
  ('pro', 'Pro', 20, 8::bigint * 1024 * 1024 * 1024, 100::bigint * 1024 * 1024 * 1024, 2),
  ('enterprise', 'Enterprise', 1000, null, null, 3);

alter table app_public.organizations
  add column plan_id text not null default 'free' references app_public.plans on delete restrict;
create index on app_public.organizations (plan_id);

/*
 * Postgres servers that hold organization databases. The control cluster is always there (its admin connection is
 * the server's own ROOT_DATABASE_URL, so admin_url_sealed is null); operators add more. Admin URLs are sealed
 * (AES-256-GCM) by the server: the database never sees them in clear.
 */
create table app_private.clusters (
  id uuid primary key default gen_random_uuid(),
  name text not null unique constraint clusters_name_valid check (name ~ '^[a-z0-9-]{1,40}$'),
  admin_url_sealed text,
  max_databases int not null default 1000 check (max_databases >= 0),
  created_at timestamptz not null default now()
);
insert into app_private.clusters (name) values ('control');

/* Each organization's database, once its first project is provisioned. */
create table app_private.organization_databases (
  organization_id uuid primary key references app_public.organizations on delete restrict,
  cluster_id uuid not null references app_private.clusters on delete restrict,
  authenticator_password_sealed text not null,
  created_at timestamptz not null default now()
);
create index on app_private.organization_databases (cluster_id);

create type app_public.project_status as enum (
  'provisioning', 'active', 'failed', 'pausing', 'paused', 'resuming', 'deleting', 'deleted'
);

create table app_public.projects (
  id uuid primary key default gen_random_uuid(),
  organization_id uuid not null references app_public.organizations on delete cascade,
  ref text not null unique default app_hidden.new_ref(),
  name text not null constraint projects_name_valid check (length(name) between 1 and 100 and name !~ '[[:cntrl:]]'),
  status app_public.project_status not null default 'provisioning',
  status_reason text,
  -- Provisioning progress: [{"step": "database", "at": "…"}, …], in order.
  steps jsonb not null default '[]',
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now(),
  deleted_at timestamptz
);
create index on app_public.projects (organization_id);
comment on table app_public.projects is
  E'@behavior -insert -delete\nA project: its own schema, roles, keys and bucket in its organization''s database.';
comment on column app_public.projects.ref is 'Opaque and immutable: names the project''s schemas, roles and bucket.';
comment on column app_public.projects.steps is 'Provisioning steps done so far, with their times.';
create trigger _100_timestamps before insert or update on app_public.projects
  for each row execute procedure app_private.tg__timestamps();
create trigger _900_audit after insert or update of name, status, deleted_at or delete on app_public.projects
  for each row execute procedure app_private.tg__audit('project', 'organization_id', '');

/* Progress is announced too (it is not audited: the audit entries are the status changes). */
create function app_private.tg_projects__announce_progress() returns trigger as $$
begin
  perform pg_notify('canopy:organization:' || new.organization_id,
    json_build_object('action', 'project.progressed', 'targetType', 'project', 'organizationId', new.organization_id)::text);
  return null;
end;
$$ language plpgsql volatile security definer set search_path to pg_catalog, public, pg_temp;
create trigger _910_announce_progress after update of steps on app_public.projects
  for each row execute procedure app_private.tg_projects__announce_progress();

/* Secrets of a project, sealed by the worker. The API keys are JWTs signed with the JWT secret, issued at keys_issued_at. */
create table app_private.project_secrets (
  project_id uuid primary key references app_public.projects on delete cascade,
  owner_password_sealed text not null,
  jwt_secret_sealed text,
  keys_issued_at timestamptz
);

-- plpgsql, not sql: its body is checked when called, so migrations run where graphile_worker is not installed yet.
create function app_private.enqueue_project_job(task text, project_id uuid) returns void as $$
begin
  perform graphile_worker.add_job(task, json_build_object('id', project_id), job_key := task || ':' || project_id,
                                  max_attempts := 5);
end;
$$ language plpgsql volatile security definer set search_path to pg_catalog, public, pg_temp;

create function app_public.create_project(organization_id uuid, name text) returns app_public.projects as $$
declare
  project app_public.projects;
  plan app_public.plans;
begin
  if not app_hidden.current_user_can_manage(organization_id) then
    raise exception 'Only owners and administrators may create projects' using errcode = 'DNIED';
  end if;
  if (select o.deleting_at from app_public.organizations o where o.id = create_project.organization_id) is not null then
    raise exception 'The organization is being deleted' using errcode = 'STATE';
  end if;
  -- Serialize project creation per organization, so that the plan's limit holds under concurrency.
  perform from app_public.organizations o where o.id = create_project.organization_id for update;
  select p.* into plan from app_public.plans p join app_public.organizations o on o.plan_id = p.id
    where o.id = create_project.organization_id;
  if (select count(*) from app_public.projects p
      where p.organization_id = create_project.organization_id and p.status <> 'deleted') >= plan.max_projects then
    raise exception 'The % plan allows % projects per organization', plan.name, plan.max_projects using errcode = 'PLANL';
  end if;
  insert into app_public.projects (organization_id, name) values (organization_id, name) returning * into project;
  perform app_private.enqueue_project_job('project__provision', project.id);
  return project;
end;
$$ language plpgsql volatile security definer set search_path to pg_catalog, public, pg_temp;
comment on function app_public.create_project(uuid, text) is
  'Creates a project; it is `provisioning` until the worker has made its database objects, then `active`.';

/* Lifecycle: each change is a job; the row's status says where it is. Owners and administrators decide. */
create function app_private.project_for_manager(project_id uuid) returns app_public.projects as $$
declare
  project app_public.projects;
begin
  select * into project from app_public.projects where id = project_id;
  if project is null or app_hidden.current_user_role_in(project.organization_id) is null then
    raise exception 'No such project' using errcode = 'NTFND';
  end if;
  if not app_hidden.current_user_can_manage(project.organization_id) then
    raise exception 'Only owners and administrators may do that to a project' using errcode = 'DNIED';
  end if;
  return project;
end;
$$ language plpgsql stable security definer set search_path to pg_catalog, public, pg_temp;

/* Moves a project from one of `from_statuses` to `to_status` and enqueues the job that does the work. */
create function app_private.transition_project(
  project_id uuid, from_statuses app_public.project_status[], to_status app_public.project_status, task text
) returns app_public.projects as $$
declare
  project app_public.projects := app_private.project_for_manager(project_id);
begin
  if project.status <> all (from_statuses) then
    raise exception 'The project is %, so that cannot be done now', project.status using errcode = 'STATE';
  end if;
  update app_public.projects p set status = to_status, status_reason = null
    where p.id = project_id returning * into project;
  perform app_private.enqueue_project_job(task, project_id);
  return project;
end;
$$ language plpgsql volatile security definer set search_path to pg_catalog, public, pg_temp;

create function app_public.retry_project(project_id uuid) returns app_public.projects as $$
  select app_private.transition_project(project_id, '{failed}', 'provisioning', 'project__provision');
$$ language sql volatile;
comment on function app_public.retry_project(uuid) is 'Provisions a failed project again.';

create function app_public.pause_project(project_id uuid) returns app_public.projects as $$
  select app_private.transition_project(project_id, '{active}', 'pausing', 'project__pause');
$$ language sql volatile;
comment on function app_public.pause_project(uuid) is
  'Pauses a project: its roles can no longer log in or be used and its APIs answer 503 PROJECT_PAUSED.';

create function app_public.resume_project(project_id uuid) returns app_public.projects as $$
  select app_private.transition_project(project_id, '{paused}', 'resuming', 'project__resume');
$$ language sql volatile;

create function app_public.delete_project(project_id uuid) returns app_public.projects as $$
  select app_private.transition_project(project_id, '{active,paused,failed}', 'deleting', 'project__delete');
$$ language sql volatile;
comment on function app_public.delete_project(uuid) is
  'Deletes a project''s schemas, roles and bucket; the row stays as a tombstone for the audit log.';

/* Credential changes keep the project active: they are jobs too, but the status does not move. */
create function app_private.enqueue_credential_change(project_id uuid, task text) returns boolean as $$
declare
  project app_public.projects := app_private.project_for_manager(project_id);
begin
  if project.status not in ('active', 'paused') then
    raise exception 'The project is %, so that cannot be done now', project.status using errcode = 'STATE';
  end if;
  perform app_private.enqueue_project_job(task, project_id);
  perform app_private.audit(replace(task, '__', '.'), 'project', project_id::text, project.organization_id);
  return true;
end;
$$ language plpgsql volatile security definer set search_path to pg_catalog, public, pg_temp;

create function app_public.rotate_project_jwt_secret(project_id uuid) returns boolean as $$
  select app_private.enqueue_credential_change(project_id, 'project__rotate_jwt_secret');
$$ language sql volatile;
comment on function app_public.rotate_project_jwt_secret(uuid) is
  'A new JWT secret and new API keys; the old keys and every end-user token signed with the old secret stop working.';

create function app_public.reset_project_database_password(project_id uuid) returns boolean as $$
  select app_private.enqueue_credential_change(project_id, 'project__reset_database_password');
$$ language sql volatile;

/* Deleting an organization deletes its projects and its database first (a job), then the row. */
alter table app_public.organizations add column deleting_at timestamptz;
comment on column app_public.organizations.deleting_at is 'Set while the organization and everything it holds is being deleted.';

create function app_public.delete_organization(organization_id uuid) returns app_public.organizations as $$
declare
  org app_public.organizations;
begin
  if app_hidden.current_user_role_in(organization_id) is distinct from 'owner' then
    raise exception 'Only an owner may delete an organization' using errcode = 'DNIED';
  end if;
  update app_public.organizations o set deleting_at = coalesce(o.deleting_at, now())
    where o.id = organization_id returning * into org;
  perform graphile_worker.add_job('organization__delete', json_build_object('id', organization_id),
                                  job_key := 'organization__delete:' || organization_id, max_attempts := 5);
  return org;
end;
$$ language plpgsql volatile security definer set search_path to pg_catalog, public, pg_temp;
comment on function app_public.delete_organization(uuid) is
  'Deletes the organization with all its projects and its database (a job; `deletingAt` is set meanwhile).';
