--! Previous: sha1:28e411ea2a52decb369754323a171d1201ffdda1
--! Hash: sha1:b267dd0398212450158f501ce8ee69878fdc161c
--! Message: Announce project changes to the API caches

/*
 * The project APIs cache what they know of a project (status, keys, database): any change to a project or its
 * secrets is announced on `canopy:projects` with the project's ref, and the servers forget that entry.
 */
create function app_private.tg_projects__announce_change() returns trigger as $$
begin
  perform pg_notify('canopy:projects', (case when tg_op = 'DELETE' then old.ref else new.ref end));
  return null;
end;
$$ language plpgsql volatile security definer set search_path to pg_catalog, public, pg_temp;
create trigger _920_announce_change after insert or update or delete on app_public.projects
  for each row execute procedure app_private.tg_projects__announce_change();

create function app_private.tg_project_secrets__announce_change() returns trigger as $$
begin
  perform pg_notify('canopy:projects', (
    select ref from app_public.projects where id = (case when tg_op = 'DELETE' then old.project_id else new.project_id end)
  ));
  return null;
end;
$$ language plpgsql volatile security definer set search_path to pg_catalog, public, pg_temp;
create trigger _920_announce_change after insert or update or delete on app_private.project_secrets
  for each row execute procedure app_private.tg_project_secrets__announce_change();
