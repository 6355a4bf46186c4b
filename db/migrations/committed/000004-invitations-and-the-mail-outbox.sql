--! Previous: sha1:3aa3e398dc64eb3026afae9ae6c6833467846036
--! Hash: sha1:4d891a4df095a10ded27369121314bed5703d595
--! Message: Invitations and the mail outbox

/*
 * Mail. Functions queue a mail in the outbox; the worker's `mail__send` job delivers it over SMTP when one is set
 * up. Without SMTP (development) the outbox row is the delivered mail, which tests and platform admins read.
 */
create table app_private.mails (
  id uuid primary key default gen_random_uuid(),
  recipient citext not null,
  template text not null,
  variables jsonb not null default '{}',
  created_at timestamptz not null default now(),
  sent_at timestamptz
);
create index on app_private.mails (recipient, created_at desc);

create function app_private.tg_mails__send() returns trigger as $$
begin
  perform graphile_worker.add_job('mail__send', json_build_object('id', new.id), job_key := 'mail:' || new.id);
  return null;
end;
$$ language plpgsql volatile security definer set search_path to pg_catalog, public, pg_temp;
create trigger _500_send after insert on app_private.mails
  for each row execute procedure app_private.tg_mails__send();

/*
 * Invitations: to an email, with a role, by a token that is mailed, expires after 24 hours and works once. Only the
 * token's hash is kept. Inviting the same email again replaces the pending invitation (a resend).
 */
create type app_public.invitation_status as enum ('pending', 'accepted', 'declined', 'revoked');

create table app_public.organization_invitations (
  id uuid primary key default gen_random_uuid(),
  organization_id uuid not null references app_public.organizations on delete cascade,
  email citext not null
    constraint organization_invitations_email_valid check (length(email) <= 254 and email ~ '^[^@\s]+@[^@\s]+\.[^@\s]+$'),
  role app_public.organization_role not null,
  status app_public.invitation_status not null default 'pending',
  token_hash bytea not null unique,
  invited_by uuid references app_public.users on delete set null,
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now(),
  expires_at timestamptz not null default now() + interval '24 hours'
);
create unique index organization_invitations_one_pending on app_public.organization_invitations (organization_id, email)
  where status = 'pending';
create index on app_public.organization_invitations (invited_by);
comment on table app_public.organization_invitations is
  E'@behavior -insert -update -delete\nAn invitation to join an organization with a role.';
comment on column app_public.organization_invitations.token_hash is '@behavior -*';
create trigger _100_timestamps before insert or update on app_public.organization_invitations
  for each row execute procedure app_private.tg__timestamps();
create trigger _900_audit after insert or update or delete on app_public.organization_invitations
  for each row execute procedure app_private.tg__audit('organization_invitation', 'organization_id', '');

create function app_public.invite_to_organization(organization_id uuid, email text, role app_public.organization_role)
returns app_public.organization_invitations as $$
declare
  my_role app_public.organization_role := app_hidden.current_user_role_in(organization_id);
  token text := app_private.new_token();
  invitation app_public.organization_invitations;
begin
  if my_role is null then
    raise exception 'No such organization' using errcode = 'NTFND';
  end if;
  if my_role not in ('owner', 'administrator') or (my_role = 'administrator' and role = 'owner') then
    raise exception 'Only owners may invite owners, and owners and administrators other members' using errcode = 'DNIED';
  end if;
  if exists (
    select from app_public.organization_memberships m join app_public.users u on u.id = m.user_id
    where m.organization_id = invite_to_organization.organization_id and u.email = invite_to_organization.email::citext
  ) then
    raise exception 'That person is already a member' using errcode = 'MEMBR';
  end if;
  update app_public.organization_invitations i
    set role = invite_to_organization.role, token_hash = app_private.hash_token(token),
        invited_by = app_public.current_user_id(), expires_at = now() + interval '24 hours'
    where i.organization_id = invite_to_organization.organization_id
      and i.email = invite_to_organization.email::citext and i.status = 'pending'
    returning * into invitation;
  if invitation is null then
    insert into app_public.organization_invitations (organization_id, email, role, token_hash, invited_by)
      values (organization_id, email, role, app_private.hash_token(token), app_public.current_user_id())
      returning * into invitation;
  end if;
  insert into app_private.mails (recipient, template, variables) values (
    invitation.email, 'organization_invitation',
    json_build_object(
      'token', token, 'role', invitation.role, 'expires_at', invitation.expires_at,
      'organization_name', (select name from app_public.organizations o where o.id = invitation.organization_id),
      'inviter_email', (select u.email from app_public.users u where u.id = app_public.current_user_id())
    )
  );
  return invitation;
