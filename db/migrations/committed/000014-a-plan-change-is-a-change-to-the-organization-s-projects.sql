--! Previous: sha1:96fc82c7e2e81488019bc5a00d761939d42e8530
--! Hash: sha1:33bcb9ef1a6de5f6ac5e54b7622073191241018d
--! Message: A plan change is a change to the organization's projects

/* An organization's plan decides its projects' API rates: changing it is a change to each of its projects. */
create function app_private.tg_organizations__announce_plan_change() returns trigger as $$
begin
  perform pg_notify('canopy:projects', p.ref) from app_public.projects p where p.organization_id = new.id;
  return null;
end;
$$ language plpgsql volatile security definer set search_path to pg_catalog, public, pg_temp;
create trigger _920_announce_plan_change after update of plan_id on app_public.organizations
  for each row execute procedure app_private.tg_organizations__announce_plan_change();
