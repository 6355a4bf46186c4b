--! Previous: -
--! Hash: sha1:5629d45348c905de433add444e0903bec7b72520
--! Message: Schemas, identity helpers and the append-only audit log

-- Who may see what is said by the schema an object lives in:
--   app_public  is what the control GraphQL API exposes;
--   app_hidden  has the same grants but is not exposed (helpers the policies use);
--   app_private holds secrets and is reached only through security definer functions.
create extension if not exists citext;
create extension if not exists pgcrypto;

revoke all on schema public from public;

create schema app_public;
create schema app_hidden;
create schema app_private;
grant usage on schema app_public, app_hidden to canopy_visitor, canopy_anonymous;

-- Nothing the owner creates is callable or readable by anyone until db/policies/ says so.
alter default privileges for role canopy_owner revoke all on functions from public;
alter default privileges for role canopy_owner in schema app_public, app_hidden, app_private
  revoke all on tables from public;
alter default privileges for role canopy_owner in schema app_public, app_hidden, app_private
  revoke all on sequences from public;

/*
 * Identity. The server verifies a credential (session cookie, session token or personal access token) and only then
 * sets these values for the transaction with set_config(..., true): nothing a client sends reaches them directly.
 */
create function app_public.current_session_id() returns uuid as $$
  select nullif(pg_catalog.current_setting('canopy.session_id', true), '')::uuid;
$$ language sql stable;
comment on function app_public.current_session_id() is
  E'@behavior -queryField\nThe session (or personal access token) the current request was authenticated with.';

create function app_public.current_user_id() returns uuid as $$
  select nullif(pg_catalog.current_setting('canopy.user_id', true), '')::uuid;
$$ language sql stable;
comment on function app_public.current_user_id() is
  E'@behavior -queryField\nThe signed-in platform user, or null.';

/*
 * Opaque references for names that end up in Postgres catalogs (org databases, project schemas): 20 lowercase
 * letters, telling nothing about the tenant.
 */
create function app_hidden.new_ref() returns text as $$
  select string_agg(substr('abcdefghijklmnopqrstuvwxyz', (get_byte(bytes, i) % 26) + 1, 1), '')
  from public.gen_random_bytes(20) as bytes, generate_series(0, 19) as i;
$$ language sql volatile;

/* A random secret for tokens shown once: 32 bytes, base64url. */
create function app_private.new_token() returns text as $$
  select translate(rtrim(encode(public.gen_random_bytes(32), 'base64'), '='), '+/', '-_');
$$ language sql volatile;

create function app_private.hash_token(token text) returns bytea as $$
  select sha256(convert_to(token, 'UTF8'));
$$ language sql immutable strict;

create function app_private.tg__timestamps() returns trigger as $$
begin
  new.created_at = (case when tg_op = 'INSERT' then now() else old.created_at end);
  new.updated_at = (case when tg_op = 'UPDATE' and old.updated_at >= now() then old.updated_at + interval '1 millisecond' else now() end);
  return new;
end;
$$ language plpgsql volatile set search_path to pg_catalog, public, pg_temp;

/*
 * The audit log: who did what, on what, when, from where. Append-only: no role is granted update or delete, and a
 * trigger refuses them even to the owner. organization_id and user_id are deliberately not foreign keys: the entries
 * outlive what they describe.
 */
create table app_public.audit_events (
  id bigint primary key generated always as identity,
  occurred_at timestamptz not null default now(),
  actor_id uuid,
  organization_id uuid,
  user_id uuid,
  action text not null,
  target_type text not null,
  target_id text,
  details jsonb not null default '{}',
  ip inet,
  user_agent text
);
create index on app_public.audit_events (organization_id, occurred_at desc);
create index on app_public.audit_events (user_id, occurred_at desc);
comment on table app_public.audit_events is
  E'@behavior -insert -update -delete\nWho changed what in an organization or an account, when and from where.';
comment on column app_public.audit_events.actor_id is 'The user who did it; null for the operator or the system.';
comment on column app_public.audit_events.user_id is 'The account the entry is about, when it is about an account.';

create function app_private.tg_audit_events__append_only() returns trigger as $$
begin
  raise exception 'The audit log is append-only' using errcode = 'DNIED';
end;
$$ language plpgsql volatile set search_path to pg_catalog, public, pg_temp;
create trigger _100_append_only before update or delete on app_public.audit_events
  for each row execute procedure app_private.tg_audit_events__append_only();
create trigger _100_append_only_truncate before truncate on app_public.audit_events
  for each statement execute procedure app_private.tg_audit_events__append_only();

create function app_private.audit(
  action text,
  target_type text,
  target_id text,
  organization_id uuid default null,
  user_id uuid default null,
  details jsonb default '{}'
) returns void as $$
  insert into app_public.audit_events (actor_id, organization_id, user_id, action, target_type, target_id, details, ip, user_agent)
  values (
    app_public.current_user_id(), organization_id, user_id, action, target_type, target_id, details,
    nullif(pg_catalog.current_setting('canopy.client_ip', true), '')::inet,
    left(nullif(pg_catalog.current_setting('canopy.user_agent', true), ''), 512)
  );
$$ language sql volatile security definer set search_path to pg_catalog, public, pg_temp;

/*
 * Audits a row change: `<target_type>.created|updated|deleted`, with the row (or the changed columns) as details.
 * Arguments: target type, the column that holds the organization id ('' if none), the column that holds the
 * account's user id ('' if none). Secrets and bookkeeping columns are left out; an update that changes nothing else
 * is not an event.
 */
create function app_private.tg__audit() returns trigger as $$
declare
  target_type text := tg_argv[0];
  org_column text := tg_argv[1];
  user_column text := tg_argv[2];
  ignored text[] := array['token_hash', 'password_hash', 'created_at', 'updated_at', 'last_used_at'];
  row_data jsonb := to_jsonb(case when tg_op = 'DELETE' then old else new end);
  details jsonb;
begin
  if tg_op = 'UPDATE' then
    select jsonb_object_agg(n.key, jsonb_build_object('from', to_jsonb(old) -> n.key, 'to', n.value))
      into details
      from jsonb_each(to_jsonb(new)) as n
      where n.value is distinct from (to_jsonb(old) -> n.key) and n.key <> all (ignored);
    if details is null then
      return null;
    end if;
    details := jsonb_build_object('changes', details);
  else
    details := row_data - ignored;
  end if;
  perform app_private.audit(
    target_type || '.' || (case tg_op when 'INSERT' then 'created' when 'UPDATE' then 'updated' else 'deleted' end),
    target_type,
    row_data ->> 'id',
    nullif(row_data ->> nullif(org_column, ''), '')::uuid,
    nullif(row_data ->> nullif(user_column, ''), '')::uuid,
    details
  );
  return null;
end;
$$ language plpgsql volatile security definer set search_path to pg_catalog, public, pg_temp;
