--! Previous: sha1:b0ccd9b6ff89242085a26f86b7b9a7bb013f303b
--! Hash: sha1:712ff01c4fc4cf9b83a7c9341564d16d0731c778
--! Message: Reads are not announced; changes of credentials and of project data are

/*
 * What consoles are told, and what they are not.
 *
 * Revealing a project's credentials, and running SQL in its database, are audited but not announced: an
 * announcement makes every open console re-read what it shows, and a console that reveals the keys again (or runs
 * its SQL again) on each announcement would never stop. Announced instead, without an audit entry: a change of the
 * credentials themselves (a new JWT secret and keys, a new database password, done by the worker) as
 * `project.credentials_changed`, and SQL that wrote to a project's database, after it ran, as
 * `project.data_changed` (server/src/projects/sql.ts).
 */
create or replace function app_private.audit(
  action text,
  target_type text,
  target_id text,
  organization_id uuid default null,
  user_id uuid default null,
  details jsonb default '{}'
) returns void as $$
begin
  insert into app_public.audit_events (actor_id, organization_id, user_id, action, target_type, target_id, details, ip, user_agent)
  values (
    app_public.current_user_id(), organization_id, user_id, action, target_type, target_id, details,
    nullif(pg_catalog.current_setting('canopy.client_ip', true), '')::inet,
    left(nullif(pg_catalog.current_setting('canopy.user_agent', true), ''), 512)
  );
  if action like '%\_revealed' or action = 'project.sql_executed' then
    return;
  end if;
  if organization_id is not null then
    perform pg_notify('canopy:organization:' || organization_id,
      json_build_object('action', action, 'targetType', target_type, 'organizationId', organization_id)::text);
  end if;
  if user_id is not null then
    perform pg_notify('canopy:user:' || user_id,
      json_build_object('action', action, 'targetType', target_type, 'organizationId', organization_id)::text);
  end if;
end;
$$ language plpgsql volatile security definer set search_path to pg_catalog, public, pg_temp;

create or replace function app_private.tg_project_secrets__announce_to_consoles() returns trigger as $$
begin
  perform pg_notify('canopy:organization:' || p.organization_id,
    json_build_object('action', 'project.credentials_changed', 'targetType', 'project', 'organizationId', p.organization_id)::text)
  from app_public.projects p where p.id = new.project_id;
  return null;
end;
$$ language plpgsql volatile security definer set search_path to pg_catalog, public, pg_temp;
drop trigger if exists _910_announce_to_consoles on app_private.project_secrets;
create trigger _910_announce_to_consoles after update of jwt_secret_sealed, owner_password_sealed on app_private.project_secrets
  for each row execute procedure app_private.tg_project_secrets__announce_to_consoles();