end;
$$ language plpgsql volatile security definer set search_path to pg_catalog, public, pg_temp;
comment on function app_public.invite_to_organization(uuid, text, app_public.organization_role) is
  'Invites an email to the organization with a role, mailing a token; inviting again resends it.';

create function app_public.revoke_organization_invitation(invitation_id uuid)
returns app_public.organization_invitations as $$
declare
  invitation app_public.organization_invitations;
begin
  select * into invitation from app_public.organization_invitations where id = invitation_id;
  if invitation is null or app_hidden.current_user_role_in(invitation.organization_id) is null then
    raise exception 'No such invitation' using errcode = 'NTFND';
  end if;
  if not app_hidden.current_user_can_manage(invitation.organization_id)
    or (invitation.role = 'owner' and app_hidden.current_user_role_in(invitation.organization_id) <> 'owner')
  then
    raise exception 'Only owners and administrators may revoke invitations' using errcode = 'DNIED';
  end if;
  if invitation.status <> 'pending' then
    raise exception 'This invitation has already been %', invitation.status using errcode = 'INVUS';
  end if;
  update app_public.organization_invitations set status = 'revoked' where id = invitation_id returning * into invitation;
  return invitation;
end;
$$ language plpgsql volatile security definer set search_path to pg_catalog, public, pg_temp;

/* The pending invitation a token stands for, or the reason it cannot be used. */
create function app_private.usable_invitation(token text) returns app_public.organization_invitations as $$
declare
  invitation app_public.organization_invitations;
begin
  select * into invitation from app_public.organization_invitations where token_hash = app_private.hash_token(token);
  if invitation is null then
    raise exception 'This invitation does not exist' using errcode = 'NTFND';
  elsif invitation.status <> 'pending' then
    raise exception 'This invitation has already been %', invitation.status using errcode = 'INVUS';
  elsif invitation.expires_at <= now() then
    raise exception 'This invitation has expired; ask for a new one' using errcode = 'INVEX';
  end if;
  return invitation;
end;
$$ language plpgsql stable security definer set search_path to pg_catalog, public, pg_temp;

create type app_public.invitation_preview as (
  organization_name text,
  email citext,
  role app_public.organization_role,
  expires_at timestamptz
);

create function app_public.organization_invitation_by_token(token text) returns app_public.invitation_preview as $$
  select o.name, i.email, i.role, i.expires_at
  from app_private.usable_invitation(token) i join app_public.organizations o on o.id = i.organization_id;
$$ language sql stable security definer set search_path to pg_catalog, public, pg_temp;
comment on function app_public.organization_invitation_by_token(text) is
  'What an invitation token invites to, for the page that accepts it.';

create function app_public.accept_organization_invitation(token text) returns app_public.organization_memberships as $$
declare
  invitation app_public.organization_invitations := app_private.usable_invitation(token);
  membership app_public.organization_memberships;
begin
  if app_public.current_user_id() is null then
    raise exception 'You must sign in first' using errcode = 'LOGIN';
  end if;
  if (select email from app_public.users where id = app_public.current_user_id()) <> invitation.email then
    raise exception 'This invitation is for another email address' using errcode = 'INVEM';
  end if;
  update app_public.organization_invitations set status = 'accepted' where id = invitation.id;
  insert into app_public.organization_memberships (organization_id, user_id, role)
    values (invitation.organization_id, app_public.current_user_id(), invitation.role)
    on conflict (organization_id, user_id) do nothing
    returning * into membership;
  if membership is null then
    raise exception 'You are already a member' using errcode = 'MEMBR';
  end if;
  return membership;
end;
$$ language plpgsql volatile security definer set search_path to pg_catalog, public, pg_temp;

create function app_public.decline_organization_invitation(token text) returns app_public.organization_invitations as $$
  update app_public.organization_invitations set status = 'declined'
  where id = (app_private.usable_invitation(token)).id
  returning *;
$$ language sql volatile security definer set search_path to pg_catalog, public, pg_temp;
