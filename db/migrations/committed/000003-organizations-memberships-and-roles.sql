--! Previous: sha1:45bbec2c455389af97e072e251cf6fa6140bdce1
--! Hash: sha1:3aa3e398dc64eb3026afae9ae6c6833467846036
--! Message: Organizations, memberships and roles

/*
 * Organizations and their members, with Supabase's roles. What each role may do is written down in README.md and
 * enforced here (functions) and in db/policies/ (row level security).
 */
create type app_public.organization_role as enum ('owner', 'administrator', 'developer', 'read_only');

create table app_public.organizations (
  id uuid primary key default gen_random_uuid(),
  ref text not null unique default app_hidden.new_ref(),
  slug citext not null unique
    constraint organizations_slug_valid check (slug ~ '^[a-z0-9-]{3,40}$'),
  name text not null
    constraint organizations_name_valid check (length(name) between 1 and 100 and name !~ '[[:cntrl:]]'),
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now()
);
comment on table app_public.organizations is E'@behavior -insert\nA team that holds projects.';
comment on column app_public.organizations.ref is
  'Opaque and immutable: names the organization''s database, so catalogs never show a slug or name.';
create trigger _100_timestamps before insert or update on app_public.organizations
  for each row execute procedure app_private.tg__timestamps();
create trigger _900_audit after insert or update or delete on app_public.organizations
  for each row execute procedure app_private.tg__audit('organization', 'id', '');

create table app_public.organization_memberships (
  id uuid primary key default gen_random_uuid(),
  organization_id uuid not null references app_public.organizations on delete cascade,
  user_id uuid not null references app_public.users on delete cascade,
  role app_public.organization_role not null,
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now(),
  unique (organization_id, user_id)
);
create index on app_public.organization_memberships (user_id);
comment on table app_public.organization_memberships is
  E'@behavior -insert -update -delete\nA user''s role in an organization.';
create trigger _100_timestamps before insert or update on app_public.organization_memberships
  for each row execute procedure app_private.tg__timestamps();
create trigger _900_audit after insert or update or delete on app_public.organization_memberships
  for each row execute procedure app_private.tg__audit('organization_membership', 'organization_id', 'user_id');

/* Set-returning helpers for policies: they read memberships as the owner, so policies never recurse. */
create function app_public.current_user_member_organization_ids() returns setof uuid as $$
  select organization_id from app_public.organization_memberships where user_id = app_public.current_user_id();
$$ language sql stable security definer set search_path to pg_catalog, public, pg_temp;
comment on function app_public.current_user_member_organization_ids() is '@behavior -queryField';

create function app_hidden.current_user_role_in(organization_id uuid) returns app_public.organization_role as $$
  select role from app_public.organization_memberships m
  where m.organization_id = current_user_role_in.organization_id and m.user_id = app_public.current_user_id();
$$ language sql stable security definer set search_path to pg_catalog, public, pg_temp;

create function app_hidden.current_user_can_manage(organization_id uuid) returns boolean as $$
  select coalesce(app_hidden.current_user_role_in(organization_id) in ('owner', 'administrator'), false);
$$ language sql stable;

/* Users who share an organization with the current user (so team members can see each other). */
create function app_hidden.current_user_teammate_ids() returns setof uuid as $$
  select user_id from app_public.organization_memberships
  where organization_id in (select app_public.current_user_member_organization_ids());
$$ language sql stable security definer set search_path to pg_catalog, public, pg_temp;

/* An organization always keeps at least one owner (checked after every change, unless the organization is gone). */
create function app_private.tg_organization_memberships__keep_an_owner() returns trigger as $$
begin
  if exists (select from app_public.organizations where id = old.organization_id)
    and not exists (
      select from app_public.organization_memberships
      where organization_id = old.organization_id and role = 'owner'
    )
  then
    raise exception 'An organization must keep at least one owner' using errcode = 'LASTO';
  end if;
  return null;
end;
$$ language plpgsql volatile security definer set search_path to pg_catalog, public, pg_temp;
create constraint trigger _500_keep_an_owner after update or delete on app_public.organization_memberships
  for each row execute procedure app_private.tg_organization_memberships__keep_an_owner();

create function app_public.create_organization(name text, slug text) returns app_public.organizations as $$
declare
  org app_public.organizations;
begin
  if app_public.current_user_id() is null then
    raise exception 'You must sign in first' using errcode = 'LOGIN';
  end if;
  insert into app_public.organizations (name, slug) values (name, slug) returning * into org;
  insert into app_public.organization_memberships (organization_id, user_id, role)
    values (org.id, app_public.current_user_id(), 'owner');
  return org;
end;
$$ language plpgsql volatile security definer set search_path to pg_catalog, public, pg_temp;
comment on function app_public.create_organization(text, text) is
  'Creates an organization with the current user as its owner.';

/*
 * Changes a member's role. Owners may change anyone's; administrators only between administrator, developer and
 * read-only, and not an owner's.
 */
create function app_public.change_member_role(membership_id uuid, role app_public.organization_role)
returns app_public.organization_memberships as $$
declare
  membership app_public.organization_memberships;
  my_role app_public.organization_role;
begin
  select * into membership from app_public.organization_memberships where id = membership_id;
  my_role := app_hidden.current_user_role_in(membership.organization_id);
  if my_role is null then
    raise exception 'No such membership' using errcode = 'NTFND';
  end if;
  if my_role not in ('owner', 'administrator')
    or (my_role = 'administrator' and (membership.role = 'owner' or change_member_role.role = 'owner'))
  then
    raise exception 'Only owners may change owners, and owners and administrators other roles' using errcode = 'DNIED';
  end if;
  update app_public.organization_memberships m set role = change_member_role.role
    where m.id = membership_id returning * into membership;
  return membership;
end;
$$ language plpgsql volatile security definer set search_path to pg_catalog, public, pg_temp;

/* Removes a member. Owners may remove anyone, administrators anyone but owners; everyone may remove themselves. */
create function app_public.remove_member(membership_id uuid) returns app_public.organization_memberships as $$
declare
  membership app_public.organization_memberships;
  my_role app_public.organization_role;
begin
  select * into membership from app_public.organization_memberships where id = membership_id;
  my_role := app_hidden.current_user_role_in(membership.organization_id);
  if my_role is null then
    raise exception 'No such membership' using errcode = 'NTFND';
  end if;
  if membership.user_id <> app_public.current_user_id()
    and (my_role not in ('owner', 'administrator') or (my_role = 'administrator' and membership.role = 'owner'))
  then
    raise exception 'Only owners may remove owners, and owners and administrators other members' using errcode = 'DNIED';
  end if;
  delete from app_public.organization_memberships where id = membership_id;
  return membership;
end;
$$ language plpgsql volatile security definer set search_path to pg_catalog, public, pg_temp;

create function app_public.leave_organization(organization_id uuid) returns app_public.organization_memberships as $$
  select app_public.remove_member(
    (select id from app_public.organization_memberships m
     where m.organization_id = leave_organization.organization_id and m.user_id = app_public.current_user_id())
  );
$$ language sql volatile;

/* The current owner hands ownership to another member and stays on as an administrator. */
create function app_public.transfer_ownership(organization_id uuid, to_user_id uuid)
returns app_public.organization_memberships as $$
declare
  membership app_public.organization_memberships;
begin
  if app_hidden.current_user_role_in(organization_id) is distinct from 'owner' then
    raise exception 'Only an owner may transfer ownership' using errcode = 'DNIED';
  end if;
  update app_public.organization_memberships m set role = 'owner'
    where m.organization_id = transfer_ownership.organization_id and m.user_id = to_user_id
    returning * into membership;
  if membership is null then
    raise exception 'That user is not a member of this organization' using errcode = 'NTFND';
  end if;
  update app_public.organization_memberships m set role = 'administrator'
    where m.organization_id = transfer_ownership.organization_id and m.user_id = app_public.current_user_id()
      and m.user_id <> to_user_id;
  return membership;
end;
$$ language plpgsql volatile security definer set search_path to pg_catalog, public, pg_temp;
